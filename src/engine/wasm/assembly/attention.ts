// Fused scaled dot-product attention (the WASM twins of src/engine/ops/attention.ts's WGSL
// kernels): q [B, T, nH, D], k and v [B, S, nKV, D], an optional f32 key mask [B, S]
// (pointer 0 = none), grouped-query heads (nKV divides nH), causal with a query offset.
// Query i sees key j when mask[b, j] != 0 (with a mask) and (not causal or j ≤ offset + i).
// A query with no visible key outputs zeros and log-sum-exp 0.
//
// Layout of the work: per (batch row, head) the kv head's keys are staged in scratch, keys
// transposed (D × S', S' = S rounded up to 8) so that a block of scores q·kᵀ is SIMD over keys
// (no horizontal sums, any D), values padded to rows of D' = D rounded up to 4 so that P·V is
// SIMD over the head size. Keys a query can never see (masked, past the causal end, padding) are
// staged as zeros, so whatever sits there cannot leak a NaN. The softmax of a block of 4
// queries runs over the block's scores in scratch (exact max, then exp), not online. The
// backward kernels recompute p = exp(s − lse) the same way, their two score matrices (q·k and
// dO·v) as separate 4 × 8 blocks. With fewer than DIRECT_T queries per head (decode steps) the
// forward kernel skips staging and reads the visible keys in place.
//
// Threads: the forward and query-gradient kernels split the B·nH (batch, head) pairs, the key
// kernel the B·nKV (batch, kv head) pairs, across parts; a pair's outputs are computed wholly by
// one part in the same order whatever `parts` is, so results are bit-identical on any number of
// threads. gk and gv sum over the query heads of a kv group in ascending head order.

import { exp4, hmax, hsum, share } from './vec';

const NEG: f32 = -1.0e30;

// ---- vector helpers --------------------------------------------------------------------------

/** Lane indices 0, 1, 2, 3 (as i32). */
// @ts-ignore: decorator
@inline function iota(): v128 {
  return i32x4(0, 1, 2, 3);
}

/** Writes the first `n` (≤ 4) lanes of v to p; all four with one store when n = 4. */
// @ts-ignore: decorator
@inline function storeLanes(p: usize, v: v128, n: i32): void {
  if (n >= 4) v128.store(p, v);
  else {
    store<f32>(p, f32x4.extract_lane(v, 0));
    if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
    if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
  }
}

// @ts-ignore: decorator
@inline function roundUp(x: i32, m: i32): i32 {
  return (x + m - 1) & ~(m - 1);
}

