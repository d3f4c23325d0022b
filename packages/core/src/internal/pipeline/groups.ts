/**
 * Which source items a value came from, and when a source item is finished.
 *
 * Every source item starts a `Group`; every value travelling between stages is an `Envelope`
 * naming its group. `.batch()` joins the groups of the values it puts together (union–find),
 * so a group is the set of source items whose outputs are mixed. A group is finished once
 * none of its envelopes is still travelling: only then are its rows handed to the sink (when
 * `holdRows`) and its items' keys journaled. So a checkpoint never records an item whose
 * output is not written, nor writes a row of an item it does not record.
 *
 * @module
 */

export interface Group {
  /** Set once this group was joined into another (union–find); follow it. */
  parent: Group | undefined;
  /** Envelopes of this group still travelling. */
  pending: number;
  /** Checkpoint keys of the source items (undefined entries for items without one). */
  keys: (string | undefined)[];
  /** Items whose part failed, by index in `keys`. */
  failed: number;
  /** Rows waiting for the group to finish (only when rows are held). */
  rows: unknown[];
}

export interface Envelope {
  readonly value: unknown;
  readonly group: Group;
}

export function newGroup(key: string | undefined): Group {
  return { parent: undefined, pending: 1, keys: [key], failed: 0, rows: [] };
}

/** What the book tells its owner. */
export interface GroupEvents {
  /** A row may be written now. */
  write(row: unknown): void;
  /** A group finished: `keys.length` items, of which `failed` had a part that failed. */
  finished(group: Group): void;
}

export function root(group: Group): Group {
  let g = group;
  while (g.parent !== undefined) g = g.parent;
  // Path compression: later lookups from `group` take one step.
  let h = group;
  while (h.parent !== undefined && h.parent !== g) {
    const next: Group = h.parent;
    h.parent = g;
    h = next;
  }
  return g;
}

/**
 * Keeps the counts above. Stages call `fanOut`/`merge` when they change the number of
 * envelopes; the sink calls `emit`; a filter, skip or dead letter calls `drop`. With
 * `holdRows` (a checkpoint), rows wait for their group; without, they are written at once.
 */
export class GroupBook {
  readonly #events: GroupEvents;
  readonly #holdRows: boolean;

  constructor(events: GroupEvents, holdRows: boolean) {
    this.#events = events;
    this.#holdRows = holdRows;
  }

  /** `envelope` became `count` envelopes (flatMap); 0 drops it. */
  fanOut(envelope: Envelope, count: number): void {
    if (count === 0) this.drop(envelope, false);
    else root(envelope.group).pending += count - 1;
  }

  /** Several envelopes became one (batch): joins their groups, returns the joined one. */
  merge(envelopes: readonly Envelope[]): Group {
    const first = envelopes[0];
    if (first === undefined) throw new Error('merge of no envelopes');
    const joined = root(first.group);
    for (const envelope of envelopes) {
      const g = root(envelope.group);
      if (g !== joined) {
        g.parent = joined;
        joined.pending += g.pending;
        for (const key of g.keys) joined.keys.push(key);
        joined.failed += g.failed;
        for (const row of g.rows) joined.rows.push(row);
        g.keys = [];
        g.rows = [];
      }
    }
    joined.pending -= envelopes.length - 1;
    return joined;
  }

  /** `envelope` ends here without output (filtered out; or failed, counted once per item). */
  drop(envelope: Envelope, failed: boolean): void {
    const g = root(envelope.group);
    // A failed part marks the group's items failed (all of them when values were batched).
    if (failed) g.failed = g.keys.length;
    this.#settle(g);
  }

  /** `envelope` reached the sink as `row`. */
  emit(envelope: Envelope, row: unknown): void {
    const g = root(envelope.group);
    if (this.#holdRows) g.rows.push(row);
    else this.#events.write(row);
    this.#settle(g);
  }

  #settle(g: Group): void {
    g.pending -= 1;
    if (g.pending > 0) return;
    for (const row of g.rows) this.#events.write(row);
    g.rows = [];
    this.#events.finished(g);
  }
}
