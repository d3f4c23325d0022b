/**
 * What the fixture server serves, decided up front from a seed: each file's text and each
 * file's fate (served at once, or failing in one planned way first). Pure functions, so a
 * test and the server agree on every byte and every failure without talking to each other.
 *
 * @module
 */

/** The ways a file can misbehave before it is served (or, for `missing`, for ever). */
export type FailureKind = 'retryAfter' | 'error' | 'resetBefore' | 'resetMid' | 'stall' | 'missing';

/**
 * How many files get each failure. A `retryAfter` file answers 503 with `Retry-After` twice,
 * an `error` file 500 once, a `reset` file has its connection destroyed once (alternately
 * before the headers and mid-body), a `stall` file stops sending mid-body once (until the
 * client gives up), a `missing` file is a 404 for ever.
 */
export interface FailureMix {
  readonly retryAfter: number;
  readonly error: number;
  readonly reset: number;
  readonly stall: number;
  readonly missing: number;
}

export const NO_FAILURES: FailureMix = { retryAfter: 0, error: 0, reset: 0, stall: 0, missing: 0 };

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same sequence everywhere. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Mixes numbers into one 32-bit seed (FNV-1a over their 32-bit words). */
export function mixSeed(...parts: number[]): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    hash = Math.imul(hash ^ (part >>> 0), 0x01000193) >>> 0;
    hash = Math.imul(hash ^ Math.floor(part / 4_294_967_296), 0x01000193) >>> 0;
  }
  return hash;
}

/** The name of file `index` (0-based): `file-0001.txt`. */
export function fixtureFileName(index: number): string {
  return `file-${String(index + 1).padStart(4, '0')}.txt`;
}

// A vocabulary drawn with a skewed distribution, so word counts have a clear top and the
// text compresses and analyses like prose rather than noise.
const WORDS = (
  'the of and to in is was that for it with as his on be at by had are but from or have an ' +
  'they which one you were her all she there would their we him been has when who will more ' +
  'no if out so said what up its about into than them can only other new some could time ' +
  'these two may then do first any my now such like our over man me even most made after ' +
  'also did many before must through back years where much your way well down should ' +
  'because each just those people how too little state good very make world still own see ' +
  'men work long get here between both life being under never day same another know while ' +
  'last might us great old year off come since against go came right used take three ' +
  'thread loop worker pool scope signal backoff jitter limiter pipeline checkpoint journal'
)
  .split(' ')
  .map((word) => Buffer.from(word, 'latin1'));

/** The size of file `index` for `seed`, uniform in [minSize, maxSize]. */
export function fileSize(seed: number, index: number, minSize: number, maxSize: number): number {
  const random = prng(mixSeed(seed, index, 0x5123));
  return minSize + Math.floor(random() * (maxSize - minSize + 1));
}

/**
 * The bytes of file `index` at `version` (a changed file is a new version): `size` bytes of
 * lines of words, deterministic for the triple.
 */
export function fileContent(seed: number, index: number, version: number, size: number): Buffer {
  const random = prng(mixSeed(seed, index, version));
  const out = Buffer.allocUnsafe(size + 64);
  let at = 0;
  let wordsLeft = 0;
  while (at < size) {
    if (wordsLeft === 0) {
      if (at > 0) out[at++] = 0x0a;
      wordsLeft = 4 + Math.floor(random() * 12);
    } else {
      out[at++] = 0x20;
    }
    const r = random();
    const word = WORDS[Math.floor(r * r * r * WORDS.length)]!;
    at += word.copy(out, at);
    wordsLeft--;
  }
  return out.subarray(0, size);
}

/**
 * Each file's fate: the mix's counts are dealt to distinct files in a seeded shuffle (so which
 * files fail does not depend on their order). Counts beyond the number of files are cut.
 */
export function failurePlan(seed: number, files: number, mix: FailureMix): (FailureKind | 'ok')[] {
  const random = prng(mixSeed(seed, files, 0xfa11));
  const order = Array.from({ length: files }, (_, i) => i);
  for (let i = files - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const plan: (FailureKind | 'ok')[] = new Array(files).fill('ok');
  const kinds: [FailureKind, number][] = [
    ['missing', mix.missing],
    ['retryAfter', mix.retryAfter],
    ['error', mix.error],
    ['stall', mix.stall],
    ['resetBefore', Math.ceil(mix.reset / 2)],
    ['resetMid', Math.floor(mix.reset / 2)],
  ];
  let next = 0;
  for (const [kind, count] of kinds) {
    for (let n = 0; n < count && next < files; n++) plan[order[next++]!] = kind;
  }
  return plan;
}

/** How many requests for a file of this fate fail before it is served (Infinity: never served). */
export function failingRequests(fate: FailureKind | 'ok'): number {
  switch (fate) {
    case 'ok':
      return 0;
    case 'retryAfter':
      return 2;
    case 'missing':
      return Number.POSITIVE_INFINITY;
    default:
      return 1;
  }
}
