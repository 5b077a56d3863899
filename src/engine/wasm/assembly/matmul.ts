// Matrix products C[z] = op(A[z])·op(B[z]) (+ bias), f32, 128-bit SIMD, GotoBLAS style: the output
// is cut into MC×NC tiles, each part taking a contiguous run of them down the tile columns; op(B)
// is packed once per tile column (all of K, up to K_CACHED) and op(A) per tile and K block, into
// scratch in the order the micro-kernel reads them (this is where the four transpose variants
// become one); then a 4×8 register-blocked micro-kernel sweeps the tile.
// Every element of C belongs to one tile and is summed over K in the same order whatever the
// number of parts, so results do not depend on the threads.

const MR: i32 = 4; // rows per micro-tile
const NR: i32 = 8; // columns per micro-tile (two f32x4)
const MC: i32 = 64; // rows per tile
const NC: i32 = 256; // columns per tile
const KC: i32 = 256; // K per packed block

const A_BYTES: i32 = MC * KC * 4;
const T_BYTES: i32 = MR * NR * 4;

/** Up to this K, op(B) is packed once per tile column and reused down it (else once per tile and K block). */
const K_CACHED: i32 = 4096;

/**
 * A part's scratch for products with inner dimension K: a packed A block, and op(B) packed for a
 * whole tile column (K × NC) when K ≤ K_CACHED, which the part's next tiles down the same column
 * reuse; else room for one K block of it.
 */
export function matmulScratchBytes(K: i32): i32 {
  return A_BYTES + T_BYTES + (K <= K_CACHED ? max(K, KC) : KC) * NC * 4;
}

/** Packs op(A)[m0 .. m0+mc, k0 .. k0+kc] as panels of MR rows: [panel][k][MR], zero past M. */
@inline
function packA(ap: usize, a: usize, M: i32, K: i32, transA: i32, m0: i32, mc: i32, k0: i32, kc: i32): void {
  for (let p = 0; p < mc; p += MR) {
    const panel = ap + <usize>(p * kc) * 4;
    for (let r = 0; r < MR; r++) {
      const m = m0 + p + r;
      const dst = panel + <usize>r * 4;
      if (p + r >= mc) {
        for (let k = 0; k < kc; k++) store<f32>(dst + <usize>(k * MR) * 4, 0);
      } else if (transA) {
        // A stored [K, M]: op(A)[m][k] = A[k·M + m]
        let src = a + (<usize>k0 * <usize>M + <usize>m) * 4;
        const step = <usize>M * 4;
        for (let k = 0; k < kc; k++) {
          store<f32>(dst + <usize>(k * MR) * 4, load<f32>(src));
          src += step;
        }
      } else {
        const src = a + (<usize>m * <usize>K + <usize>k0) * 4;
        for (let k = 0; k < kc; k++) store<f32>(dst + <usize>(k * MR) * 4, load<f32>(src + <usize>k * 4));
      }
    }
  }
}

/** Packs op(B)[k0 .. k0+kc, n0 .. n0+nc] as panels of NR columns: [panel][k][NR], zero past N. */
@inline
function packB(bp: usize, b: usize, N: i32, K: i32, transB: i32, n0: i32, nc: i32, k0: i32, kc: i32): void {
  for (let p = 0; p < nc; p += NR) {
    const panel = bp + <usize>(p * kc) * 4;
    const cols = min(NR, nc - p);
    if (!transB) {
      // B stored [K, N]: a row of NR contiguous floats per k.
      let src = b + (<usize>k0 * <usize>N + <usize>(n0 + p)) * 4;
      const step = <usize>N * 4;
      if (cols == NR) {
        for (let k = 0; k < kc; k++) {
          const dst = panel + <usize>(k * NR) * 4;
          v128.store(dst, v128.load(src));
          v128.store(dst + 16, v128.load(src + 16));
          src += step;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const dst = panel + <usize>(k * NR) * 4;
          for (let c = 0; c < NR; c++) store<f32>(dst + <usize>c * 4, c < cols ? load<f32>(src + <usize>c * 4) : <f32>0);
          src += step;
        }
      }
    } else {
      // B stored [N, K]: op(B)[k][n] = B[n·K + k]; one column of the panel at a time.
      for (let c = 0; c < NR; c++) {
        const dst = panel + <usize>c * 4;
        if (c >= cols) {
          for (let k = 0; k < kc; k++) store<f32>(dst + <usize>(k * NR) * 4, 0);
        } else {
          const src = b + (<usize>(n0 + p + c) * <usize>K + <usize>k0) * 4;
          for (let k = 0; k < kc; k++) store<f32>(dst + <usize>(k * NR) * 4, load<f32>(src + <usize>k * 4));
        }
      }
    }
  }
}