// @ts-ignore: decorator
@inline function align16(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

// ---- staging ---------------------------------------------------------------------------------

/** Copies D floats of a row to dst and zeros dst[D, Dp) (SIMD over whole chunks, then the tail). */
// @ts-ignore: decorator
@inline function copyRow(src: usize, dst: usize, D: i32, Dp: i32): void {
  let d = 0;
  for (; d + 4 <= D; d += 4) v128.store(dst + ((<usize>d) << 2), v128.load(src + ((<usize>d) << 2)));
  if (d < D) {
    v128.store(dst + ((<usize>d) << 2), f32x4.splat(0));
    for (; d < D; d++) store<f32>(dst + ((<usize>d) << 2), load<f32>(src + ((<usize>d) << 2)));
  }
}

/** dst [Dp][n] = src [n][Dp] transposed (n and Dp multiples of 4), by 4 × 4 blocks of shuffles. */
function transpose(src: usize, dst: usize, n: i32, Dp: i32): void {
  const rs = (<usize>Dp) << 2;
  const ts = (<usize>n) << 2;
  for (let j = 0; j < n; j += 4) {
    const s0 = src + <usize>j * rs;
    for (let d = 0; d < Dp; d += 4) {
      const o = (<usize>d) << 2;
      const r0 = v128.load(s0 + o);
      const r1 = v128.load(s0 + rs + o);
      const r2 = v128.load(s0 + 2 * rs + o);
      const r3 = v128.load(s0 + 3 * rs + o);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const d0 = dst + <usize>d * ts + ((<usize>j) << 2);
      v128.store(d0, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(d0 + ts, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
      v128.store(d0 + 2 * ts, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
      v128.store(d0 + 3 * ts, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
    }
  }
}

/**
 * Stages the keys j < Sp of (b, kv head kh) into scratch, zeros where j ≥ end or masked:
 * kp / vp = keys / values as rows of Dp; kt / vt (when nonzero) = their transposes [Dp][Sp];
 * vis[j] = -1 where visible else 0.
 */
function stageKeys(k: usize, v: usize, mask: usize, b: i32, S: i32, nKV: i32, kh: i32, D: i32, end: i32, Sp: i32, Dp: i32, kp: usize, vp: usize, kt: usize, vt: usize, vis: usize): void {
  const rs = (<usize>Dp) << 2;
  for (let j = 0; j < Sp; j++) {
    let ok = j < end;
    if (ok && mask != 0) ok = load<f32>(mask + ((<usize>(b * S + j)) << 2)) != 0;
    store<i32>(vis + (<usize>j << 2), ok ? -1 : 0);
    const dst = <usize>j * rs;
    if (ok) {
      const src = (<usize>(((b * S + j) * nKV + kh) * D)) << 2;
      copyRow(k + src, kp + dst, D, Dp);
      copyRow(v + src, vp + dst, D, Dp);
    } else {
      memory.fill(kp + dst, 0, rs);
      memory.fill(vp + dst, 0, rs);
    }
  }
  if (kt != 0) transpose(kp, kt, Sp, Dp);
  if (vt != 0) transpose(vp, vt, Sp, Dp);
}

/**
 * Scores of 4 query rows (pointers q0..q3, D floats each) against keys j0..j0+7 from the
 * transposed keys kt [D][Sp], times scale, with invisible keys set to NEG; stored to
 * dst + r·Sp + j0. lim_r: query r sees keys j ≤ lim_r.
 */
// @ts-ignore: decorator
@inline function scores4x8(q0: usize, q1: usize, q2: usize, q3: usize, kt: usize, Sp: i32, D: i32, j0: i32, scale: f32, vis: usize, lim0: i32, lim1: i32, lim2: i32, lim3: i32, dst: usize): void {
  let a0 = f32x4.splat(0), b0 = f32x4.splat(0), a1 = f32x4.splat(0), b1 = f32x4.splat(0);
  let a2 = f32x4.splat(0), b2 = f32x4.splat(0), a3 = f32x4.splat(0), b3 = f32x4.splat(0);
  let p = kt + ((<usize>j0) << 2);
  const stride = (<usize>Sp) << 2;
  for (let d = 0; d < D; d++) {
    const ka = v128.load(p);
    const kb = v128.load(p, 16);
    const o = (<usize>d) << 2;
    const x0 = v128.load32_splat(q0 + o);
    const x1 = v128.load32_splat(q1 + o);
    const x2 = v128.load32_splat(q2 + o);
    const x3 = v128.load32_splat(q3 + o);
    a0 = f32x4.add(a0, f32x4.mul(x0, ka)); b0 = f32x4.add(b0, f32x4.mul(x0, kb));
    a1 = f32x4.add(a1, f32x4.mul(x1, ka)); b1 = f32x4.add(b1, f32x4.mul(x1, kb));
    a2 = f32x4.add(a2, f32x4.mul(x2, ka)); b2 = f32x4.add(b2, f32x4.mul(x2, kb));
    a3 = f32x4.add(a3, f32x4.mul(x3, ka)); b3 = f32x4.add(b3, f32x4.mul(x3, kb));
    p += stride;
  }
  const sc = f32x4.splat(scale);
  const neg = f32x4.splat(NEG);
  const ja = i32x4.add(i32x4.splat(j0), iota());
  const jb = i32x4.add(ja, i32x4.splat(4));
  const va = v128.load(vis + ((<usize>j0) << 2));
  const vb = v128.load(vis + ((<usize>j0) << 2), 16);
  const base = dst + ((<usize>j0) << 2);
  let l = i32x4.splat(lim0);
  v128.store(base, v128.bitselect(f32x4.mul(a0, sc), neg, v128.and(va, i32x4.le_s(ja, l))));
  v128.store(base, v128.bitselect(f32x4.mul(b0, sc), neg, v128.and(vb, i32x4.le_s(jb, l))), 16);
  l = i32x4.splat(lim1);
  const r1 = base + stride;
  v128.store(r1, v128.bitselect(f32x4.mul(a1, sc), neg, v128.and(va, i32x4.le_s(ja, l))));
  v128.store(r1, v128.bitselect(f32x4.mul(b1, sc), neg, v128.and(vb, i32x4.le_s(jb, l))), 16);
  l = i32x4.splat(lim2);
  const r2 = r1 + stride;
  v128.store(r2, v128.bitselect(f32x4.mul(a2, sc), neg, v128.and(va, i32x4.le_s(ja, l))));
  v128.store(r2, v128.bitselect(f32x4.mul(b2, sc), neg, v128.and(vb, i32x4.le_s(jb, l))), 16);
  l = i32x4.splat(lim3);
  const r3 = r2 + stride;
  v128.store(r3, v128.bitselect(f32x4.mul(a3, sc), neg, v128.and(va, i32x4.le_s(ja, l))));
  v128.store(r3, v128.bitselect(f32x4.mul(b3, sc), neg, v128.and(vb, i32x4.le_s(jb, l))), 16);
}

/** One query row's scores against keys j0..j0+7 (see scores4x8). */
// @ts-ignore: decorator
@inline function scores1x8(q0: usize, kt: usize, Sp: i32, D: i32, j0: i32, scale: f32, vis: usize, lim0: i32, dst: usize): void {
  let a0 = f32x4.splat(0), b0 = f32x4.splat(0);
  let p = kt + ((<usize>j0) << 2);
  const stride = (<usize>Sp) << 2;
  for (let d = 0; d < D; d++) {
    const x0 = v128.load32_splat(q0 + ((<usize>d) << 2));
    a0 = f32x4.add(a0, f32x4.mul(x0, v128.load(p)));
    b0 = f32x4.add(b0, f32x4.mul(x0, v128.load(p, 16)));
    p += stride;
  }
  const sc = f32x4.splat(scale);
  const neg = f32x4.splat(NEG);
  const ja = i32x4.add(i32x4.splat(j0), iota());
  const jb = i32x4.add(ja, i32x4.splat(4));
  const l = i32x4.splat(lim0);
  const base = dst + ((<usize>j0) << 2);
  v128.store(base, v128.bitselect(f32x4.mul(a0, sc), neg, v128.and(v128.load(vis + ((<usize>j0) << 2)), i32x4.le_s(ja, l))));
  v128.store(base, v128.bitselect(f32x4.mul(b0, sc), neg, v128.and(v128.load(vis + ((<usize>j0) << 2), 16), i32x4.le_s(jb, l))), 16);
}

/**
 * Softmax in place over row[0, n) (n a multiple of 4; NEG marks invisible keys, which get 0).
 * Returns the row's sum of exponentials; its max is left in rowMax.
 */
let rowMax: f32 = 0; // a wasm global: each thread's instance has its own

// @ts-ignore: decorator
@inline function softmaxRow(row: usize, n: i32): f32 {
  let m = f32x4.splat(NEG);
  for (let j = 0; j < n; j += 4) m = f32x4.pmax(m, v128.load(row + ((<usize>j) << 2)));
  const mx = hmax(m);
  const mv = f32x4.splat(mx);
  const half = f32x4.splat(NEG * 0.5);
  let s = f32x4.splat(0);
  for (let j = 0; j < n; j += 4) {
    const p = row + ((<usize>j) << 2);
    const x = v128.load(p);
    const e = v128.and(exp4(f32x4.sub(x, mv)), f32x4.gt(x, half));
    v128.store(p, e);
    s = f32x4.add(s, e);
  }
  rowMax = mx;
  return hsum(s);
}

/**
 * acc_r[c..c+4] = Σ_{j<n} w[r·Sp + j] · rows[j·Dp + c..] for 4 weight rows, every c < Dp, each
 * written to out_r (D real floats) times f_r.
 */
// @ts-ignore: decorator
@inline function weighted4(w: usize, Sp: i32, n: i32, rows: usize, Dp: i32, D: i32, o0: usize, o1: usize, o2: usize, o3: usize, f0: f32, f1: f32, f2: f32, f3: f32): void {
  const stride = (<usize>Sp) << 2;
  const rs = (<usize>Dp) << 2;
  let c = 0;
  // Two chunks (8 floats) of the 4 rows at a time: 2 loads and 4 splats feed 8 products.
  for (; c + 8 <= Dp; c += 8) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    let wp = w;
    let vp = rows + ((<usize>c) << 2);
    for (let j = 0; j < n; j++) {
      const x = v128.load(vp);
      const y = v128.load(vp, 16);
      const w0 = v128.load32_splat(wp);
      const w1 = v128.load32_splat(wp + stride);
      const w2 = v128.load32_splat(wp + 2 * stride);
      const w3 = v128.load32_splat(wp + 3 * stride);
      a0 = f32x4.add(a0, f32x4.mul(w0, x)); b0 = f32x4.add(b0, f32x4.mul(w0, y));
      a1 = f32x4.add(a1, f32x4.mul(w1, x)); b1 = f32x4.add(b1, f32x4.mul(w1, y));
      a2 = f32x4.add(a2, f32x4.mul(w2, x)); b2 = f32x4.add(b2, f32x4.mul(w2, y));
      a3 = f32x4.add(a3, f32x4.mul(w3, x)); b3 = f32x4.add(b3, f32x4.mul(w3, y));
      wp += 4;
      vp += rs;
    }
    const cnt = min(4, D - c);
    const cnt2 = min(4, D - c - 4);
    const off = (<usize>c) << 2;
    storeLanes(o0 + off, f32x4.mul(a0, f32x4.splat(f0)), cnt);
    storeLanes(o1 + off, f32x4.mul(a1, f32x4.splat(f1)), cnt);
    storeLanes(o2 + off, f32x4.mul(a2, f32x4.splat(f2)), cnt);
    storeLanes(o3 + off, f32x4.mul(a3, f32x4.splat(f3)), cnt);
    if (cnt2 > 0) {
      storeLanes(o0 + off + 16, f32x4.mul(b0, f32x4.splat(f0)), cnt2);
      storeLanes(o1 + off + 16, f32x4.mul(b1, f32x4.splat(f1)), cnt2);
      storeLanes(o2 + off + 16, f32x4.mul(b2, f32x4.splat(f2)), cnt2);
      storeLanes(o3 + off + 16, f32x4.mul(b3, f32x4.splat(f3)), cnt2);
    }
  }
  for (; c < Dp; c += 4) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let wp = w;
    let vp = rows + ((<usize>c) << 2);
    for (let j = 0; j < n; j++) {
      const x = v128.load(vp);
      a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(wp), x));
      a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(wp + stride), x));
      a2 = f32x4.add(a2, f32x4.mul(v128.load32_splat(wp + 2 * stride), x));
      a3 = f32x4.add(a3, f32x4.mul(v128.load32_splat(wp + 3 * stride), x));
      wp += 4;
      vp += rs;
    }
    const cnt = min(4, D - c);
    const off = (<usize>c) << 2;
    storeLanes(o0 + off, f32x4.mul(a0, f32x4.splat(f0)), cnt);
    storeLanes(o1 + off, f32x4.mul(a1, f32x4.splat(f1)), cnt);
    storeLanes(o2 + off, f32x4.mul(a2, f32x4.splat(f2)), cnt);
    storeLanes(o3 + off, f32x4.mul(a3, f32x4.splat(f3)), cnt);
  }
}

