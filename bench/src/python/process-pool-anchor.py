"""The Python recipe Tandem carries over to Node, measured the same way as the bench's peers.

asyncio on the loop plus ProcessPoolExecutor(max_workers=cpu_count() - 1) behind
loop.run_in_executor. Prints one JSON line:
  {"roundTripUs": [...per round p50...], "throughputMs": [...per round...], "workers": N}
Per-task overhead is comparable with the Node rows; CPU speed is not (different language).
"""

import asyncio
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor


def noop(x):
    return x


async def round_trip_p50_us(loop, pool, calls):
    samples = []
    for i in range(calls):
        start = time.perf_counter()
        await loop.run_in_executor(pool, noop, i)
        samples.append((time.perf_counter() - start) * 1e6)
    return statistics.median(samples)


async def windowed_ms(loop, pool, tasks, in_flight):
    # A fixed window refilled as tasks finish: the same shape as the Node run-throughput rows.
    next_index = 0

    async def lane():
        nonlocal next_index
        while next_index < tasks:
            next_index += 1
            await loop.run_in_executor(pool, noop, next_index)

    start = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(min(in_flight, tasks))))
    return (time.perf_counter() - start) * 1e3


async def main():
    calls, tasks, in_flight, rounds = (int(arg) for arg in sys.argv[1:5])
    workers = max(1, (os.cpu_count() or 2) - 1)
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        # Warm-up: start every process and import the function before timing.
        await asyncio.gather(*(loop.run_in_executor(pool, noop, i) for i in range(workers * 32)))
        trips, windows = [], []
        for _ in range(rounds):
            trips.append(await round_trip_p50_us(loop, pool, calls))
            windows.append(await windowed_ms(loop, pool, tasks, in_flight))
    print(json.dumps({"roundTripUs": trips, "throughputMs": windows, "workers": workers}))


if __name__ == "__main__":
    asyncio.run(main())
