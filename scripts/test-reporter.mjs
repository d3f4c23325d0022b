// The test reporter of `pnpm test`: a dot per test while the run goes, then each failure
// (where, and the error), the tests skipped with their reason, whatever tests wrote to stdout
// or stderr, and last node's own summary as TAP prints it (`# tests N`, `# pass N`,
// `# fail N`…), so the closing lines read the same whichever reporter ran.
import { inspect } from 'node:util';

const COLUMNS = 80;
const SUMMARY = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /;

/** `file:line` of a test, relative to the working directory, when node reports it. */
function where(data) {
  if (!data.file) return data.name;
  const file = data.file.startsWith(process.cwd())
    ? data.file.slice(process.cwd().length + 1)
    : data.file;
  return `${file}:${data.line ?? '?'} ${data.name}`;
}

function indent(text) {
  return text.replace(/^/gm, '  ');
}

export default async function* reporter(source) {
  const failures = [];
  const skipped = [];
  const summary = [];
  let column = 0;
  for await (const { type, data } of source) {
    if (type === 'test:pass' || type === 'test:fail') {
      if (data.details?.type === 'suite') continue;
      let mark = '.';
      if (type === 'test:fail') {
        mark = 'X';
        // A parent that failed only through its subtests is reported through them.
        if (data.details?.error?.failureType !== 'subtestsFailed') failures.push(data);
      } else if (data.skip !== undefined || data.todo !== undefined) {
        mark = ',';
        skipped.push(data);
      }
      yield mark;
      if (++column % COLUMNS === 0) yield '\n';
    } else if (type === 'test:diagnostic' && data.nesting === 0 && SUMMARY.test(data.message)) {
      summary.push(data.message);
    } else if (type === 'test:stdout' || type === 'test:stderr') {
      yield `${column % COLUMNS === 0 ? '' : '\n'}${data.message.trimEnd()}\n`;
      column = 0;
    }
  }
  yield '\n';
  if (failures.length > 0) yield `\nFailed tests:\n`;
  for (const data of failures) {
    const error = data.details?.error;
    yield `\n✖ ${where(data)}\n${indent(inspect(error?.cause ?? error, { depth: 4 }))}\n`;
  }
  if (skipped.length > 0) yield `\nSkipped:\n`;
  for (const data of skipped) {
    const reason = data.skip ?? data.todo;
    yield `﹣ ${where(data)}${typeof reason === 'string' ? ` # ${reason}` : ''}\n`;
  }
  yield '\n';
  for (const line of summary) yield `# ${line}\n`;
}
