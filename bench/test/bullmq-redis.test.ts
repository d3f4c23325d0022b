// The bullmq scenario's reading of Redis's INFO: per-command calls, CPU and bytes between two
// samples (the arithmetic only; the scenario itself runs under `pnpm bench`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { costBetween, sampleRedis, totalCalls } from '../src/scenarios/bullmq-redis.ts';

function fakeRedis(sections: Record<string, string>): Redis {
  return { info: async (section: string) => sections[section] ?? '' } as unknown as Redis;
}

const sample = (calls: Record<string, number>, cpu: [number, number], net: [number, number]) =>
  sampleRedis(
    fakeRedis({
      commandstats: `# Commandstats\r\n${Object.entries(calls)
        .map(([name, n]) => `cmdstat_${name}:calls=${n},usec=1,usec_per_call=0.5`)
        .join('\r\n')}\r\n`,
      cpu: `# CPU\r\nused_cpu_sys:${cpu[0]}\r\nused_cpu_user:${cpu[1]}\r\n`,
      stats: `# Stats\r\ntotal_net_input_bytes:${net[0]}\r\ntotal_net_output_bytes:${net[1]}\r\n`,
    }),
  );

test('costBetween: calls, CPU µs and bytes between two INFO samples, the bench’s own INFO left out', async () => {
  const before = await sample({ evalsha: 10, xadd: 40, info: 3 }, [1.5, 2], [1_000, 5_000]);
  const after = await sample(
    { evalsha: 30, xadd: 120, hset: 5, info: 9 },
    [1.75, 2.5],
    [3_000, 9_000],
  );
  const cost = costBetween(before, after);
  assert.deepEqual(
    [...cost.calls],
    [
      ['evalsha', 20],
      ['xadd', 80],
      ['hset', 5],
    ],
  );
  assert.equal(totalCalls(cost), 105);
  assert.ok(Math.abs(cost.cpuMicros - 750_000) < 1e-6);
  assert.equal(cost.netBytes, 6_000);
});
