// The lifecycle fixture (plain JavaScript, see fixtures/plain-tasks.mjs) and its task types.

export const plainTasks = new URL('../fixtures/plain-tasks.mjs', import.meta.url);

export const KINDS = [
  'ok',
  'throws',
  'crash',
  'hang',
  'busy',
  'stubborn',
  'uncloneable',
  'progress',
  'stray',
  'strayRejection',
  'exitAfterReturn',
] as const;

/** How one task of an interleaving behaves. */
export type Kind = (typeof KINDS)[number];

export type PlainTasks = {
  echo(value: unknown): unknown;
  hold(ms: number): string;
  act(input: { cells: Int32Array; index: number; kind: Kind; steps: number }): unknown;
};
