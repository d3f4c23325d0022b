/**
 * One walk over a value that is about to cross threads: it finds what structured clone would
 * refuse (so the error names the path at submit time, before anything is sent) and, when asked,
 * the ArrayBuffers that can be moved instead of copied.
 *
 * The walk reads what structured clone reads (own enumerable properties, array items, Map and
 * Set entries, an error's `cause`) and refuses what it refuses: functions, symbols, Proxies
 * (revoked or not), generator objects, promises, weak collections, detached buffers, getters
 * that throw, and host objects that can only be transferred (a `MessagePort`, a stream). A real
 * `structuredClone` is tried only where the walk cannot tell: on an instance of an unknown class
 * with no own properties (where a host object hides; cheap, there is nothing under it to copy)
 * and on an error (small).
 *
 * It must cost little beside the copy it guards, on inputs of any size (`clone-walk.ts` says
 * how): a path is built only once a problem is found, and plain data pays for one cheap look
 * at each item. A caller may also bound it (`budget`): a task's input (in the pool) and result
 * (in its worker) are checked up to {@link CHECK_BUDGET}, and past that `postMessage` is the
 * check, its refusal located afterwards by a full walk.
 *
 * Not seen: named properties added to an array (reading them would cost a string per index),
 * and a host object whose prototype was replaced by a plain one. Those still fail at send time.
 *
 * @module
 */
import { cloneable, describeFailure, formatPath } from './clone-rules.js';
import { budgetSpent, isReference, Walk } from './clone-walk.js';

/** What structured clone would refuse, and where: `input.list[3].fn` is a `function`. */
export interface Problem {
  path: string;
  kind: string;
}

/** What the walk found. */
export interface Inspection {
  /** ArrayBuffers to put in the transfer list (empty unless `collect` was set). */
  transferList: ArrayBuffer[];
  /** The first thing structured clone would refuse, or undefined when the value is clean. */
  problem: Problem | undefined;
}

/**
 * How much of a task's input (in the pool) or result (in a worker) is checked before it is
 * posted: an item or a property counts 1, an object 8; about a quarter of a millisecond. A
 * problem within it fails the task at once. Past it, the walk would add a few per cent to a
 * copy that is already long, so `postMessage` is the check: what it refuses fails the task
 * when it is sent, its path found then by a full walk.
 */
export const CHECK_BUDGET = 2 ** 16;

const clean: Inspection = Object.freeze({ transferList: [], problem: undefined }) as Inspection;

/**
 * Walks `value`; never throws.
 *
 * `budget` bounds the walk, counted as for {@link CHECK_BUDGET}: past it the rest is left
 * unchecked and the value reported clean, so that `postMessage` is the check for large values
 * (`refusedInput` in `lost-worker.ts` and `refusedResult` in `worker-entry.ts` name the path
 * of what it refuses). It applies only when not collecting: every buffer to move must be found.
 *
 * A buffer is moved only when the input gives it up whole: an `ArrayBuffer`, or a view that
 * covers its entire buffer. A view of part of a buffer (every small Node `Buffer` is a slice of
 * a shared 8 KiB pool) is copied: moving it would detach memory that other views still use,
 * and Node refuses to move the pool.
 */
export function inspectValue(
  value: unknown,
  collect: boolean,
  root = 'input',
  budget = Number.POSITIVE_INFINITY,
): Inspection {
  // Fast path: primitives are most inputs and results of small tasks.
  if (!isReference(value)) return clean;
  const walk = new Walk(collect, false, collect ? Number.POSITIVE_INFINITY : budget);
  try {
    walk.visit(value, 0);
  } catch (error) {
    if (error === budgetSpent) return clean;
    // Only a stack overflow gets here (every read of user code is guarded): the value is
    // nested deeper than the walk can follow. Structured clone may still take it; if not,
    // the whole value is the problem.
    const kind = walk.problem ?? (cloneable(value) ? undefined : describeFailure(error));
    const problem = kind === undefined ? undefined : { path: root, kind };
    return { transferList: walk.transferList, problem };
  }
  if (walk.problem === undefined) return { transferList: walk.transferList, problem: undefined };
  return { transferList: walk.transferList, problem: locate(value, walk, root) };
}

/**
 * The path of the problem `found` met. The first walk remembers objects only past a depth, so
 * through a cycle its path may go round the cycle (`input.self.self….fn`); a second walk that
 * remembers every object from the start names it as a walk visiting each object once would
 * (`input.fn`). Only failures pay for it. If that walk sees nothing (a getter that changed its
 * answer), the first path stands.
 */
function locate(value: unknown, found: Walk, root: string): Problem {
  const exact = new Walk(false, true);
  try {
    exact.visit(value, 0);
  } catch {
    // Nested too deeply for this walk too: the first path stands.
  }
  const walk = exact.problem === undefined ? found : exact;
  return { path: formatPath(root, walk.segments.reverse()), kind: walk.problem! };
}
