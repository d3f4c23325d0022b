/**
 * Leak detection for scopes and tasks, reported on `tandem:leak`. Each check is set up only
 * when the channel has subscribers at the time, so it costs nothing otherwise.
 *
 * @module
 */

import { startTimer } from '@tandem/workers/internal';
import type { TreeNode } from '../internal/task-tree.js';
import { leakChannel, publishLeak } from './channels.js';

interface Held {
  readonly id: number;
  readonly name: string;
  readonly path: string;
}

// Holds only the node's identity, never the node, so the node itself can be collected.
const registry = new FinalizationRegistry<Held>((held) => {
  if (leakChannel.hasSubscribers) publishLeak({ kind: 'gc-pending', ...held });
});

/** Reports `node` if it is garbage-collected before {@link unwatchGc} is called. */
export function watchGc(node: TreeNode): void {
  if (!leakChannel.hasSubscribers) return;
  registry.register(node, { id: node.id, name: node.name, path: node.path }, node);
}

/** Stops watching a node that settled. */
export function unwatchGc(node: TreeNode): void {
  registry.unregister(node);
}

/**
 * After an abort, reports every child of `parent` still pending `graceMs` later (`Infinity`:
 * never). Returns a function that cancels the check (call it when the scope closes).
 */
export function watchIgnoredAbort(parent: TreeNode, graceMs: number): () => void {
  if (!leakChannel.hasSubscribers) return () => {};
  // Unref'd: a late report must not keep the process alive.
  const timer = startTimer(
    graceMs,
    () => {
      for (const child of parent.children) {
        if (child.state === 'pending' || child.state === 'running') {
          publishLeak({
            kind: 'abort-ignored',
            id: child.id,
            name: child.name,
            path: child.path,
            graceMs,
          });
        }
      }
    },
    true,
  );
  return () => timer.cancel();
}