/** One weight row's version of weighted4. */
// @ts-ignore: decorator
@inline function weighted1(w: usize, n: i32, rows: usize, Dp: i32, D: i32, o0: usize, f0: f32): void {
  const rs = (<usize>Dp) << 2;
  for (let c = 0; c < Dp; c += 4) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
    let wp = w;
    let vp = rows + ((<usize>c) << 2);
    let j = 0;
    // Two independent chains (even and odd keys), summed at the end.
    for (; j + 2 <= n; j += 2) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(wp), v128.load(vp)));
      a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(wp, 4), v128.load(vp + rs)));
      wp += 8;
      vp += rs << 1;
    }
    if (j < n) a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(wp), v128.load(vp)));
    storeLanes(o0 + ((<usize>c) << 2), f32x4.mul(f32x4.add(a0, a1), f32x4.splat(f0)), min(4, D - c));
  }
}

// ---- scratch ---------------------------------------------------------------------------------

/** Bytes of scratch one part needs, for any of the three kernels. */
export function attentionScratchBytes(T: i32, S: i32, D: i32): i32 {
  const Sp = roundUp(S, 8);
  const Tp = roundUp(T, 8);
  const Dp = roundUp(D, 4);
  const fwd = 3 * Sp * Dp + Sp + 4 * Sp;
  const bq = 4 * Sp * Dp + Sp + 8 * Sp;
  const key = 4 * Sp * Dp + Sp + 4 * Dp * Tp + 2 * Tp + 8 * Tp;
  return (max(fwd, max(bq, key)) + 16) * 4;
}

// ---- forward, few queries: no staging ------------------------------------------------------------

/** Below this many queries per head the forward kernel reads keys in place (staging would dominate). */
const DIRECT_T: i32 = 8;

/** [Σ a0, Σ a1, Σ a2, Σ a3]: the four vectors' horizontal sums in one vector. */
// @ts-ignore: decorator
@inline function hsum4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const u01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const u23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(u01, u23, 0, 1, 4, 5), v128.shuffle<f32>(u01, u23, 2, 3, 6, 7));
}

