/**
 * loop-responsiveness: how late the event loop's timers fire while the pool is saturated with
 * 50 ms tasks. A pool should leave the loop free (delay ≈ the machine's idle noise); inline,
 * the loop is blocked for a whole task, so its p99 is about the task length — shown as the
 * counter-example. Measured with `monitorEventLoopDelay` (1 ms resolution), per round.
 *
 * @module
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { allPeers } from '../peers/all-peers.ts';
import type { Peer } from '../peers/peer.ts';
import { withStartedPeers } from '../peers/started-peers.ts';
import { TandemPeer } from '../peers/tandem.ts';
import type { Row } from '../runner/result.ts';
import type { Scenario } from '../runner/scenario.ts';
import { spreadOf } from '../runner/spread.ts';
import { judgeTandem } from '../runner/target.ts';
import { interleavedRounds } from '../runner/workload.ts';

const taskMicros = 50_000;

const target = {
  statement: 'tandem event-loop delay p99 ≤ 20 ms while the pool is saturated',
  comparison: '<=' as const,
  limit: 20,
  unit: 'ms',
};

const resolutionMs = 1;

/**
 * How late the loop ran (ms, p99) while `work` ran. Node's histogram records the whole
 * interval between samples, so an idle loop reads as the resolution itself; subtracting it
 * leaves the lateness.
 */
async function delayP99During(work: () => Promise<unknown>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  await work();
  histogram.disable();
  return Math.max(0, histogram.percentile(99) / 1e6 - resolutionMs);
}

/**
 * One round for one peer. A pool gets every task at once. Inline, each task is its own
 * macrotask (as if each came from a request): the loop turns between them and every turn waits
 * out a whole task — submitted in one go, they would all run before the monitor took a sample.
 * For tandem, the engine's own `stats().loop.p99` for the round is pushed to `engineView`.
 */
function roundFor(peer: Peer, tasks: number, engineView: number[]): () => Promise<number> {
  const submitAll = () =>
    Promise.all(Array.from({ length: tasks }, () => peer.run('spin', taskMicros)));
  const oneMacrotaskEach = async () => {
    for (let i = 0; i < tasks; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await peer.run('spin', taskMicros);
    }
  };
  if (peer instanceof TandemPeer) {
    return async () => {
      peer.resetLoopDelay();
      const p99 = await delayP99During(submitAll);
      engineView.push(peer.loopStats().p99);
      return p99;
    };
  }
  return () => delayP99During(peer.threaded ? submitAll : oneMacrotaskEach);
}

export const loopResponsiveness: Scenario = {
  name: 'loop-responsiveness',
  title: 'event-loop delay p99 while the pool is saturated',
  async run({ quick, threads, tandemUnavailable, log }) {
    // Enough tasks to keep every thread busy for ~1 s per round (~0.2 s when quick).
    const tasks = threads * (quick ? 4 : 20);
    const rounds = quick ? 2 : 5;
    const idleMs = (tasks * taskMicros) / 1_000 / threads;
    const peers = allPeers({ tandem: tandemUnavailable === undefined });
    const engineView: number[] = [];
    const spreads = await withStartedPeers(peers, threads, log, (started) =>
      interleavedRounds(
        [
          // The machine's own noise: the same window with nothing running.
          { key: 'idle (no work)', round: () => delayP99During(() => sleep(idleMs)) },
          ...started.map((peer) => ({ key: peer.name, round: roundFor(peer, tasks, engineView) })),
        ],
        rounds,
        (name, error) => log(`  ${name}: failed, left out (${(error as Error).message})`),
      ),
    );
    const rows: Row[] = [...spreads].map(([label, p99]) => ({
      label,
      value: p99,
      ...(label === 'tandem' && engineView.length > 0
        ? { extra: { 'engine.stats() p99 (ms)': spreadOf(engineView).median } }
        : {}),
    }));
    const p99 = (name: string) => spreads.get(name)?.median;
    return {
      metric: { name: 'loop delay p99', unit: 'ms', better: 'lower' },
      rows,
      targets: [
        judgeTandem(
          target,
          tandemUnavailable,
          p99('tandem'),
          1,
          'Median over rounds of each round’s p99.',
        ),
      ],
      notes: [
        `${tasks} tasks of ${taskMicros / 1_000} ms submitted at once per round, ${rounds} rounds; ${threads} thread(s) per pool.`,
        `inline runs the same tasks on the main thread: its p99 ≈ the task length (${taskMicros / 1_000} ms) is the point of a pool.`,
        `Delay = how late a ${resolutionMs} ms timer fired (Node's histogram minus its interval). engine.stats() is shown as the engine reports it.`,
      ],
    };
  },
};
