/**
 * One access-log line to a record: Apache's combined format plus a trailing response time in
 * microseconds (`%D`). The same function runs inline, in the pool per batch, and per line, so
 * the three modes can only differ in where it runs.
 *
 * @module
 */

/** What the aggregate needs from one line. */
export interface LogRecord {
  /** The client: an IPv4 address as a 32-bit number (see {@link ipKey}), anything else as text. */
  ip: number | string;
  method: string;
  /** The request path without its query string: `/a?x=1` and `/a?x=2` are one path. */
  path: string;
  status: number;
  /** Response body bytes; `-` in the log (no body) is 0. */
  bytes: number;
  /** Time taken to serve the request, µs. */
  micros: number;
}

// host ident user [time] "method target protocol" status bytes "referer" "agent" micros.
// The quoted fields allow `\"` escapes, written as Friedl's unrolled loop (`[^"\\]*(?:\\.[^"\\]*)*`):
// the same language as `(?:[^"\\]|\\.)*` without an alternation per character.
const combined =
  /^(\S+) \S+ \S+ \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "([A-Z]+) (\S+) HTTP\/[\d.]+" ([1-5]\d\d) (\d+|-) "[^"\\]*(?:\\.[^"\\]*)*" "[^"\\]*(?:\\.[^"\\]*)*" (\d+)$/;

/**
 * Parses one line, or returns undefined when it is not a well-formed combined-log line with a
 * response time (the caller counts it as malformed). A trailing `\r` is ignored.
 */
export function parseLine(line: string): LogRecord | undefined {
  const m = combined.exec(line.endsWith('\r') ? line.slice(0, -1) : line);
  if (m === null) return undefined;
  const target = m[3]!;
  const query = target.indexOf('?');
  const bytes = m[5]!;
  return {
    ip: ipKey(m[1]!),
    method: m[2]!,
    path: query === -1 ? target : target.slice(0, query),
    status: Number(m[4]),
    bytes: bytes === '-' ? 0 : Number(bytes),
    micros: Number(m[6]),
  };
}

/**
 * A dotted-quad IPv4 address as its 32-bit value, or the text itself for anything else (IPv6,
 * a host name). Why: counting clients in a Map keyed by short strings costs about 1 µs a line
 * here (hashing and comparing a fresh substring each time); a number key costs a third of it,
 * and crosses threads without a string copy.
 */
export function ipKey(text: string): number | string {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */ && digits > 0 && dots < 3) {
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3 && !(digits > 0 && part === 0)) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return text;
    } else return text;
  }
  return dots === 3 && digits > 0 ? value * 256 + part : text;
}

/** The text of a client key: dotted quad for a number from {@link ipKey}. */
export function ipText(key: number | string): string {
  if (typeof key === 'string') return key;
  return `${key >>> 24}.${(key >>> 16) & 255}.${(key >>> 8) & 255}.${key & 255}`;
}
