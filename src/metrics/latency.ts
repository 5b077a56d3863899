// Latency and throughput of a student from a list of timings (one per call). Percentiles use
// linear interpolation between the two nearest ranks — numpy.percentile's default ("linear"):
// for sorted x of length n, the q-th quantile is at fractional index h = (n − 1)·q, i.e.
// x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). With no timings every statistic is null.

/** The q-quantile (q in [0, 1]) of `values`, numpy's linear method. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('the quantile of no values is undefined');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`q must be in [0, 1] (got ${q})`);
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface LatencyStats {
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  meanMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  /** Items per second over the summed timings: Σ items / (Σ ms / 1000). */
  throughputPerSec: number | null;
}

/**
 * Statistics of per-call timings in milliseconds. `itemsPerCall` is how many examples each call
 * handled (a batch size; 1 by default), either one number or one per timing.
 */
export function latencyStats(timingsMs: readonly number[], itemsPerCall: number | readonly number[] = 1): LatencyStats {
  timingsMs.forEach((t, i) => {
    if (!(Number.isFinite(t) && t >= 0)) throw new RangeError(`timing[${i}] = ${t} is not a duration in ms`);
  });
  const items = typeof itemsPerCall === 'number' ? timingsMs.map(() => itemsPerCall) : itemsPerCall;
  if (items.length !== timingsMs.length) throw new RangeError(`${timingsMs.length} timings but ${items.length} item counts`);
  if (timingsMs.length === 0) return { count: 0, p50Ms: null, p95Ms: null, meanMs: null, minMs: null, maxMs: null, throughputPerSec: null };
  const totalMs = timingsMs.reduce((a, b) => a + b, 0);
  const totalItems = items.reduce((a, b) => a + b, 0);
  return {
    count: timingsMs.length,
    p50Ms: quantile(timingsMs, 0.5),
    p95Ms: quantile(timingsMs, 0.95),
    meanMs: totalMs / timingsMs.length,
    minMs: Math.min(...timingsMs),
    maxMs: Math.max(...timingsMs),
    // All calls took 0 ms (a clock too coarse to see them): throughput is unmeasurable, not infinite.
    throughputPerSec: totalMs > 0 ? totalItems / (totalMs / 1000) : null,
  };
}