/**
 * The forward kernel when T < DIRECT_T (decode steps): per (b, kv head) a list of the visible
 * keys' row offsets (ascending j), then per query dot products straight from k (4 keys at a time,
 * SIMD over D with a scalar tail), softmax, and Σ p·v straight from v over the visible keys only,
 * so nothing invisible is ever read.
 */
function forwardDirect(q: usize, k: usize, v: usize, mask: usize, out: usize, lse: usize, B: i32, T: i32, S: i32, nH: i32, nKV: i32, D: i32, causal: i32, offset: i32, scale: f32, part: i32, parts: i32, scratch: usize): void {
  const Sp = roundUp(S, 8);
  const list = align16(scratch);
  const js = list + ((<usize>Sp) << 2);
  const P = js + ((<usize>Sp) << 2);
  const zero = P + ((<usize>Sp) << 2);
  memory.fill(zero, 0, (<usize>roundUp(D, 4)) << 2);
  const group = nH / nKV;
  const endHead = causal != 0 ? <i32>min(<i64>S, <i64>offset + <i64>T) : S;
  const rowStride = (<usize>(nH * D)) << 2;
  const D4 = D & ~3;
  const first = share(B * nH, part, parts);
  const last = share(B * nH, part + 1, parts);
  let stagedB = -1, stagedKh = -1;
  let count = 0;
  for (let pair = first; pair < last; pair++) {
    const b = pair / nH;
    const h = pair % nH;
    const kh = h / group;
    if (b != stagedB || kh != stagedKh) {
      count = 0;
      for (let j = 0; j < endHead; j++) {
        if (mask != 0 && load<f32>(mask + ((<usize>(b * S + j)) << 2)) == 0) continue;
        store<i32>(list + ((<usize>count) << 2), ((b * S + j) * nKV + kh) * D * 4);
        store<i32>(js + ((<usize>count) << 2), j);
        count++;
      }
      stagedB = b;
      stagedKh = kh;
    }
    for (let i = 0; i < T; i++) {
      const qr = q + ((<usize>(((b * T + i) * nH + h) * D)) << 2);
      const or = out + ((<usize>(((b * T + i) * nH + h) * D)) << 2);
      let m = count;
      if (causal != 0) while (m > 0 && load<i32>(js + ((<usize>(m - 1)) << 2)) > offset + i) m--;
      for (let e0 = 0; e0 < m; e0 += 4) {
        const lp = list + ((<usize>e0) << 2);
        const r0 = k + <usize>load<i32>(lp);
        const r1 = e0 + 1 < m ? k + <usize>load<i32>(lp, 4) : zero;
        const r2 = e0 + 2 < m ? k + <usize>load<i32>(lp, 8) : zero;
        const r3 = e0 + 3 < m ? k + <usize>load<i32>(lp, 12) : zero;
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let d = 0;
        for (; d < D4; d += 4) {
          const o = (<usize>d) << 2;
          const x = v128.load(qr + o);
          a0 = f32x4.add(a0, f32x4.mul(x, v128.load(r0 + o)));
          a1 = f32x4.add(a1, f32x4.mul(x, v128.load(r1 + o)));
          a2 = f32x4.add(a2, f32x4.mul(x, v128.load(r2 + o)));
          a3 = f32x4.add(a3, f32x4.mul(x, v128.load(r3 + o)));
        }
        let sc = hsum4(a0, a1, a2, a3);
        if (d < D) {
          let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0;
          for (; d < D; d++) {
            const o = (<usize>d) << 2;
            const x = load<f32>(qr + o);
            t0 += x * load<f32>(r0 + o);
            t1 += x * load<f32>(r1 + o);
            t2 += x * load<f32>(r2 + o);
            t3 += x * load<f32>(r3 + o);
          }
          sc = f32x4.add(sc, f32x4(t0, t1, t2, t3));
        }
        sc = f32x4.mul(sc, f32x4.splat(scale));
        const live = i32x4.lt_s(i32x4.add(i32x4.splat(e0), iota()), i32x4.splat(m));
        v128.store(P + ((<usize>e0) << 2), v128.bitselect(sc, f32x4.splat(NEG), live));
      }
      const sum = softmaxRow(P, roundUp(m, 4));
      const mx = rowMax;
      const inv: f32 = sum > 0 ? 1 / sum : 0;
      const f = f32x4.splat(inv);
      let c = 0;
      for (; c + 8 <= D; c += 8) {
        const o = (<usize>c) << 2;
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
        for (let e = 0; e < m; e++) {
          const p = v128.load32_splat(P + ((<usize>e) << 2));
          const r = v + <usize>load<i32>(list + ((<usize>e) << 2)) + o;
          a0 = f32x4.add(a0, f32x4.mul(p, v128.load(r)));
          a1 = f32x4.add(a1, f32x4.mul(p, v128.load(r, 16)));
        }
        v128.store(or + o, f32x4.mul(a0, f));
        v128.store(or + o, f32x4.mul(a1, f), 16);
      }
      for (; c + 4 <= D; c += 4) {
        const o = (<usize>c) << 2;
        let a0 = f32x4.splat(0);
        for (let e = 0; e < m; e++) {
          a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(P + ((<usize>e) << 2)), v128.load(v + <usize>load<i32>(list + ((<usize>e) << 2)) + o)));
        }
        v128.store(or + o, f32x4.mul(a0, f));
      }
      for (; c < D; c++) {
        const o = (<usize>c) << 2;
        let a: f32 = 0;
        for (let e = 0; e < m; e++) a += load<f32>(P + ((<usize>e) << 2)) * load<f32>(v + <usize>load<i32>(list + ((<usize>e) << 2)) + o);
        store<f32>(or + o, a * inv);
      }
      store<f32>(lse + ((<usize>((b * nH + h) * T + i)) << 2), sum > 0 ? mx + Mathf.log(sum) : 0);
    }
  }
}

// ---- forward ---------------------------------------------------------------------------------

