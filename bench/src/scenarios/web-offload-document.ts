/**
 * The markdown documents the web-offload scenario posts to `POST /render`: deterministic, of
 * a given size, and made of what a renderer has to work at (headings, emphasis, links, lists,
 * code), so its cost grows with the size whatever the service's renderer is. Built on each
 * side of a process boundary from the size alone (a large body does not fit in an argv).
 *
 * @module
 */

const section = (n: number): string =>
  [
    `## Section ${n}`,
    '',
    `Paragraph ${n} has **bold words**, _emphasis_, \`inline code\` and [a link](https://example.com/${n}),`,
    'followed by plain prose that wraps over a second line, as documents do, & some <angle> text.',
    '',
    `- item ${n}.1 with **strong** text`,
    `- item ${n}.2 with _soft_ text`,
    '',
    '```js',
    `const value${n} = compute(${n});`,
    '```',
    '',
  ].join('\n');

/** A markdown document of exactly `bytes` UTF-16 code units (ASCII: bytes on the wire). */
export function markdownDocument(bytes: number): string {
  const parts = ['# A document\n\n'];
  let length = parts[0]!.length;
  for (let n = 1; length < bytes; n++) {
    const next = section(n);
    parts.push(next);
    length += next.length;
  }
  return parts.join('').slice(0, bytes);
}

/** The body of `POST /render` for a document of `bytes`. */
export function renderBody(bytes: number): string {
  return JSON.stringify({ markdown: markdownDocument(bytes) });
}
