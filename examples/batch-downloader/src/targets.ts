/**
 * What to download: `{ name, url }` pairs, from a URL list file or the fixture's manifest.
 * The name is the file's name in the output folder and the checkpoint key, so it must be
 * stable from run to run (a resumed run has the fixture on new ports) and unique in the list.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export interface Target {
  readonly name: string;
  readonly url: string;
}

/**
 * Reads a URL list: one URL a line; blank lines and lines starting with `#` are skipped.
 * A line that is not a URL is kept: its download fails (and is dead-lettered), the run goes on.
 */
export async function readUrlList(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Names for `urls`, in order: the last path segment, made safe for a file name; when it is
 * empty or already taken, prefixed with 8 hex digits of the URL's SHA-256. The same list
 * always gets the same names. A URL listed twice is downloaded once.
 */
export function targetsFor(urls: readonly string[]): Target[] {
  const taken = new Set<string>();
  const seen = new Set<string>();
  const targets: Target[] = [];
  for (const url of urls) {
    if (seen.has(url)) continue;
    seen.add(url);
    const base = safeName(lastSegment(url));
    let name = base;
    if (name === '' || taken.has(name)) {
      const hash = createHash('sha256').update(url).digest('hex').slice(0, 8);
      name = base === '' ? hash : `${hash}-${base}`;
    }
    taken.add(name);
    targets.push({ name, url });
  }
  return targets;
}

/** The host of `url` (the per-host limiter's key), or `''` for a string that is not a URL. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

function lastSegment(url: string): string {
  try {
    const segment = new URL(url).pathname.split('/').pop() ?? '';
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

function safeName(name: string): string {
  // Keep letters, digits, dot, dash, underscore; no leading dots (no hidden or `..` names),
  // and short enough for any file system, leaving room for `.part.json`.
  return name
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^\.+/, '')
    .slice(0, 120);
}
