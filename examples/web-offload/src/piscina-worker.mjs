// The comparison peer's worker (`--cpu piscina`): the same `renderMarkdown`, run by a plain
// Piscina pool. Node 20 does not pass `--import tsx` on to worker threads, so this plain
// JavaScript entry registers tsx itself before it loads the TypeScript.
import { register } from 'tsx/esm/api';

register();
const { renderMarkdown } = await import('./render.ts');

/** @param {{ markdown: string }} input */
export default function render(input) {
  return renderMarkdown(input.markdown);
}