/** out = softmax(scale·q·kᵀ)·v per (b, h) of this part; lse [B, nH, T] = log Σ exp (0 when no key is visible). */
export function attentionForward(q: usize, k: usize, v: usize, mask: usize, out: usize, lse: usize, B: i32, T: i32, S: i32, nH: i32, nKV: i32, D: i32, causal: i32, offset: i32, scale: f32, part: i32, parts: i32, scratch: usize): void {
  if (T < DIRECT_T) {
    forwardDirect(q, k, v, mask, out, lse, B, T, S, nH, nKV, D, causal, offset, scale, part, parts, scratch);
    return;
  }
  const Sp = roundUp(S, 8);
  const Dp = roundUp(D, 4);
  const kt = align16(scratch);
  const kp = kt + ((<usize>(Dp * Sp)) << 2);
  const vp = kp + ((<usize>(Sp * Dp)) << 2);
  const vis = vp + ((<usize>(Sp * Dp)) << 2);
  const P = vis + ((<usize>Sp) << 2);
  const group = nH / nKV;
  const endHead = causal != 0 ? <i32>min(<i64>S, <i64>offset + <i64>T) : S;
  const rowStride = (<usize>(nH * D)) << 2;
  const big: i32 = 0x3fffffff;
  const first = share(B * nH, part, parts);
  const last = share(B * nH, part + 1, parts);
  let stagedB = -1, stagedKh = -1;
  for (let pair = first; pair < last; pair++) {
    const b = pair / nH;
    const h = pair % nH;
    const kh = h / group;
    if (b != stagedB || kh != stagedKh) {
      stageKeys(k, v, mask, b, S, nKV, kh, D, endHead, Sp, Dp, kp, vp, kt, 0, vis);
      stagedB = b;
      stagedKh = kh;
    }
    const qBase = q + ((<usize>((b * T * nH + h) * D)) << 2);
    const oBase = out + ((<usize>((b * T * nH + h) * D)) << 2);
    const lBase = lse + ((<usize>((b * nH + h) * T)) << 2);
    let i0 = 0;
    for (; i0 + 4 <= T; i0 += 4) {
      const jEnd = causal != 0 ? <i32>min(<i64>endHead, <i64>offset + <i64>i0 + 4) : endHead;
      const n = roundUp(max(jEnd, 0), 8);
      const q0 = qBase + <usize>i0 * rowStride;
      const lim = causal != 0 ? offset + i0 : big;
      for (let j0 = 0; j0 < n; j0 += 8) scores4x8(q0, q0 + rowStride, q0 + 2 * rowStride, q0 + 3 * rowStride, kt, Sp, D, j0, scale, vis, lim, causal != 0 ? lim + 1 : big, causal != 0 ? lim + 2 : big, causal != 0 ? lim + 3 : big, P);
      const stride = (<usize>Sp) << 2;
      const s0 = softmaxRow(P, n);
      const m0 = rowMax;
      const s1 = softmaxRow(P + stride, n);
      const m1 = rowMax;
      const s2 = softmaxRow(P + 2 * stride, n);
      const m2 = rowMax;
      const s3 = softmaxRow(P + 3 * stride, n);
      const m3 = rowMax;
      const o0 = oBase + <usize>i0 * rowStride;
      weighted4(P, Sp, n, vp, Dp, D, o0, o0 + rowStride, o0 + 2 * rowStride, o0 + 3 * rowStride, s0 > 0 ? 1 / s0 : 0, s1 > 0 ? 1 / s1 : 0, s2 > 0 ? 1 / s2 : 0, s3 > 0 ? 1 / s3 : 0);
      const lp = lBase + ((<usize>i0) << 2);
      store<f32>(lp, s0 > 0 ? m0 + Mathf.log(s0) : 0);
      store<f32>(lp, s1 > 0 ? m1 + Mathf.log(s1) : 0, 4);
      store<f32>(lp, s2 > 0 ? m2 + Mathf.log(s2) : 0, 8);
      store<f32>(lp, s3 > 0 ? m3 + Mathf.log(s3) : 0, 12);
    }
    for (; i0 < T; i0++) {
      const jEnd = causal != 0 ? <i32>min(<i64>endHead, <i64>offset + <i64>i0 + 1) : endHead;
      const n = roundUp(max(jEnd, 0), 8);
      const q0 = qBase + <usize>i0 * rowStride;
      for (let j0 = 0; j0 < n; j0 += 8) scores1x8(q0, kt, Sp, D, j0, scale, vis, causal != 0 ? offset + i0 : big, P);
      const s0 = softmaxRow(P, n);
      const m0 = rowMax;
      weighted1(P, n, vp, Dp, D, oBase + <usize>i0 * rowStride, s0 > 0 ? 1 / s0 : 0);
      store<f32>(lBase + ((<usize>i0) << 2), s0 > 0 ? m0 + Mathf.log(s0) : 0);
    }
  }
}

// ---- backward: queries -------------------------------------------------------------------------