/**
 * One MR×NR micro-tile over kc: acc = Σ_k Ap[k][0..MR) ⊗ Bp[k][0..NR), then written to C at
 * (row, col) — added to what is there unless `first` (then bias, or nothing) — clipped to rows × cols.
 */
@inline
function micro(ap: usize, bp: usize, kc: i32, c: usize, ldc: i32, rows: i32, cols: i32, first: bool, bias: usize, tmp: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let a = ap;
  let b = bp;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const a0 = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    a += 16;
    b += 32;
  }
  const ld = <usize>ldc * 4;
  if (rows == MR && cols == NR) {
    let r0 = c, r1 = c + ld, r2 = c + 2 * ld, r3 = c + 3 * ld;
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
      let v = load<f32>(tmp + <usize>(r * NR + j) * 4);
      if (!first) v += load<f32>(dst + <usize>j * 4);
      else if (bias) v += load<f32>(bias + <usize>j * 4);
      store<f32>(dst + <usize>j * 4, v);
    }
  }
}

export function matmul(a: usize, b: usize, c: usize, bias: usize, M: i32, N: i32, K: i32, transA: i32, transB: i32, strideA: i32, strideB: i32, strideC: i32, batch: i32, part: i32, parts: i32, scratch: usize): void {
  const ap = scratch;
  const tmp = scratch + <usize>A_BYTES;
  const bp = tmp + <usize>T_BYTES;
  const mTiles = (M + MC - 1) / MC;
  const nTiles = (N + NC - 1) / NC;
  const tiles = batch * mTiles * nTiles;
  // A contiguous range of tiles per part, rows fastest: consecutive tiles share their column's B.
  const first = <i32>((<i64>tiles * part) / parts);
  const end = <i32>((<i64>tiles * (part + 1)) / parts);
  let packedColumn = -1;
  for (let t = first; t < end; t++) {
    const column = t / mTiles; // z · nTiles + the tile column
    const z = column / nTiles;
    const m0 = (t % mTiles) * MC;
    const n0 = (column % nTiles) * NC;
    const mc = min(MC, M - m0);
    const nc = min(NC, N - n0);
    const az = a + (<usize>z * <usize>strideA) * 4;
    const bz = b + (<usize>z * <usize>strideB) * 4;
    const cz = c + (<usize>z * <usize>strideC) * 4;
    if (K == 0) {
      for (let r = 0; r < mc; r++) {
        for (let j = 0; j < nc; j++) store<f32>(cz + (<usize>(m0 + r) * <usize>N + <usize>(n0 + j)) * 4, bias ? load<f32>(bias + <usize>(n0 + j) * 4) : 0);
      }
      continue;
    }
    const cached = K <= K_CACHED;
    if (cached && column != packedColumn) {
      for (let k0 = 0; k0 < K; k0 += KC) packB(bp + <usize>(k0 * NC) * 4, bz, N, K, transB, n0, nc, k0, min(KC, K - k0));
      packedColumn = column;
    }
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = min(KC, K - k0);
      packA(ap, az, M, K, transA, m0, mc, k0, kc);
      if (!cached) packB(bp, bz, N, K, transB, n0, nc, k0, kc);
      const bk = cached ? bp + <usize>(k0 * NC) * 4 : bp;
      for (let jr = 0; jr < nc; jr += NR) {
        const bpanel = bk + <usize>(jr * kc) * 4;
        const cols = min(NR, nc - jr);
        const biasAt = bias ? bias + <usize>(n0 + jr) * 4 : 0;
        for (let ir = 0; ir < mc; ir += MR) {
          const rows = min(MR, mc - ir);
          const cAt = cz + (<usize>(m0 + ir) * <usize>N + <usize>(n0 + jr)) * 4;
          micro(ap + <usize>(ir * kc) * 4, bpanel, kc, cAt, N, rows, cols, k0 == 0, biasAt, tmp);
        }
      }
    }
  }
}
