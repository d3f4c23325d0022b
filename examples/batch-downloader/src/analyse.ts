/**
 * The content analysis the CPU stage runs per file, in plain JS so that it really occupies a
 * thread: SHA-256, a byte histogram and its Shannon entropy, line and word counts, and the
 * most frequent words. Pure: bytes in, numbers out.
 *
 * @module
 */
import { createHash } from 'node:crypto';

/** What the analysis finds in one file. */
export interface Analysis {
  readonly sha256: string;
  readonly bytes: number;
  /** Shannon entropy of the bytes, in bits per byte (0 to 8). */
  readonly entropy: number;
  readonly lines: number;
  readonly words: number;
  /** Distinct words (ASCII letters, lower-cased). */
  readonly distinctWords: number;
  /** The most frequent words, most frequent first (ties by word). */
  readonly topWords: readonly { readonly word: string; readonly count: number }[];
}

const TOP = 5;
/** Longer runs of letters are counted as words but not kept as keys (a binary file would flood the map). */
const MAX_WORD = 32;

/**
 * Analyses `bytes`. Calls `checkpoint` every 64 KiB so that a cancelled task stops promptly
 * (it throws the cancellation reason).
 */
export function analyse(bytes: Uint8Array, checkpoint: () => void = () => {}): Analysis {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const histogram = new Float64Array(256);
  const counts = new Map<string, number>();
  let lines = bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a ? 1 : 0;
  let words = 0;
  let wordStart = -1;
  for (let i = 0; i <= bytes.length; i++) {
    if ((i & 0xffff) === 0) checkpoint();
    const byte = i < bytes.length ? bytes[i]! : 0x20;
    if (i < bytes.length) histogram[byte]! += 1;
    if (byte === 0x0a) lines++;
    const letter = (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a;
    if (letter) {
      if (wordStart < 0) wordStart = i;
      continue;
    }
    if (wordStart >= 0) {
      words++;
      if (i - wordStart <= MAX_WORD) {
        const word = lowerAscii(bytes, wordStart, i);
        counts.set(word, (counts.get(word) ?? 0) + 1);
      }
      wordStart = -1;
    }
  }
  return {
    sha256,
    bytes: bytes.length,
    entropy: entropy(histogram, bytes.length),
    lines,
    words,
    distinctWords: counts.size,
    topWords: topWords(counts),
  };
}

function lowerAscii(bytes: Uint8Array, start: number, end: number): string {
  let word = '';
  for (let i = start; i < end; i++) word += String.fromCharCode(bytes[i]! | 0x20);
  return word;
}

function entropy(histogram: Float64Array, total: number): number {
  if (total === 0) return 0;
  let bits = 0;
  for (const count of histogram) {
    if (count > 0) {
      const p = count / total;
      bits -= p * Math.log2(p);
    }
  }
  return bits;
}

function topWords(counts: Map<string, number>): { word: string; count: number }[] {
  return [...counts]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, TOP)
    .map(([word, count]) => ({ word, count }));
}
