/**
 * What the engine needs from the scopes: the innermost scope or task whose code is running
 * (`currentScope()`), a way to show a CPU task in the live tree (`trackTask()`), and the
 * tree itself (`tasks()`, the engine's `engine.tasks()`; `formatTaskTree()` prints it like
 * `python -m asyncio pstree`).
 *
 * @module
 */

import { InvalidArgumentError } from '@tandem/workers';
import { checkNumber, checkSignal } from '@tandem/workers/internal';
import { snapshotTree, storage, type TaskInfo, TreeNode } from './internal/task-tree.js';

/** The cancellation context of the running code, as seen by `engine.run`. */
export interface ScopeContext {
  /** Aborts when the innermost scope or task is cancelled. */
  readonly signal: AbortSignal;
  /** The absolute deadline in force (`clock().now()` ms), or undefined. */
  readonly deadline: number | undefined;
  /** The innermost node's path, e.g. `crawl/fetch-3`. */
  readonly path: string;
}

/**
 * The innermost scope or spawned task whose code is running, or undefined outside any
 * scope. `engine.run` uses its `signal` and `deadline` when the caller passes none, so
 * cancelling a scope cancels the CPU work it started.
 *
 * Code that outlives its scope (a timer set inside it) still sees that scope here.
 *
 * @example
 * await scope(async (s) => {
 *   currentScope()?.signal === s.signal; // true in the body
 * });
 */
export function currentScope(): ScopeContext | undefined {
  const node = storage.getStore();
  if (node === undefined) return undefined;
  return { signal: node.signal, deadline: node.deadline, path: node.path };
}

/** For CPU tasks run with no signal at all: one that never aborts. */
const neverAborted = new AbortController().signal;

class CpuNode extends TreeNode {
  readonly #signal: AbortSignal;
  constructor(name: string, signal: AbortSignal, parent: TreeNode | undefined) {
    super('cpu', name, parent);
    this.#signal = signal;
  }
  get signal(): AbortSignal {
    return this.#signal;
  }
  get deadline(): number | undefined {
    return this.parent?.deadline;
  }
}

/**
 * Shows a CPU task (run in the pool) in the live tree, under the innermost scope or task
 * (or at the top level outside any scope), as `running`, with the scope's deadline. Call
 * the returned function once when the task settles, saying how (default `'fulfilled'`);
 * later calls do nothing. `signal` is the one the task runs with (default: the running
 * scope's).
 *
 * @example
 * const end = trackTask('wordCount', signal);
 * try {
 *   const result = await pool.run('wordCount', text, { signal });
 *   end('fulfilled');
 *   return result;
 * } catch (error) {
 *   end(signal?.aborted ? 'cancelled' : 'rejected');
 *   throw error;
 * }
 */
export function trackTask(
  name: string,
  signal?: AbortSignal,
): (state?: 'fulfilled' | 'rejected' | 'cancelled') => void {
  if (typeof name !== 'string') {
    throw new InvalidArgumentError(`Expected name to be a string, got ${typeof name}`);
  }
  checkSignal('signal', signal);
  const parent = storage.getStore();
  const node = new CpuNode(name, signal ?? parent?.signal ?? neverAborted, parent);
  node.start();
  let ended = false;
  return (state = 'fulfilled') => {
    if (ended) return;
    ended = true;
    node.settle(state);
  };
}

/**
 * A snapshot of every live scope and task, as a forest of {@link TaskInfo} (what
 * `engine.tasks()` returns). Settled nodes are gone from it.
 */
export function tasks(): TaskInfo[] {
  return snapshotTree();
}

/**
 * Prints a snapshot from {@link tasks} as an indented tree, one node per line:
 * `└── fetch-3 [task running, 120 ms, deadline in 880 ms]`.
 */
export function formatTaskTree(forest: readonly TaskInfo[], now: number): string {
  if (!Array.isArray(forest)) {
    throw new InvalidArgumentError('Expected forest to be an array, as tasks() returns');
  }
  checkNumber('now', now, -Infinity);
  const lines: string[] = [];
  const visit = (info: TaskInfo, indent: string, last: boolean) => {
    const age = info.startedAt === undefined ? '' : `, ${Math.round(now - info.startedAt)} ms`;
    const due =
      info.deadline === undefined ? '' : `, deadline in ${Math.round(info.deadline - now)} ms`;
    lines.push(
      `${indent}${last ? '└── ' : '├── '}${info.name} [${info.kind} ${info.state}${age}${due}]`,
    );
    const childIndent = `${indent}${last ? '    ' : '│   '}`;
    for (const [i, child] of info.children.entries()) {
      visit(child, childIndent, i === info.children.length - 1);
    }
  };
  for (const [i, info] of forest.entries()) visit(info, '', i === forest.length - 1);
  return lines.join('\n');
}

export type { TaskInfo, TaskKind, TaskState } from './internal/task-tree.js';