/** Σ_d a[d]·b[d] (SIMD over the multiple-of-4 part, then the tail). */
// @ts-ignore: decorator
@inline function dotRow(a: usize, b: usize, D: i32): f32 {
  let s = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= D; d += 4) {
    const o = (<usize>d) << 2;
    s = f32x4.add(s, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let t = hsum(s);
  for (; d < D; d++) t += load<f32>(a + ((<usize>d) << 2)) * load<f32>(b + ((<usize>d) << 2));
  return t;
}

/**
 * dS block of one query row against keys j0..j0+3: p = exp(scale·q·k − lse),
 * ds = p·(dO·v − δ), 0 where invisible; stored to dst + j0.
 */
// @ts-ignore: decorator
@inline function dsRow(s: v128, dp: v128, scale: f32, l: f32, dl: f32, visv: v128, ja: v128, lim: i32, dst: usize): void {
  const p = exp4(f32x4.sub(f32x4.mul(s, f32x4.splat(scale)), f32x4.splat(l)));
  const ds = f32x4.mul(p, f32x4.sub(dp, f32x4.splat(dl)));
  v128.store(dst, v128.and(ds, v128.and(visv, i32x4.le_s(ja, i32x4.splat(lim)))));
}

// @ts-ignore: decorator
@inline function dsBlock1x4(q0: usize, g0: usize, kt: usize, vt: usize, Sp: i32, D: i32, j0: i32, scale: f32, vis: usize, lim0: i32, l: f32, dl: f32, dst: usize): void {
  let s0 = f32x4.splat(0), p0 = f32x4.splat(0);
  const stride = (<usize>Sp) << 2;
  let kp = kt + ((<usize>j0) << 2);
  let vp = vt + ((<usize>j0) << 2);
  for (let d = 0; d < D; d++) {
    const o = (<usize>d) << 2;
    s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(q0 + o), v128.load(kp)));
    p0 = f32x4.add(p0, f32x4.mul(v128.load32_splat(g0 + o), v128.load(vp)));
    kp += stride;
    vp += stride;
  }
  const ja = i32x4.add(i32x4.splat(j0), iota());
  dsRow(s0, p0, scale, l, dl, v128.load(vis + ((<usize>j0) << 2)), ja, lim0, dst + ((<usize>j0) << 2));
}

/** delta [B, nH, T] = Σ dO·O and gq = scale Σⱼ pᵢⱼ(dOᵢ·vⱼ − δᵢ) kⱼ per (b, h) of this part. */
export function attentionBackwardQuery(q: usize, k: usize, v: usize, mask: usize, out: usize, gOut: usize, lse: usize, delta: usize, gq: usize, B: i32, T: i32, S: i32, nH: i32, nKV: i32, D: i32, causal: i32, offset: i32, scale: f32, part: i32, parts: i32, scratch: usize): void {
  const Sp = roundUp(S, 8);
  const Dp = roundUp(D, 4);
  const kt = align16(scratch);
  const vt = kt + ((<usize>(Dp * Sp)) << 2);
  const kp = vt + ((<usize>(Dp * Sp)) << 2);
  const vp = kp + ((<usize>(Sp * Dp)) << 2);
  const vis = vp + ((<usize>(Sp * Dp)) << 2);
  const P = vis + ((<usize>Sp) << 2);
  const P2 = P + ((<usize>(4 * Sp)) << 2);
  const group = nH / nKV;
  const endHead = causal != 0 ? <i32>min(<i64>S, <i64>offset + <i64>T) : S;
  const rs = (<usize>(nH * D)) << 2;
  const big: i32 = 0x3fffffff;
  const first = share(B * nH, part, parts);
  const last = share(B * nH, part + 1, parts);
  let stagedB = -1, stagedKh = -1;
  const stride = (<usize>Sp) << 2;
  for (let pair = first; pair < last; pair++) {
    const b = pair / nH;
    const h = pair % nH;
    const kh = h / group;
    if (b != stagedB || kh != stagedKh) {
      stageKeys(k, v, mask, b, S, nKV, kh, D, endHead, Sp, Dp, kp, vp, kt, vt, vis);
      stagedB = b;
      stagedKh = kh;
    }
    const rowOff = (<usize>((b * T * nH + h) * D)) << 2;
    const stat = (<usize>((b * nH + h) * T)) << 2;
    // δ first (the key kernel reads it too).
    for (let i = 0; i < T; i++) {
      const o = rowOff + <usize>i * rs;
      store<f32>(delta + stat + ((<usize>i) << 2), dotRow(gOut + o, out + o, D));
    }
    let i0 = 0;
    for (; i0 + 4 <= T; i0 += 4) {
      const jEnd = causal != 0 ? <i32>min(<i64>endHead, <i64>offset + <i64>i0 + 4) : endHead;
      const n = roundUp(max(jEnd, 0), 8);
      const o = rowOff + <usize>i0 * rs;
      // The two score matrices apart (8 accumulators each), then dS in place.
      for (let j0 = 0; j0 < n; j0 += 8) {
        dots4x8(q + o, rs, kt, Sp, D, j0, P);
        dots4x8(gOut + o, rs, vt, Sp, D, j0, P2);
      }
      for (let r = 0; r < 4; r++) {
        const l = load<f32>(lse + stat + ((<usize>(i0 + r)) << 2));
        const dl = load<f32>(delta + stat + ((<usize>(i0 + r)) << 2));
        const lim = causal != 0 ? offset + i0 + r : big;
        const pr = P + <usize>r * stride;
        const dr = P2 + <usize>r * stride;
        for (let j0 = 0; j0 < n; j0 += 4) {
          const jo = (<usize>j0) << 2;
          dsRow(v128.load(pr + jo), v128.load(dr + jo), scale, l, dl, v128.load(vis + jo), i32x4.add(i32x4.splat(j0), iota()), lim, pr + jo);
        }
      }
      const g0 = gq + o;
      weighted4(P, Sp, n, kp, Dp, D, g0, g0 + rs, g0 + 2 * rs, g0 + 3 * rs, scale, scale, scale, scale);
    }
    for (; i0 < T; i0++) {
      const jEnd = causal != 0 ? <i32>min(<i64>endHead, <i64>offset + <i64>i0 + 1) : endHead;
      const n = roundUp(max(jEnd, 0), 4);
      const o = rowOff + <usize>i0 * rs;
      const l = load<f32>(lse + stat + ((<usize>i0) << 2));
      const dl = load<f32>(delta + stat + ((<usize>i0) << 2));
      for (let j0 = 0; j0 < n; j0 += 4) dsBlock1x4(q + o, gOut + o, kt, vt, Sp, D, j0, scale, vis, causal != 0 ? offset + i0 : big, l, dl, P);
      weighted1(P, n, kp, Dp, D, gq + o, scale);
    }
  }
}

// ---- backward: keys ----------------------------------------------------------------------------

