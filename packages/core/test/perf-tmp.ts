import { Engine } from '@tandem/core';

const engine = await Engine.start({
  tasks: new URL('./fixtures/pipeline-tasks.ts', import.meta.url),
  threads: 1,
});
function* range(n: number) {
  for (let i = 0; i < n; i++) yield i;
}
const n = 300_000;
const arr = [...range(n)];
for (let round = 0; round < 4; round++) {
  let t = performance.now();
  await engine.map('square' as never, arr as never, { batch: 256 });
  const base = (n / (performance.now() - t)) * 1000;
  const row = [`map ${base.toFixed(0)}/s`];
  for (const [batch, conc] of [
    ['auto', 2],
    [256, 2],
    [512, 2],
    ['auto', 4],
  ] as const) {
    t = performance.now();
    await engine
      .pipeline(range(n), { buffer: 256 })
      .cpu('square' as never, { batch, concurrency: conc })
      .run();
    row.push(`${batch}/${conc} ${(((n / (performance.now() - t)) * 1000) / base).toFixed(2)}x`);
  }
  console.log(row.join(' | '));
}
await engine.close();
