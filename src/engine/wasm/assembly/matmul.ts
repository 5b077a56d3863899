// Matrix products C[z] = op(A[z])·op(B[z]) (+ bias), f32, 128-bit SIMD, GotoBLAS style.
//
// Work split: the output rows of all batch entries, in groups of MR, are cut into `parts`
// contiguous ranges; a part computes whole rows. Within a part, per batch entry: for each NC-wide
// column block and KC-deep K block, op(B) is packed once into scratch as NR-column panels
// ([k][NR], zero past N), then for each MC-row block of the part's rows op(A) is packed as
// MR-row panels ([k][MR], zero past M, each value stored four times across a vector) and an
// MR×NR register-blocked micro-kernel sweeps the block (B panel outer, so it stays in L1 while
// the A block streams from L2). Packing is where the four transpose variants become one.
//
// Why this shape under V8 (x64, 15 allocatable xmm registers): TurboFan keeps a trip's loads in
// program order but sinks the arithmetic after them, so every vector a trip loads is live at
// once: 4×8 (8 accumulators + 2 B + 4 A vectors) fits, unrolling k by 2 or a 6×8 tile spills
// (measured: 31 against 52 GFLOP/s). A packed pre-broadcast turns the 4 A splats into plain
// v128.loads whose offsets fold into the address (a load32_splat with an offset costs an lea).
// The trip is then 6 loads, 8 mul, 8 add and ~5 loop/stack-check ops: about 2 f32x4 mul + 2 add
// a cycle, the ceiling of base wasm SIMD (no FMA) on this x64.
//
// M < MR (vector–matrix products, decode) skips packing (thinRows): parts split by THIN_N
// columns instead.
//
// Order of summation: in the packed path each element of C is Σ over K blocks in ascending
// order, each block's partial summed k ascending in one accumulator lane, added to what the
// earlier blocks left in C (the first block adds the bias instead); in thinRows it is fixed per
// layout (see there). Nothing depends on which part or which tile holds the element, so results
// are bit-identical for any `parts`.
import { share } from './vec';

const MR: i32 = 4; // rows per micro-tile
const NR: i32 = 8; // columns per micro-tile (two f32x4)
const MC: i32 = 64; // rows per packed A block
const NC: i32 = 512; // columns per packed B block
const KC: i32 = 256; // K per packed block

const A_BYTES: i32 = MC * KC * 16; // pre-broadcast
const B_BYTES: i32 = KC * NC * 4;
const T_BYTES: i32 = MR * NR * 4;
const THIN_N: i32 = 64; // columns per unit of work when M < MR
const THIN_SPAN: i32 = 1024; // columns of C updated per pass when M < MR, B stored [K, N]

/** Bytes of scratch one part needs (a 16-byte aligned A block, B block and an edge tile). */
export function matmulScratchBytes(): i32 {
  return A_BYTES + B_BYTES + T_BYTES + 16;
}

// @ts-ignore: decorator
@inline function f4(i: i32): usize {
  return (<usize>i) << 2;
}