/** Stages head h's queries and output gradients (as rows of Dp and transposed [Dp][Tp]), lse and δ (zeros past T). */
function stageQueries(q: usize, gOut: usize, lse: usize, delta: usize, b: i32, T: i32, nH: i32, h: i32, D: i32, Tp: i32, Dp: i32, qt: usize, gt: usize, qp: usize, gp: usize, L: usize, Dl: usize): void {
  const stat = (<usize>((b * nH + h) * T)) << 2;
  const rs = (<usize>Dp) << 2;
  for (let i = 0; i < Tp; i++) {
    const io = (<usize>i) << 2;
    const dst = <usize>i * rs;
    if (i < T) {
      store<f32>(L + io, load<f32>(lse + stat + io));
      store<f32>(Dl + io, load<f32>(delta + stat + io));
      const src = (<usize>(((b * T + i) * nH + h) * D)) << 2;
      copyRow(q + src, qp + dst, D, Dp);
      copyRow(gOut + src, gp + dst, D, Dp);
    } else {
      store<f32>(L + io, 0);
      store<f32>(Dl + io, 0);
      memory.fill(qp + dst, 0, rs);
      memory.fill(gp + dst, 0, rs);
    }
  }
  transpose(qp, qt, Tp, Dp);
  transpose(gp, gt, Tp, Dp);
}

// @ts-ignore: decorator
@inline function keyRow(s: v128, dp: v128, scale: f32, l: v128, dl: v128, live: v128, iv: v128, first: i32, pDst: usize, dDst: usize): void {
  const ok = v128.and(live, i32x4.ge_s(iv, i32x4.splat(first)));
  const p = v128.and(exp4(f32x4.sub(f32x4.mul(s, f32x4.splat(scale)), l)), ok);
  v128.store(pDst, p);
  v128.store(dDst, v128.and(f32x4.mul(p, f32x4.sub(dp, dl)), ok));
}

/**
 * dst[r·Tp + i0 .. +8] = Σ_{d<D} rows_r[d] · t[d·Tp + i0 .. +8] for the 4 rows r (rows_r = rows +
 * r·rs bytes): a block of one score matrix of the backward kernels (k·q or v·dO, 4 keys × 8
 * queries; q·k or dO·v, 4 queries × 8 keys), 2 loads and 4 splats per 8 products.
 */
// @ts-ignore: decorator
@inline function dots4x8(rows: usize, rs: usize, t: usize, Tp: i32, D: i32, i0: i32, dst: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  const stride = (<usize>Tp) << 2;
  let tp = t + ((<usize>i0) << 2);
  for (let d = 0; d < D; d++) {
    const o = (<usize>d) << 2;
    const x = v128.load(tp);
    const y = v128.load(tp, 16);
    const w0 = v128.load32_splat(rows + o);
    const w1 = v128.load32_splat(rows + rs + o);
    const w2 = v128.load32_splat(rows + 2 * rs + o);
    const w3 = v128.load32_splat(rows + 3 * rs + o);
    a0 = f32x4.add(a0, f32x4.mul(w0, x)); b0 = f32x4.add(b0, f32x4.mul(w0, y));
    a1 = f32x4.add(a1, f32x4.mul(w1, x)); b1 = f32x4.add(b1, f32x4.mul(w1, y));
    a2 = f32x4.add(a2, f32x4.mul(w2, x)); b2 = f32x4.add(b2, f32x4.mul(w2, y));
    a3 = f32x4.add(a3, f32x4.mul(w3, x)); b3 = f32x4.add(b3, f32x4.mul(w3, y));
    tp += stride;
  }
  const base = dst + ((<usize>i0) << 2);
  v128.store(base, a0); v128.store(base, b0, 16);
  v128.store(base + stride, a1); v128.store(base + stride, b1, 16);
  v128.store(base + 2 * stride, a2); v128.store(base + 2 * stride, b2, 16);
  v128.store(base + 3 * stride, a3); v128.store(base + 3 * stride, b3, 16);
}

/** acc rows r = 0..3 (dst + r·Dp) += Σ_{i<n} w[r·Tp + i] · rows[i·Dp + ·], over every c < Dp. */
// @ts-ignore: decorator
@inline function accumulate4(w: usize, Tp: i32, n: i32, rows: usize, Dp: i32, dst: usize): void {
  const stride = (<usize>Tp) << 2;
  const rs = (<usize>Dp) << 2;
  let c = 0;
  for (; c + 8 <= Dp; c += 8) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    let wp = w;
    let vp = rows + ((<usize>c) << 2);
    for (let i = 0; i < n; i++) {
      const x = v128.load(vp);
      const y = v128.load(vp, 16);
      const w0 = v128.load32_splat(wp);
      const w1 = v128.load32_splat(wp + stride);
      const w2 = v128.load32_splat(wp + 2 * stride);
      const w3 = v128.load32_splat(wp + 3 * stride);
      a0 = f32x4.add(a0, f32x4.mul(w0, x)); b0 = f32x4.add(b0, f32x4.mul(w0, y));
      a1 = f32x4.add(a1, f32x4.mul(w1, x)); b1 = f32x4.add(b1, f32x4.mul(w1, y));
      a2 = f32x4.add(a2, f32x4.mul(w2, x)); b2 = f32x4.add(b2, f32x4.mul(w2, y));
      a3 = f32x4.add(a3, f32x4.mul(w3, x)); b3 = f32x4.add(b3, f32x4.mul(w3, y));
      wp += 4;
      vp += rs;
    }
    const o = dst + ((<usize>c) << 2);
    v128.store(o, f32x4.add(v128.load(o), a0));
    v128.store(o, f32x4.add(v128.load(o, 16), b0), 16);
    v128.store(o + rs, f32x4.add(v128.load(o + rs), a1));
    v128.store(o + rs, f32x4.add(v128.load(o + rs, 16), b1), 16);
    v128.store(o + 2 * rs, f32x4.add(v128.load(o + 2 * rs), a2));
    v128.store(o + 2 * rs, f32x4.add(v128.load(o + 2 * rs, 16), b2), 16);
    v128.store(o + 3 * rs, f32x4.add(v128.load(o + 3 * rs), a3));
    v128.store(o + 3 * rs, f32x4.add(v128.load(o + 3 * rs, 16), b3), 16);
  }
  for (; c < Dp; c += 4) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let wp = w;
    let vp = rows + ((<usize>c) << 2);
    for (let i = 0; i < n; i++) {
      const x = v128.load(vp);
      a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(wp), x));
      a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(wp + stride), x));
      a2 = f32x4.add(a2, f32x4.mul(v128.load32_splat(wp + 2 * stride), x));
      a3 = f32x4.add(a3, f32x4.mul(v128.load32_splat(wp + 3 * stride), x));
      wp += 4;
      vp += rs;
    }
    const o = dst + ((<usize>c) << 2);
    v128.store(o, f32x4.add(v128.load(o), a0));
    v128.store(o + rs, f32x4.add(v128.load(o + rs), a1));
    v128.store(o + 2 * rs, f32x4.add(v128.load(o + 2 * rs), a2));
    v128.store(o + 3 * rs, f32x4.add(v128.load(o + 3 * rs), a3));
  }
}

