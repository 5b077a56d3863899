// Timing for the WASM kernel benchmarks (bench/wasm-*.ts): doubles the repetitions until one
// round takes `minMs`, then gives the median seconds per call of five such rounds.
export function medianSecondsPerCall(fn: () => void, minMs = 60): number {
  fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    if (performance.now() - t0 > minMs) break;
    reps *= 2;
  }
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let n = 0; n < reps; n++) fn();
    rounds.push((performance.now() - t0) / 1000 / reps);
  }
  rounds.sort((a, b) => a - b);
  return rounds[2]!;
}
