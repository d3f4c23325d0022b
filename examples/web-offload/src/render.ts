/**
 * The CPU work of `POST /render`: markdown → HTML (marked), its word count and a SHA-256
 * digest of the HTML. Linear in the document's size, so a load test picks a size for the
 * cost it wants. One function for every way the service runs it: in Tandem's pool (with
 * `ctx.checkpoint()`), in a plain Piscina pool, or inline on the loop.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { Lexer, type MarkedOptions, Parser } from 'marked';

/** What `POST /render` takes. */
export interface RenderInput {
  readonly markdown: string;
}

/** What `POST /render` answers. */
export interface Rendered {
  readonly html: string;
  /** Words of the markdown source (runs of non-space characters). */
  readonly words: number;
  /** SHA-256 of the HTML, hex. */
  readonly digest: string;
}

// GitHub-flavoured markdown, synchronous (no async extensions).
const options: MarkedOptions = { gfm: true, async: false };

/** Top-level blocks rendered between two checkpoints. */
const SLICE = 32;

/**
 * Renders `markdown`. `checkpoint` is called between slices of the document: in the pool it
 * is `ctx.checkpoint()`, which throws once the task is cancelled, so a client that hangs up
 * stops the work within one slice. (The lexer runs whole, before the first checkpoint: the
 * route's body limit bounds it.)
 */
export function renderMarkdown(markdown: string, checkpoint: () => void = noop): Rendered {
  // The lexer resolves reference links over the whole document, so slices render alone.
  const tokens = Lexer.lex(markdown, options);
  checkpoint();
  const hash = createHash('sha256');
  let html = '';
  for (let i = 0; i < tokens.length; i += SLICE) {
    const part = Parser.parse(tokens.slice(i, i + SLICE), options);
    hash.update(part);
    html += part;
    checkpoint();
  }
  return { html, words: countWords(markdown), digest: hash.digest('hex') };
}

function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // ASCII whitespace and NBSP; other characters belong to words.
    const space = c === 32 || (c >= 9 && c <= 13) || c === 160;
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return words;
}

function noop(): void {}