/**
 * gv = Σ pᵢⱼ dOᵢ and gk = scale Σ pᵢⱼ(dOᵢ·vⱼ − δᵢ) qᵢ per (b, kv head) of this part, summed over
 * the group's query heads in ascending order. Reads delta (attentionBackwardQuery, all parts done).
 */
export function attentionBackwardKey(q: usize, k: usize, v: usize, mask: usize, gOut: usize, lse: usize, delta: usize, gk: usize, gv: usize, B: i32, T: i32, S: i32, nH: i32, nKV: i32, D: i32, causal: i32, offset: i32, scale: f32, part: i32, parts: i32, scratch: usize): void {
  const Sp = roundUp(S, 8);
  const Tp = roundUp(T, 8);
  const Dp = roundUp(D, 4);
  const kp = align16(scratch);
  const vp = kp + ((<usize>(Sp * Dp)) << 2);
  const dK = vp + ((<usize>(Sp * Dp)) << 2);
  const dV = dK + ((<usize>(Sp * Dp)) << 2);
  const vis = dV + ((<usize>(Sp * Dp)) << 2);
  const qt = vis + ((<usize>Sp) << 2);
  const gt = qt + ((<usize>(Dp * Tp)) << 2);
  const qp = gt + ((<usize>(Dp * Tp)) << 2);
  const gp = qp + ((<usize>(Tp * Dp)) << 2);
  const L = gp + ((<usize>(Tp * Dp)) << 2);
  const Dl = L + ((<usize>Tp) << 2);
  const PB = Dl + ((<usize>Tp) << 2);
  const DB = PB + ((<usize>(4 * Tp)) << 2);
  const group = nH / nKV;
  const rs = (<usize>Dp) << 2;
  const first = share(B * nKV, part, parts);
  const last = share(B * nKV, part + 1, parts);
  for (let pair = first; pair < last; pair++) {
    const b = pair / nKV;
    const kh = pair % nKV;
    stageKeys(k, v, mask, b, S, nKV, kh, D, S, Sp, Dp, kp, vp, 0, 0, vis);
    memory.fill(dK, 0, (<usize>(2 * Sp * Dp)) << 2);
    for (let h = kh * group; h < (kh + 1) * group; h++) {
      stageQueries(q, gOut, lse, delta, b, T, nH, h, D, Tp, Dp, qt, gt, qp, gp, L, Dl);
      for (let j0 = 0; j0 < S; j0 += 4) {
        // Under causal, key j is seen by queries i ≥ j − offset: start at the block's first one.
        const f = causal != 0 ? <i32>max(<i64>0, <i64>j0 - <i64>offset) : 0;
        const iStart = f & ~7;
        if (iStart >= T) break;
        const first0 = causal != 0 ? j0 - offset : -0x3fffffff;
        const ko = (<usize>j0) * rs;
        // The two score matrices apart (8 accumulators each), then p and dS in place.
        for (let i0 = iStart; i0 < T; i0 += 8) {
          dots4x8(kp + ko, rs, qt, Tp, D, i0, PB);
          dots4x8(vp + ko, rs, gt, Tp, D, i0, DB);
        }
        const tEnd = roundUp(T, 4);
        const inT = i32x4.splat(T);
        for (let r = 0; r < 4; r++) {
          const vj = v128.load32_splat(vis + ((<usize>(j0 + r)) << 2));
          const fr = causal != 0 ? first0 + r : first0;
          const pr = PB + <usize>r * ((<usize>Tp) << 2);
          const dr = DB + <usize>r * ((<usize>Tp) << 2);
          for (let i0 = iStart; i0 < tEnd; i0 += 4) {
            const io = (<usize>i0) << 2;
            const iv = i32x4.add(i32x4.splat(i0), iota());
            keyRow(v128.load(pr + io), v128.load(dr + io), scale, v128.load(L + io), v128.load(Dl + io), v128.and(i32x4.lt_s(iv, inT), vj), iv, fr, pr + io, dr + io);
          }
        }
        const n = roundUp(T, 4) - iStart;
        const io = (<usize>iStart) << 2;
        accumulate4(PB + io, Tp, n, gp + <usize>iStart * rs, Dp, dV + ko);
        accumulate4(DB + io, Tp, n, qp + <usize>iStart * rs, Dp, dK + ko);
      }
    }
    for (let j = 0; j < S; j++) {
      const dst = (<usize>(((b * S + j) * nKV + kh) * D)) << 2;
      const src = <usize>j * rs;
      for (let c = 0; c < Dp; c += 4) {
        const cnt = min(4, D - c);
        const o = (<usize>c) << 2;
        storeLanes(gk + dst + o, f32x4.mul(v128.load(dK + src + o), f32x4.splat(scale)), cnt);
        storeLanes(gv + dst + o, v128.load(dV + src + o), cnt);
      }
    }
  }
}