/** Stores the 4×4 transpose of rows r0..r3 to d, d + s, d + 2s, d + 3s. */
// @ts-ignore: decorator
@inline function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, d: usize, s: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(d + s, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(d + 2 * s, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(d + 3 * s, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/**
 * Packs `rows` (≤ W) lines of a matrix whose element (line i, k) sits at src + 4·(i·ls + k·ks)
 * into dst as [k][W] for k < kc, zeros in lines rows..W. When ks = 1 (lines contiguous in k) by
 * 4×4 transposes; when ls = 1 (a packed row contiguous) by vector copies.
 */
// @ts-ignore: decorator
@inline function packPanel(dst: usize, src: usize, ls: i32, ks: i32, rows: i32, kc: i32, W: i32): void {
  const drow = f4(W);
  if (rows == W && ls == 1) {
    // Each packed row is W contiguous floats.
    const step = f4(ks);
    let s = src;
    let d = dst;
    for (let k = 0; k < kc; k++) {
      for (let c = 0; c < W; c += 4) v128.store(d + f4(c), v128.load(s + f4(c)));
      s += step;
      d += drow;
    }
    return;
  }
  if (ks == 1) {
    // Lines contiguous in k: 4 lines × 4 k at a time through a transpose.
    const lstep = f4(ls);
    let c = 0;
    for (; c + 4 <= rows; c += 4) {
      const s0 = src + <usize>c * lstep;
      const k4 = kc & ~3;
      let k = 0;
      for (; k < k4; k += 4) {
        const o = f4(k);
        transpose4(v128.load(s0 + o), v128.load(s0 + lstep + o), v128.load(s0 + 2 * lstep + o), v128.load(s0 + 3 * lstep + o), dst + <usize>k * drow + f4(c), drow);
      }
      for (; k < kc; k++) {
        const d = dst + <usize>k * drow + f4(c);
        const o = f4(k);
        store<f32>(d, load<f32>(s0 + o));
        store<f32>(d, load<f32>(s0 + lstep + o), 4);
        store<f32>(d, load<f32>(s0 + 2 * lstep + o), 8);
        store<f32>(d, load<f32>(s0 + 3 * lstep + o), 12);
      }
    }
    for (; c < W; c++) {
      let d = dst + f4(c);
      if (c < rows) {
        let s = src + <usize>c * lstep;
        for (let k = 0; k < kc; k++) {
          store<f32>(d, load<f32>(s));
          s += 4;
          d += drow;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          store<f32>(d, 0);
          d += drow;
        }
      }
    }
    return;
  }
  // General (an edge panel with lines contiguous across, or any strides): element by element.
  for (let k = 0; k < kc; k++) {
    const d = dst + <usize>k * drow;
    const s = src + f4(k * ks);
    for (let c = 0; c < W; c++) store<f32>(d + f4(c), c < rows ? load<f32>(s + <usize>c * f4(ls)) : <f32>0);
  }
}

/**
 * Packs op(B) rows stored contiguously (element (k, n) at src + 4·(k·ks + n)), n < nc, k < kc,
 * into NR-column panels [panel][k][NR], zeros past nc: row by row, so reads run along memory.
 */
function packRows(dst: usize, src: usize, ks: i32, nc: i32, kc: i32): void {
  const kb = <usize>kc * f4(NR);
  const full = nc & ~(NR - 1);
  let s = src;
  for (let k = 0; k < kc; k++) {
    let d = dst + <usize>k * f4(NR);
    let n = 0;
    for (; n < full; n += NR) {
      v128.store(d, v128.load(s + f4(n)));
      v128.store(d, v128.load(s + f4(n), 16), 16);
      d += kb;
    }
    if (n < nc) {
      for (let j = 0; j < NR; j++) store<f32>(d + f4(j), n + j < nc ? load<f32>(s + f4(n + j)) : <f32>0);
    }
    s += f4(ks);
  }
}

/**
 * Packs `rows` (≤ MR) rows of op(A), element (row i, k) at src + 4·(i·ls + k·ks), into dst as
 * [k][MR] lanes of four copies each (zeros past `rows`).
 */
// @ts-ignore: decorator
@inline function packA(dst: usize, src: usize, ls: i32, ks: i32, rows: i32, kc: i32): void {
  const l = f4(ls);
  const kstep = f4(ks);
  let s = src;
  let d = dst;
  if (rows == MR) {
    for (let k = 0; k < kc; k++) {
      v128.store(d, v128.load32_splat(s));
      v128.store(d, v128.load32_splat(s + l), 16);
      v128.store(d, v128.load32_splat(s + 2 * l), 32);
      v128.store(d, v128.load32_splat(s + 3 * l), 48);
      s += kstep;
      d += MR * 16;
    }
    return;
  }
  for (let k = 0; k < kc; k++) {
    for (let c = 0; c < MR; c++) v128.store(d + (<usize>c << 4), c < rows ? v128.load32_splat(s + <usize>c * l) : f32x4.splat(0));
    s += kstep;
    d += MR * 16;
  }
}

/**
 * One MR×NR micro-tile over kc: acc = Σ_k Ap[k][0..MR) ⊗ Bp[k][0..NR), then written to C at c
 * (row stride ldc floats), added to what is there unless `first` (then the bias, when nonzero, is
 * added), clipped to rows × cols.
 */
// @ts-ignore: decorator
@inline function micro(ap: usize, bp: usize, kc: i32, c: usize, ldc: i32, rows: i32, cols: i32, first: bool, bias: usize, tmp: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let a = ap;
  let b = bp;
  const aEnd = ap + f4(kc * MR * 4);
  // A is packed pre-broadcast (each value as four lanes): plain vector loads with the offset
  // folded into the address (V8 materialises the offset of a load32_splat with an extra lea).
  while (a < aEnd) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let x = v128.load(a);
    c00 = f32x4.add(c00, f32x4.mul(x, b0)); c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load(a, 16);
    c10 = f32x4.add(c10, f32x4.mul(x, b0)); c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load(a, 32);
    c20 = f32x4.add(c20, f32x4.mul(x, b0)); c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load(a, 48);
    c30 = f32x4.add(c30, f32x4.mul(x, b0)); c31 = f32x4.add(c31, f32x4.mul(x, b1));
    a += 64;
    b += 32;
  }
  const ld = f4(ldc);
  if (rows == MR && cols == NR) {
    const r0 = c, r1 = c + ld, r2 = c + 2 * ld, r3 = c + 3 * ld;
    if (!first) {
      c00 = f32x4.add(c00, v128.load(r0)); c01 = f32x4.add(c01, v128.load(r0, 16));
      c10 = f32x4.add(c10, v128.load(r1)); c11 = f32x4.add(c11, v128.load(r1, 16));
      c20 = f32x4.add(c20, v128.load(r2)); c21 = f32x4.add(c21, v128.load(r2, 16));
      c30 = f32x4.add(c30, v128.load(r3)); c31 = f32x4.add(c31, v128.load(r3, 16));
    } else if (bias) {
      const bb0 = v128.load(bias), bb1 = v128.load(bias, 16);
      c00 = f32x4.add(c00, bb0); c01 = f32x4.add(c01, bb1);
      c10 = f32x4.add(c10, bb0); c11 = f32x4.add(c11, bb1);
      c20 = f32x4.add(c20, bb0); c21 = f32x4.add(c21, bb1);
      c30 = f32x4.add(c30, bb0); c31 = f32x4.add(c31, bb1);
    }
    v128.store(r0, c00); v128.store(r0, c01, 16);
    v128.store(r1, c10); v128.store(r1, c11, 16);
    v128.store(r2, c20); v128.store(r2, c21, 16);
    v128.store(r3, c30); v128.store(r3, c31, 16);
    return;
  }
  // An edge tile: through tmp, element by element.
  v128.store(tmp, c00); v128.store(tmp, c01, 16);
  v128.store(tmp, c10, 32); v128.store(tmp, c11, 48);
  v128.store(tmp, c20, 64); v128.store(tmp, c21, 80);
  v128.store(tmp, c30, 96); v128.store(tmp, c31, 112);
  for (let r = 0; r < rows; r++) {
    const dst = c + <usize>r * ld;
    for (let j = 0; j < cols; j++) {
      let v = load<f32>(tmp + f4(r * NR + j));
      if (!first) v += load<f32>(dst + f4(j));
      else if (bias) v += load<f32>(bias + f4(j));
      store<f32>(dst + f4(j), v);
    }
  }
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/**
 * Rows r0..r1, columns nLo..nHi of C for M < MR (vector–matrix products, decode steps): packing
 * B would cost as much as the product. Each op(A) row is gathered into `row` (K floats). With B
 * stored [N, K] every C element is a dot product: k in 4 lanes (lane j sums k ≡ j mod 4 in
 * ascending order), the lanes summed as (0+2)+(1+3), the k tail added, then the bias. Else a row
 * of C is Σ_k a_k·B[k, :] with k ascending per element, then the bias.
 */
function thinRows(a: usize, b: usize, c: usize, bias: usize, N: i32, K: i32, aM: i32, aK: i32, transB: i32, r0: i32, r1: i32, nLo: i32, nHi: i32, row: usize): void {
  const k4 = K & ~3;
  for (let m = r0; m < r1; m++) {
    let src = a + f4(m) * <usize>aM;
    for (let k = 0; k < K; k++) {
      store<f32>(row + f4(k), load<f32>(src));
      src += f4(aK);
    }
    const crow = c + f4(m) * <usize>N;
    if (transB) {
      const ks = f4(K);
      let n = nLo;
      for (; n + 4 <= nHi; n += 4) {
        const b0 = b + <usize>n * ks;
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        let k = 0;
        for (; k < k4; k += 4) {
          const o = f4(k);
          const x = v128.load(row + o);
          s0 = f32x4.add(s0, f32x4.mul(x, v128.load(b0 + o)));
          s1 = f32x4.add(s1, f32x4.mul(x, v128.load(b0 + ks + o)));
          s2 = f32x4.add(s2, f32x4.mul(x, v128.load(b0 + 2 * ks + o)));
          s3 = f32x4.add(s3, f32x4.mul(x, v128.load(b0 + 3 * ks + o)));
        }
        let t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
        for (; k < K; k++) {
          const o = f4(k);
          const x = load<f32>(row + o);
          t0 += x * load<f32>(b0 + o);
          t1 += x * load<f32>(b0 + ks + o);
          t2 += x * load<f32>(b0 + 2 * ks + o);
          t3 += x * load<f32>(b0 + 3 * ks + o);
        }
        if (bias) {
          t0 += load<f32>(bias + f4(n));
          t1 += load<f32>(bias + f4(n + 1));
          t2 += load<f32>(bias + f4(n + 2));
          t3 += load<f32>(bias + f4(n + 3));
        }
        store<f32>(crow + f4(n), t0);
        store<f32>(crow + f4(n + 1), t1);
        store<f32>(crow + f4(n + 2), t2);
        store<f32>(crow + f4(n + 3), t3);
      }
      for (; n < nHi; n++) {
        const b0 = b + <usize>n * ks;
        let s0 = f32x4.splat(0);
        let k = 0;
        for (; k < k4; k += 4) s0 = f32x4.add(s0, f32x4.mul(v128.load(row + f4(k)), v128.load(b0 + f4(k))));
        let t0 = hsum(s0);
        for (; k < K; k++) t0 += load<f32>(row + f4(k)) * load<f32>(b0 + f4(k));
        if (bias) t0 += load<f32>(bias + f4(n));
        store<f32>(crow + f4(n), t0);
      }
    } else {
      // B stored [K, N]: C row += a_k·B[k, :] for k ascending (axpy along memory), over spans of
      // THIN_SPAN columns so the span of C stays in L1; the bias last.
      const ns = f4(N);
      for (let c0 = nLo; c0 < nHi; c0 += THIN_SPAN) {
        const c1 = min(nHi, c0 + THIN_SPAN);
        const v1 = c0 + ((c1 - c0) & ~3);
        for (let n = c0; n < c1; n++) store<f32>(crow + f4(n), 0);
        let bk = b;
        let k = 0;
        // Four rows of B per pass over the span: one load and store of C per four products.
        for (; k + 4 <= K; k += 4) {
          const r = row + f4(k);
          const x0 = v128.load32_splat(r), x1 = v128.load32_splat(r, 4), x2 = v128.load32_splat(r, 8), x3 = v128.load32_splat(r, 12);
          const xs0 = load<f32>(r), xs1 = load<f32>(r, 4), xs2 = load<f32>(r, 8), xs3 = load<f32>(r, 12);
          let n = c0;
          for (; n < v1; n += 4) {
            const o = f4(n);
            let v = v128.load(crow + o);
            v = f32x4.add(v, f32x4.mul(x0, v128.load(bk + o)));
            v = f32x4.add(v, f32x4.mul(x1, v128.load(bk + ns + o)));
            v = f32x4.add(v, f32x4.mul(x2, v128.load(bk + 2 * ns + o)));
            v = f32x4.add(v, f32x4.mul(x3, v128.load(bk + 3 * ns + o)));
            v128.store(crow + o, v);
          }
          for (; n < c1; n++) {
            const o = f4(n);
            let t = load<f32>(crow + o);
            t += xs0 * load<f32>(bk + o);
            t += xs1 * load<f32>(bk + ns + o);
            t += xs2 * load<f32>(bk + 2 * ns + o);
            t += xs3 * load<f32>(bk + 3 * ns + o);
            store<f32>(crow + o, t);
          }
          bk += 4 * ns;
        }
        for (; k < K; k++) {
          const xs = load<f32>(row + f4(k));
          const x = f32x4.splat(xs);
          let n = c0;
          for (; n < v1; n += 4) v128.store(crow + f4(n), f32x4.add(v128.load(crow + f4(n)), f32x4.mul(x, v128.load(bk + f4(n)))));
          for (; n < c1; n++) store<f32>(crow + f4(n), load<f32>(crow + f4(n)) + xs * load<f32>(bk + f4(n)));
          bk += ns;
        }
        if (bias) {
          let n = c0;
          for (; n < v1; n += 4) v128.store(crow + f4(n), f32x4.add(v128.load(crow + f4(n)), v128.load(bias + f4(n))));
          for (; n < c1; n++) store<f32>(crow + f4(n), load<f32>(crow + f4(n)) + load<f32>(bias + f4(n)));
        }
      }
    }
  }
}

/** Rows r0..r1 of C[z] (all N columns) for one batch entry. */
function rowsOf(a: usize, b: usize, c: usize, bias: usize, M: i32, N: i32, K: i32, transA: i32, transB: i32, r0: i32, r1: i32, ap: usize, bp: usize, tmp: usize): void {
  if (K == 0) {
    for (let r = r0; r < r1; r++) {
      const row = c + f4(r) * <usize>N;
      for (let j = 0; j < N; j++) store<f32>(row + f4(j), bias ? load<f32>(bias + f4(j)) : 0);
    }
    return;
  }
  // op(A)[m][k] at a + 4·(m·aM + k·aK); op(B)[k][n] at b + 4·(k·bK + n·bN).
  const aM = transA ? 1 : K;
  const aK = transA ? M : 1;
  const bK = transB ? 1 : N;
  const bN = transB ? K : 1;
  for (let n0 = 0; n0 < N; n0 += NC) {
    const nc = min(NC, N - n0);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = min(KC, K - k0);
      const kb = <usize>kc * f4(NR);
      if (bN == 1) packRows(bp, b + f4(k0) * <usize>bK + f4(n0), bK, nc, kc);
      else {
        for (let p = 0; p < nc; p += NR) {
          packPanel(bp + <usize>(p / NR) * kb, b + f4(k0) * <usize>bK + f4(n0 + p) * <usize>bN, bN, bK, min(NR, nc - p), kc, NR);
        }
      }
      const ka = <usize>kc * f4(MR * 4);
      for (let m0 = r0; m0 < r1; m0 += MC) {
        const mc = min(MC, r1 - m0);
        for (let p = 0; p < mc; p += MR) {
          packA(ap + <usize>(p / MR) * ka, a + f4(m0 + p) * <usize>aM + f4(k0) * <usize>aK, aM, aK, min(MR, mc - p), kc);
        }
        for (let jr = 0; jr < nc; jr += NR) {
          const bpanel = bp + <usize>(jr / NR) * kb;
          const cols = min(NR, nc - jr);
          const biasAt = bias ? bias + f4(n0 + jr) : 0;
          for (let ir = 0; ir < mc; ir += MR) {
            const cAt = c + f4(m0 + ir) * <usize>N + f4(n0 + jr);
            micro(ap + <usize>(ir / MR) * ka, bpanel, kc, cAt, N, min(MR, mc - ir), cols, k0 == 0, biasAt, tmp);
          }
        }
      }
    }
  }
}

export function matmul(a: usize, b: usize, c: usize, bias: usize, M: i32, N: i32, K: i32, transA: i32, transB: i32, strideA: i32, strideB: i32, strideC: i32, batch: i32, part: i32, parts: i32, scratch: usize): void {
  const ap = (scratch + 15) & ~(<usize>15);
  const bp = ap + <usize>A_BYTES;
  const tmp = bp + <usize>B_BYTES;
  if (M < MR && K > 0 && K <= A_BYTES / 4) {
    // Units of work: (batch entry, row, THIN_N columns).
    const blocks = (N + THIN_N - 1) / THIN_N;
    const units = batch * M * blocks;
    const aM = transA ? 1 : K;
    const aK = transA ? M : 1;
    for (let u = share(units, part, parts), end = share(units, part + 1, parts); u < end; ) {
      const zm = u / blocks;
      const z = zm / M;
      const m = zm % M;
      const bl = u % blocks;
      // This unit and the following ones of the same row, as one span of columns.
      const last = min(end, (zm + 1) * blocks);
      thinRows(a + f4(z) * <usize>strideA, b + f4(z) * <usize>strideB, c + f4(z) * <usize>strideC, bias, N, K, aM, aK, transB, m, m + 1, bl * THIN_N, min(N, (bl + last - u) * THIN_N), ap);
      u = last;
    }
    return;
  }
  // Units of work: groups of MR rows of one batch entry, all entries in order.
  const groups = (M + MR - 1) / MR;
  const units = batch * groups;
  const u0 = share(units, part, parts);
  const u1 = share(units, part + 1, parts);
  if (u0 >= u1) return;
  for (let z = u0 / groups, zEnd = (u1 - 1) / groups; z <= zEnd; z++) {
    const g0 = max(u0 - z * groups, 0);
    const g1 = min(u1 - z * groups, groups);
    rowsOf(a + f4(z) * <usize>strideA, b + f4(z) * <usize>strideB, c + f4(z) * <usize>strideC, bias, M, N, K, transA, transB, g0 * MR, min(g1 * MR, M), ap, bp, tmp);
  }
}
