/**
 * The server side of resumable downloads (RFC 9110 §14 and §13.1.5): which part of a file a
 * `Range` + `If-Range` request gets. Kept apart from the server so it reads as the rules.
 *
 * @module
 */

/** What to send: the whole file (200), a slice (206), or nothing satisfiable (416). */
export type RangeAnswer =
  | { readonly status: 200 }
  | { readonly status: 206; readonly start: number; readonly end: number }
  | { readonly status: 416 };

/** The validators of the file as it is now. */
export interface Validators {
  readonly etag: string;
  readonly lastModified: string;
}

/**
 * If-Range: range processing only when the validator matches the current file. An entity
 * tag must match strongly (a weak tag never does); a date must equal `Last-Modified` exactly.
 */
export function ifRangeMatches(ifRange: string, current: Validators): boolean {
  const value = ifRange.trim();
  if (value.startsWith('W/')) return false;
  if (value.startsWith('"')) return value === current.etag;
  return value === current.lastModified;
}

/**
 * The answer for `range` (the `Range` header, if any) and `ifRange` on a file of `size`
 * bytes. Anything but one `bytes=` range is served whole, as RFC 9110 allows.
 */
export function answerRange(
  range: string | undefined,
  ifRange: string | undefined,
  size: number,
  current: Validators,
): RangeAnswer {
  if (range === undefined) return { status: 200 };
  if (ifRange !== undefined && !ifRangeMatches(ifRange, current)) return { status: 200 };
  const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!match || (match[1] === '' && match[2] === '')) return { status: 200 };
  const [, first = '', last = ''] = match;
  if (first === '') {
    // A suffix range: the last N bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return { status: 416 };
    return { status: 206, start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return { status: 416 };
  return { status: 206, start, end };
}
