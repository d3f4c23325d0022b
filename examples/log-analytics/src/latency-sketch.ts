/**
 * A mergeable latency sketch: a log-linear histogram (as HdrHistogram does it) with 32
 * sub-buckets per power of two, so any quantile it reports is within 1/32 (3.1 %) of the true
 * value. Values below 64 µs are exact. Merging is adding counts, which is associative and
 * commutative: partial sketches merged in any order — the pipeline's completion order — give
 * the same sketch, bit for bit. A t-digest would not.
 *
 * @module
 */

const subBits = 5;
const subBuckets = 1 << subBits; // 32
const exact = subBuckets * 2; // values below 64 get a bucket each
/** Values up to 2^31 - 1 µs (about 36 minutes); larger ones land in the top bucket. */
const maxExponent = 30;
export const sketchBuckets = exact + (maxExponent - subBits) * subBuckets;

/** Bucket counts; a plain typed array so that it crosses threads as one compact copy. */
export type LatencySketch = Float64Array;

export function createSketch(): LatencySketch {
  return new Float64Array(sketchBuckets);
}

/** The bucket of a value in µs (a non-negative integer; larger than 2^31 - 1 is clamped). */
export function bucketOf(micros: number): number {
  if (micros < exact) return micros;
  const value = Math.min(micros, 0x7fffffff);
  const exponent = 31 - Math.clz32(value); // 6…30
  const mantissa = value >>> (exponent - subBits); // 32…63
  return exact + (exponent - subBits - 1) * subBuckets + (mantissa - subBuckets);
}

/** The smallest value (µs) that falls in `bucket`. */
export function lowerBound(bucket: number): number {
  if (bucket < exact) return bucket;
  const exponent = Math.floor((bucket - exact) / subBuckets) + subBits + 1;
  const mantissa = ((bucket - exact) % subBuckets) + subBuckets;
  return mantissa * 2 ** (exponent - subBits);
}

export function record(sketch: LatencySketch, micros: number): void {
  sketch[bucketOf(micros)]! += 1;
}

/** Adds `from`'s counts into `into`. */
export function mergeSketch(into: LatencySketch, from: LatencySketch): void {
  for (let i = 0; i < into.length; i++) into[i]! += from[i]!;
}

/**
 * The `q`-quantile (0 < q ≤ 1) in µs: the lower bound of the bucket holding the
 * ceil(q × n)-th smallest value, or undefined for an empty sketch.
 */
export function quantile(sketch: LatencySketch, q: number): number | undefined {
  let total = 0;
  for (const count of sketch) total += count;
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < sketch.length; i++) {
    seen += sketch[i]!;
    if (seen >= rank) return lowerBound(i);
  }
  return lowerBound(sketch.length - 1);
}
