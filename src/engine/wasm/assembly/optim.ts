// The optimizer's kernels over every parameter in one call (the WASM twins of optim.ts's adamw,
// clip:sumSquares and clip:scale, which WebGPU dispatches once per tensor). A table in memory
// lists the tensors, five i32 words each; parts split the tensors' elements laid end to end (the
// sums: fixed chunks), so each element and each partial is computed wholly by one part in a fixed
// order and results are bit-identical for any `parts`. Scalar tails do the same f32 operations
// as the vector lanes, so where a part's range starts does not change a bit either.
import { share } from './vec';

const WORDS: i32 = 5;

// @ts-ignore: decorator
@inline function word(table: usize, t: i32, w: i32): i32 {
  return load<i32>(table + ((<usize>(t * WORDS + w)) << 2));
}

/** Σ of word w over the table's tensors. */
function total(table: usize, count: i32, w: i32): i32 {
  let n = 0;
  for (let t = 0; t < count; t++) n += word(table, t, w);
  return n;
}

/**
 * AdamW (optim.ts ADAMW_WGSL) over tensors (p, g, m, v, n) — byte offsets and a float count —
 * with the gradient first multiplied by coef[0] when coef ≠ 0 (the clip coefficient, fused).
 */
export function adamwAll(table: usize, count: i32, coef: usize, beta1: f32, beta2: f32, eps: f32, decay: f32, stepSize: f32, bc2Sqrt: f32, part: i32, parts: i32, scratch: usize): void {
  const all = total(table, count, 4);
  const start = share(all, part, parts);
  const end = share(all, part + 1, parts);
  const c: f32 = coef != 0 ? load<f32>(coef) : 1;
  const omb1: f32 = 1 - beta1;
  const omb2: f32 = 1 - beta2;
  const cv = f32x4.splat(c);
  const b1v = f32x4.splat(beta1);
  const b2v = f32x4.splat(beta2);
  const o1v = f32x4.splat(omb1);
  const o2v = f32x4.splat(omb2);
  const epsv = f32x4.splat(eps);
  const dv = f32x4.splat(decay);
  const sv = f32x4.splat(stepSize);
  const bv = f32x4.splat(bc2Sqrt);
  let first = 0;
  for (let t = 0; t < count && first < end; t++) {
    const n = word(table, t, 4);
    const lo = max(start - first, 0);
    const hi = min(end - first, n);
    first += n;
    if (lo >= hi) continue;
    const p = <usize>word(table, t, 0);
    const g = <usize>word(table, t, 1);
    const m = <usize>word(table, t, 2);
    const v = <usize>word(table, t, 3);
    let i = lo;
    for (; i + 4 <= hi; i += 4) {
      const o = <usize>i << 2;
      let gi = v128.load(g + o);
      if (coef != 0) gi = f32x4.mul(gi, cv);
      const mi = f32x4.add(f32x4.mul(b1v, v128.load(m + o)), f32x4.mul(o1v, gi));
      const vi = f32x4.add(f32x4.mul(b2v, v128.load(v + o)), f32x4.mul(f32x4.mul(o2v, gi), gi));
      v128.store(m + o, mi);
      v128.store(v + o, vi);
      const step = f32x4.div(f32x4.mul(sv, mi), f32x4.add(f32x4.div(f32x4.sqrt(vi), bv), epsv));
      v128.store(p + o, f32x4.sub(f32x4.mul(v128.load(p + o), dv), step));
    }
    for (; i < hi; i++) {
      const o = <usize>i << 2;
      let gi = load<f32>(g + o);
      if (coef != 0) gi *= c;
      const mi = beta1 * load<f32>(m + o) + omb1 * gi;
      const vi = beta2 * load<f32>(v + o) + omb2 * gi * gi;
      store<f32>(m + o, mi);
      store<f32>(v + o, vi);
      store<f32>(p + o, load<f32>(p + o) * decay - (stepSize * mi) / (Mathf.sqrt(vi) / bc2Sqrt + eps));
    }
  }
}

/**
 * clip:sumSquares over tensors (x, n, offset, groups, unused): partials[offset + c] = Σ x² over
 * the c-th of `groups` equal chunks of x (the WGSL kernel's layout; clip:total adds them all),
 * accumulated in f64 lanes. Parts split the chunks of all tensors.
 */
export function sumSquaresAll(table: usize, count: i32, partials: usize, part: i32, parts: i32, scratch: usize): void {
  const chunks = total(table, count, 3);
  const start = share(chunks, part, parts);
  const end = share(chunks, part + 1, parts);
  let first = 0;
  for (let t = 0; t < count && first < end; t++) {
    const groups = word(table, t, 3);
    const lo = max(start - first, 0);
    const hi = min(end - first, groups);
    first += groups;
    if (lo >= hi) continue;
    const x = <usize>word(table, t, 0);
    const n = word(table, t, 1);
    const offset = word(table, t, 2);
    const size = (n + groups - 1) / groups;
    for (let c = lo; c < hi; c++) {
      const from = min(c * size, n);
      const to = min(from + size, n);
      let acc = f64x2.splat(0);
      let i = from;
      for (; i + 2 <= to; i += 2) {
        const d = f64x2.promote_low_f32x4(v128.load64_zero(x + (<usize>i << 2)));
        acc = f64x2.add(acc, f64x2.mul(d, d));
      }
      let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
      if (i < to) {
        const d = <f64>load<f32>(x + (<usize>i << 2));
        s += d * d;
      }
      store<f32>(partials + ((<usize>(offset + c)) << 2), <f32>s);
    }
  }
}

/** clip:scale over tensors (x, n, …): x *= s[0] (also kdLoss:scaleByScalar, one tensor). */
export function scaleAll(table: usize, count: i32, s: usize, part: i32, parts: i32, scratch: usize): void {
  const all = total(table, count, 1);
  const start = share(all, part, parts);
  const end = share(all, part + 1, parts);
  const k = load<f32>(s);
  const kv = f32x4.splat(k);
  let first = 0;
  for (let t = 0; t < count && first < end; t++) {
    const n = word(table, t, 1);
    const lo = max(start - first, 0);
    const hi = min(end - first, n);
    first += n;
    if (lo >= hi) continue;
    const x = <usize>word(table, t, 0);
    let i = lo;
    for (; i + 4 <= hi; i += 4) v128.store(x + (<usize>i << 2), f32x4.mul(v128.load(x + (<usize>i << 2)), kv));
    for (; i < hi; i++) store<f32>(x + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) * k);
  }
}
