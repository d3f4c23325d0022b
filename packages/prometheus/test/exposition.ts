/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for tests: it
 * throws on anything a Prometheus server would reject or that prom-client should never write
 * (a sample before its TYPE, a HELP or TYPE twice, a series twice, a bad name, label or value,
 * a histogram line with an unknown suffix).
 */

export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum`…). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | undefined;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const series = new Set<string>();
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const where = `line ${i + 1}: ${line}`;
      try {
        parseLine(line, families, series);
      } catch (error) {
        throw new Error(`${where}: ${(error as Error).message}`);
      }
    });
  return families;
}

function parseLine(line: string, families: Map<string, Family>, series: Set<string>): void {
  if (line === '') return;
  const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
  if (meta) {
    const [, kind, name = '', rest = ''] = meta;
    if (!NAME.test(name)) throw new Error(`bad metric name ${name}`);
    const family = families.get(name);
    if (kind === 'HELP') {
      if (family?.help !== undefined) throw new Error('a second HELP');
      if (family) family.help = unescapeText(rest, false);
      else
        families.set(name, { name, type: 'untyped', help: unescapeText(rest, false), samples: [] });
    } else {
      if (!TYPES.has(rest)) throw new Error(`unknown type ${rest}`);
      if (family && (family.samples.length > 0 || family.type !== 'untyped')) {
        throw new Error('TYPE after samples, or twice');
      }
      const type = rest as Family['type'];
      if (family) family.type = type;
      else families.set(name, { name, type, help: undefined, samples: [] });
    }
    return;
  }
  if (line.startsWith('#')) return;
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
  if (!match) throw new Error('not a sample line');
  const [, name = '', labelText, valueText = ''] = match;
  const labels = labelText === undefined ? {} : parseLabels(labelText);
  const value = parseValue(valueText);
  const family = familyOf(name, families);
  const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
  if (series.has(key)) throw new Error('a series given twice');
  series.add(key);
  if (family.type === 'histogram' && name.endsWith('_bucket') && labels.le === undefined) {
    throw new Error('a bucket without le');
  }
  family.samples.push({ name, labels, value });
}

function familyOf(name: string, families: Map<string, Family>): Family {
  const own = families.get(name);
  if (own && own.type !== 'histogram' && own.type !== 'summary') return own;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = families.get(name.slice(0, -suffix.length));
    if (base?.type === 'histogram') return base;
    if (base?.type === 'summary' && suffix !== '_bucket') return base;
  }
  throw new Error(`sample ${name} has no TYPE before it`);
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const m = /^([^=]+)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
    if (!m) throw new Error(`bad labels ${text}`);
    const [whole, label = '', raw = ''] = m;
    if (!LABEL.test(label) || label.startsWith('__')) throw new Error(`bad label name ${label}`);
    if (Object.hasOwn(labels, label)) throw new Error(`label ${label} twice`);
    labels[label] = unescapeText(raw, true);
    rest = rest.slice(whole.length);
  }
  return labels;
}

function unescapeText(text: string, quotes: boolean): string {
  return text.replace(/\\(.)/g, (whole, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    if (c === '"' && quotes) return '"';
    throw new Error(`bad escape ${whole}`);
  });
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${text}`);
  return Number(text);
}

/** The one sample of `name` whose labels are exactly `labels`. */
export function sampleValue(
  families: Map<string, Family>,
  family: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  const samples = families.get(family)?.samples ?? [];
  const want = JSON.stringify(Object.entries(labels).sort());
  const found = samples.filter(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want,
  );
  if (found.length !== 1) {
    throw new Error(`expected one sample ${name}${want}, found ${found.length}`);
  }
  return (found[0] as Sample).value;
}

/**
 * Checks every histogram of the exposition: per label set, `le` bounds strictly increasing
 * and ending in `+Inf`, cumulative counts never decreasing, `+Inf` equal to `_count`, a
 * `_sum` that is finite and >= 0 (every observation here is a duration).
 */
export function checkHistograms(families: Map<string, Family>): number {
  let checked = 0;
  for (const family of families.values()) {
    if (family.type !== 'histogram') continue;
    const groups = new Map<string, Sample[]>();
    for (const sample of family.samples) {
      const { le: _le, ...rest } = sample.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      groups.set(key, [...(groups.get(key) ?? []), sample]);
    }
    for (const [key, samples] of groups) {
      const where = `${family.name}${key}`;
      const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
      const count = samples.find((s) => s.name === `${family.name}_count`);
      const sum = samples.find((s) => s.name === `${family.name}_sum`);
      if (!count || !sum || buckets.length < 2) throw new Error(`${where}: incomplete`);
      const bounds = buckets.map((b) => parseValue(b.labels.le as string));
      if (bounds.at(-1) !== Number.POSITIVE_INFINITY) throw new Error(`${where}: no +Inf`);
      for (let i = 1; i < buckets.length; i++) {
        if (!((bounds[i] as number) > (bounds[i - 1] as number))) {
          throw new Error(`${where}: le not increasing`);
        }
        if ((buckets[i] as Sample).value < (buckets[i - 1] as Sample).value) {
          throw new Error(`${where}: cumulative count decreases`);
        }
      }
      if ((buckets.at(-1) as Sample).value !== count.value) {
        throw new Error(`${where}: +Inf bucket differs from _count`);
      }
      if (!Number.isFinite(sum.value) || sum.value < 0) throw new Error(`${where}: bad _sum`);
      if (count.value === 0 && sum.value !== 0) throw new Error(`${where}: _sum without count`);
      checked++;
    }
  }
  return checked;
}
