/**
 * TypeScript task modules. Node 20 does not pass `--import tsx` (or any loader) from the main
 * thread to worker threads (nodejs/node#47747, fixed in Node 22.2), so a worker that is about to
 * load a `.ts` task module registers tsx itself, resolved from the task module's own folder.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

interface TsxManifest {
  exports: { './esm/api': { import: { default: string } } };
}

/** True for `.ts`, `.mts` and `.cts` URLs. */
export function isTypeScript(url: string): boolean {
  return /\.[mc]?ts$/.test(new URL(url).pathname);
}

/**
 * Registers tsx's ESM loader in this thread.
 *
 * @throws Error when tsx cannot be found from the task module: install it (`pnpm add -D tsx`)
 * or point `tasks` at compiled JavaScript.
 */
export async function registerTypeScript(taskModuleUrl: string): Promise<void> {
  let api: URL;
  try {
    // `require.resolve` would pick the CommonJS build; take the ESM one the package exports.
    const manifestPath = createRequire(taskModuleUrl).resolve('tsx/package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as TsxManifest;
    api = new URL(manifest.exports['./esm/api'].import.default, pathToFileURL(manifestPath));
  } catch (cause) {
    throw new Error(
      `The task module ${taskModuleUrl} is TypeScript, and loading it in a worker needs tsx: install tsx, or point "tasks" at compiled JavaScript.`,
      { cause },
    );
  }
  const { register } = (await import(api.href)) as { register(): unknown };
  register();
}
