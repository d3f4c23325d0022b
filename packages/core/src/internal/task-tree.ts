/**
 * The live tree of scopes and tasks: every node knows its parent and children, and the
 * innermost node whose code is running is found through one `AsyncLocalStorage`. Top-level
 * nodes are held weakly so that a forgotten, pending tree can still be garbage-collected
 * (and reported as a leak) instead of being pinned here forever.
 *
 * @module
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { clock } from '@tandem/workers';

/** What a node is: a scope, a spawned task, a CPU task in the pool, a detached or shielded task. */
export type TaskKind = 'scope' | 'task' | 'cpu' | 'detached' | 'shield';

/** A node's life: not started yet, running, or settled one of three ways. */
export type TaskState = 'pending' | 'running' | 'fulfilled' | 'rejected' | 'cancelled';

let nextId = 1;
const roots = new Map<number, WeakRef<TreeNode>>();
/** Paths of nodes that started or settled since the last look, while a blocking detector runs. */
let touched: Set<string> | undefined;
let touchedUsers = 0;

/** The innermost node whose code is running. */
export const storage = new AsyncLocalStorage<TreeNode>();

export abstract class TreeNode {
  readonly id = nextId++;
  readonly name: string;
  readonly path: string;
  readonly kind: TaskKind;
  readonly parent: TreeNode | undefined;
  readonly children = new Set<TreeNode>();
  state: TaskState = 'pending';
  startedAt: number | undefined;

  constructor(kind: TaskKind, name: string | undefined, parent: TreeNode | undefined) {
    this.kind = kind;
    this.name = name ?? `${kind}-${this.id}`;
    this.parent = parent;
    this.path = parent ? `${parent.path}/${this.name}` : this.name;
    // Under a parent that already settled (code outliving its scope), it would be invisible.
    if (parent && (parent.state === 'pending' || parent.state === 'running'))
      parent.children.add(this);
    else roots.set(this.id, new WeakRef(this));
  }

  /** The signal that cancels this node's work. */
  abstract get signal(): AbortSignal;

  /** The absolute deadline in force here (`clock().now()` ms), or undefined. */
  abstract get deadline(): number | undefined;

  /** Marks the node running and stamps its start time. */
  start(): void {
    this.state = 'running';
    this.startedAt = clock().now();
    touched?.add(this.path);
  }

  /** Settles the node and removes it from the live tree. */
  settle(state: 'fulfilled' | 'rejected' | 'cancelled'): void {
    this.state = state;
    touched?.add(this.path);
    this.parent?.children.delete(this);
    roots.delete(this.id);
  }
}

/** A snapshot of one live node, as returned by {@link snapshotTree}. */
export interface TaskInfo {
  readonly id: number;
  readonly name: string;
  /** Names from the root, joined by `/`. */
  readonly path: string;
  readonly kind: TaskKind;
  readonly state: TaskState;
  /** When the node started running (`clock().now()` ms), or undefined while pending. */
  readonly startedAt: number | undefined;
  /** The deadline in force (`clock().now()` ms), or undefined. */
  readonly deadline: number | undefined;
  readonly children: readonly TaskInfo[];
}

function snapshot(node: TreeNode): TaskInfo {
  return {
    id: node.id,
    name: node.name,
    path: node.path,
    kind: node.kind,
    state: node.state,
    startedAt: node.startedAt,
    deadline: node.deadline,
    children: [...node.children].map(snapshot),
  };
}

/** Snapshots every live top-level node and its descendants. */
export function snapshotTree(): TaskInfo[] {
  const out: TaskInfo[] = [];
  for (const [id, ref] of roots) {
    const node = ref.deref();
    if (node === undefined) roots.delete(id);
    else out.push(snapshot(node));
  }
  return out;
}

/** Every live node that is running, depth first (for the blocking detector). */
export function runningNodes(): TreeNode[] {
  const out: TreeNode[] = [];
  const visit = (node: TreeNode) => {
    if (node.state === 'running') out.push(node);
    for (const child of node.children) visit(child);
  };
  for (const ref of roots.values()) {
    const node = ref.deref();
    if (node) visit(node);
  }
  return out;
}

/**
 * Starts recording which nodes start or settle, so a blocking detector can name a task that
 * blocked the loop and finished before the detector's timer ran. Returns the stop function.
 */
export function recordTouched(): () => void {
  touchedUsers++;
  touched ??= new Set();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--touchedUsers === 0) touched = undefined;
  };
}

/** The paths recorded since the last call, then forgets them. */
export function takeTouched(): string[] {
  const out = touched ? [...touched] : [];
  touched?.clear();
  return out;
}
