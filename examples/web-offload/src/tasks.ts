/**
 * The task module the engine's workers load: `render` is `renderMarkdown` with the task's
 * cancellation checkpoint, so a cancelled render stops between two slices of its document.
 *
 * @module
 */
import { defineTasks } from '@tandem/workers';
import { type Rendered, type RenderInput, renderMarkdown } from './render.ts';

export default defineTasks({
  render(input: RenderInput, ctx): Rendered {
    return renderMarkdown(input.markdown, () => ctx.checkpoint());
  },
});
