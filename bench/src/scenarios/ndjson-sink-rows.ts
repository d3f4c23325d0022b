/**
 * The rows the ndjson-sink scenario serializes: what the batch downloader's report holds per
 * file (url, bytes, sha256, status, ms, and the content analysis from its CPU stage), with the
 * JSON schema that lets fast-json-stringify compile a serializer for them. Deterministic, so
 * every run serializes the same bytes.
 *
 * @module
 */

export interface ReportRow {
  url: string;
  bytes: number;
  sha256: string;
  status: number;
  ms: number;
  analysis: {
    lines: number;
    words: number;
    /** Shannon entropy of the bytes, bits per byte. */
    entropy: number;
    ascii: boolean;
    mime: string;
    topBytes: { byte: number; count: number }[];
  };
}

/** The schema of a row: every property typed, nothing left for a generic fallback. */
export const reportRowSchema = {
  title: 'downloader report row',
  type: 'object',
  properties: {
    url: { type: 'string' },
    bytes: { type: 'integer' },
    sha256: { type: 'string' },
    status: { type: 'integer' },
    ms: { type: 'number' },
    analysis: {
      type: 'object',
      properties: {
        lines: { type: 'integer' },
        words: { type: 'integer' },
        entropy: { type: 'number' },
        ascii: { type: 'boolean' },
        mime: { type: 'string' },
        topBytes: {
          type: 'array',
          items: {
            type: 'object',
            properties: { byte: { type: 'integer' }, count: { type: 'integer' } },
            required: ['byte', 'count'],
          },
        },
      },
      required: ['lines', 'words', 'entropy', 'ascii', 'mime', 'topBytes'],
    },
  },
  required: ['url', 'bytes', 'sha256', 'status', 'ms', 'analysis'],
} as const;

const mimes = ['text/plain', 'application/json', 'text/html; charset=utf-8', 'image/png'];

/** Row `i`, the same for the same `i` in every run. */
export function reportRow(i: number): ReportRow {
  // A cheap integer hash spreads the values; no PRNG state to share between callers.
  const h = Math.imul(i + 1, 2654435761) >>> 0;
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  const bytes = 1_024 + (h % 4_000_000);
  return {
    url: `http://127.0.0.1:41234/files/${i}/data-${hex(h).slice(0, 6)}.bin`,
    bytes,
    sha256: Array.from({ length: 8 }, (_, k) => hex(Math.imul(h ^ k, 0x85ebca6b))).join(''),
    status: h % 17 === 0 ? 206 : 200,
    ms: (h % 80_000) / 1_000 + 20,
    analysis: {
      lines: Math.floor(bytes / 60),
      words: Math.floor(bytes / 7),
      entropy: 4 + (h % 4_000) / 1_000,
      ascii: h % 3 !== 0,
      mime: mimes[h % mimes.length]!,
      topBytes: Array.from({ length: 5 }, (_, k) => ({
        byte: (h >>> (k * 4)) & 255,
        count: Math.floor(bytes / (8 + k * 3)),
      })),
    },
  };
}
