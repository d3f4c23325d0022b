/**
 * Finds the code blocks of a markdown file, with the `<!-- snippet: … -->` directive written
 * on the line just above a block (see docs/snippets/README.md for the convention).
 *
 * @module
 */

/** One fenced code block. */
export interface Block {
  /** The markdown file, relative to the repository root (`docs/concurrency.md`). */
  readonly doc: string;
  /** 1-based line, in the markdown file, of the block's first line of code. */
  readonly line: number;
  /** The fence's language (`ts`, `js`, `sh`…), `''` when none. */
  readonly lang: string;
  readonly code: string;
  /** The file the block is written as: from a first line `// tasks.ts`, else undefined. */
  readonly fileName: string | undefined;
  /** Named preludes put before the block (`prelude=engine,web`). */
  readonly preludes: readonly string[];
  /** Why the block is type-checked but not run (`no-run=…`). */
  readonly noRun: string | undefined;
  /** Why the block is neither type-checked nor run (`skip=…`). */
  readonly skip: string | undefined;
}

const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;
const directive = /^\s*<!--\s*snippet:(.*?)-->\s*$/;
const fileComment = /^\/\/\s*([\w.-]+\.(?:ts|mts|js|mjs))\b/;

/**
 * Every fenced block of `markdown`, in order.
 *
 * @throws Error on an unknown directive key or an unclosed fence, naming the line.
 */
export function extractBlocks(doc: string, markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = fence.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', marker = '', lang = ''] = open;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !(lines[end] ?? '').trimStart().startsWith(marker)) end++;
    if (end === lines.length) throw new Error(`${doc}:${i + 1}: unclosed code fence`);
    const code = lines
      .slice(start, end)
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()))
      .join('\n');
    const options = parseDirective(doc, i, lines);
    blocks.push({
      doc,
      line: start + 1,
      lang,
      code,
      fileName: fileComment.exec(code)?.[1],
      ...options,
    });
    i = end;
  }
  return blocks;
}

type Directive = Pick<Block, 'preludes' | 'noRun' | 'skip'>;

/** Reads the directive on the nearest non-blank line above the fence at `fenceIndex`. */
function parseDirective(doc: string, fenceIndex: number, lines: readonly string[]): Directive {
  let above = fenceIndex - 1;
  while (above >= 0 && (lines[above] ?? '').trim() === '') above--;
  const match = directive.exec(lines[above] ?? '');
  const result: { preludes: string[]; noRun: string | undefined; skip: string | undefined } = {
    preludes: [],
    noRun: undefined,
    skip: undefined,
  };
  if (!match) return result;
  for (const part of (match[1] ?? '').split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = (eq === -1 ? part : part.slice(0, eq)).trim();
    const value = eq === -1 ? '' : part.slice(eq + 1).trim();
    if (key === 'prelude') result.preludes = value.split(',').map((name) => name.trim());
    else if (key === 'no-run' && value !== '') result.noRun = value;
    else if (key === 'skip' && value !== '') result.skip = value;
    else
      throw new Error(
        `${doc}:${above + 1}: unknown snippet directive "${part.trim()}" (expected prelude=a,b; no-run=reason; skip=reason)`,
      );
  }
  return result;
}
