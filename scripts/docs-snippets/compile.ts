/**
 * Type-checks every block of a snippet project in one TypeScript program, under the
 * repository's own settings (`tsconfig.base.json`: strict, `exactOptionalPropertyTypes`,
 * `noUncheckedIndexedAccess`, NodeNext), and emits the TypeScript blocks as JavaScript.
 * JavaScript blocks are checked (`checkJs`) but run as written: Node 20 must parse them as
 * they are (no `await using` there).
 *
 * @module
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import type { SnippetProject } from './project.js';

/** The compiler options: the repository's base, emitting into the project's `out/`. */
function compilerOptions(root: string, project: SnippetProject): ts.CompilerOptions {
  const file = join(root, 'tsconfig.base.json');
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, file);
  return {
    ...options,
    rootDir: project.srcDir,
    outDir: project.outDir,
    noEmit: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    composite: false,
    // A block without import or export is still a module (top-level await, its own scope).
    moduleDetection: ts.ModuleDetectionKind.Force,
    allowJs: true,
    checkJs: true,
    typeRoots: [join(root, 'node_modules/@types')],
  };
}

/** Where a diagnostic points, in the docs' terms: `README.md:42` or `docs/snippets/web.ts:9`. */
function locate(project: SnippetProject, diagnostic: ts.Diagnostic): string {
  const { file, start } = diagnostic;
  if (!file || start === undefined) return '(project)';
  const line = file.getLineAndCharacterOfPosition(start).line;
  const snippet = project.files.find((f) => f.source === file.fileName);
  if (!snippet) {
    const fixture = relative(join(project.srcDir, 'snippets'), file.fileName);
    return fixture.startsWith('..') ? file.fileName : `docs/snippets/${fixture}:${line + 1}`;
  }
  const { block, lineOffset } = snippet;
  if (line < lineOffset) {
    return `${block.doc}:${block.line} (in its prelude ${block.preludes.join(', ')}, line ${line + 1})`;
  }
  return `${block.doc}:${block.line + line - lineOffset}`;
}

/**
 * Checks and emits the project. Emits even when there are errors, so the blocks that do
 * compile can still run.
 *
 * @returns One line per diagnostic, `README.md:42: error TS2339: …`; empty when all is well.
 */
export function compileProject(root: string, project: SnippetProject): string[] {
  const options = compilerOptions(root, project);
  const program = ts.createProgram({
    rootNames: [...project.fixtures, ...project.files.map((f) => f.source)],
    options,
  });
  const js = new Set(project.files.filter((f) => f.block.lang === 'js').map((f) => f.output));
  program.emit(undefined, (fileName, text) => {
    if (js.has(fileName)) return; // copied as written below
    mkdirSync(dirname(fileName), { recursive: true });
    ts.sys.writeFile(fileName, text);
  });
  for (const file of project.files) {
    if (file.block.lang !== 'js') continue;
    mkdirSync(dirname(file.output), { recursive: true });
    copyFileSync(file.source, file.output);
  }
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
    return `${locate(project, diagnostic)}: error TS${diagnostic.code}: ${message}`;
  });
}
