/**
 * The JSON schema of one report line ({@link ReportRow}): the NDJSON sink serializes rows with
 * fast-json-stringify from it, writing exactly these properties.
 *
 * @module
 */
import type { ReportRow } from './tasks.ts';

const integer = { type: 'integer' } as const;

export const reportSchema = {
  title: 'batch-downloader report row',
  type: 'object',
  properties: {
    name: { type: 'string' },
    url: { type: 'string' },
    bytes: integer,
    sha256: { type: 'string' },
    received: integer,
    resumedFrom: integer,
    attempts: integer,
    entropy: { type: 'number' },
    lines: integer,
    words: integer,
    distinctWords: integer,
    topWords: {
      type: 'array',
      items: {
        type: 'object',
        properties: { word: { type: 'string' }, count: integer },
        required: ['word', 'count'],
      },
    },
  },
  required: ['name', 'url', 'bytes', 'sha256', 'received', 'resumedFrom', 'attempts'],
} as const satisfies {
  title: string;
  type: string;
  properties: Record<keyof ReportRow, unknown>;
  required: readonly (keyof ReportRow)[];
};
