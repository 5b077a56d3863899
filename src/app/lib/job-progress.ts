// Throughput and time left of a long job (labelling, importing), from counts and elapsed time.

/** Items per second; null until there is something to measure. */
export function throughput(done: number, elapsedMs: number): number | null {
  if (done <= 0 || elapsedMs < 250) return null;
  return done / (elapsedMs / 1000);
}

/** Seconds left at the throughput so far; null when it cannot be told yet. */
export function etaSeconds(done: number, total: number, elapsedMs: number): number | null {
  const rate = throughput(done, elapsedMs);
  if (rate === null) return null;
  return Math.max(0, total - done) / rate;
}

/** done / total in [0, 1] for a progress bar (0 when there is nothing to do). */
export function fractionDone(done: number, total: number): number {
  return total <= 0 ? 0 : Math.min(1, Math.max(0, done / total));
}
