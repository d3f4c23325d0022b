/**
 * What the numbers were measured on. Absolute times only mean something next to this; the
 * load average at start says how noisy the shared machine was.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Environment {
  startedAt: string;
  node: string;
  v8: string;
  platform: string;
  cpuModel: string;
  /** `os.availableParallelism()`: what a pool sizes itself from. */
  cores: number;
  /** The thread count every pool got (cpu-throughput also sweeps 1..cores). */
  threads: number;
  loadAverageAtStart: [number, number, number];
  totalMemoryMiB: number;
  /** The commit measured, with `+dirty` when the working tree has changes. */
  commit: string;
  /** Versions of every peer package, read from the installed package.json files. */
  peers: Record<string, string>;
  quick: boolean;
}

const peerPackages = ['piscina', 'tinypool', 'workerpool', 'poolifier', 'tinybench'] as const;

export function captureEnvironment(threads: number, quick: boolean): Environment {
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  return {
    startedAt: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    threads,
    loadAverageAtStart: [one, five, fifteen],
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
    commit: gitCommit(),
    peers: Object.fromEntries(peerPackages.map((name) => [name, installedVersion(name)])),
    quick,
  };
}

function installedVersion(name: string): string {
  const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
  try {
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function gitCommit(): string {
  // Read-only git queries; a checkout without git (a tarball) just says so.
  try {
    const options = { cwd: new URL('.', import.meta.url), encoding: 'utf8' as const };
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], options).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], options).trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

/** One line for the top of stdout and the report. */
export function describeEnvironment(env: Environment): string {
  const load = env.loadAverageAtStart.map((value) => value.toFixed(2)).join(' ');
  return (
    `Node ${env.node} · ${env.cpuModel} · ${env.cores} cores · ${env.threads} thread(s) per pool` +
    ` · load ${load} · ${env.platform} · commit ${env.commit}${env.quick ? ' · QUICK (smoke run)' : ''}`
  );
}
