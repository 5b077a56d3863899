// Row kernels over the last dimension (the WASM twins of src/engine/ops/softmax.ts and
// src/engine/ops/norm.ts), SIMD over the columns with a scalar tail: softmax forward and
// backward, LayerNorm / RMSNorm forward (saving (mean, 1/σ) per row), their input gradient, and
// the gamma/beta partial column sums over chunks of ROWS_PER_CHUNK rows. Arguments are the WGSL
// kernels' bindings in binding order (byte offsets), then their uniforms, then (part, parts,
// scratch) like every kernel the thread pool splits: the row kernels split rows, the partial
// sums split chunks, so each output element is computed wholly by one part in a fixed order
// (bit-identical on any number of threads). No scratch is used (the argument keeps the pool's
// calling convention).
import { exp4, hmax, hsum, share } from './vec';

/** ops/norm.ts ROWS_PER_CHUNK: rows per partial sum of the gamma/beta gradients. */
const ROWS_PER_CHUNK: i32 = 32;

// @ts-ignore: decorator
@inline function at(p: usize, c: i32): usize {
  return p + ((<usize>c) << 2);
}

// ---- softmax -----------------------------------------------------------------------------------

/** y = softmax(x) per row of `cols` (rows × cols, row-major). */
export function softmaxForward(x: usize, y: usize, rows: i32, cols: i32, part: i32, parts: i32, scratch: usize): void {
  const c4 = cols & ~3;
  for (let r = share(rows, part, parts), end = share(rows, part + 1, parts); r < end; r++) {
    const xb = x + <usize>r * (<usize>cols << 2);
    const yb = y + <usize>r * (<usize>cols << 2);
    let mv = f32x4.splat(-3.4e38);
    let c = 0;
    for (; c < c4; c += 4) mv = f32x4.pmax(mv, v128.load(at(xb, c)));
    let m = hmax(mv);
    for (; c < cols; c++) m = max(m, load<f32>(at(xb, c)));
    const ms = f32x4.splat(m);
    let sv = f32x4.splat(0);
    for (c = 0; c < c4; c += 4) {
      const e = exp4(f32x4.sub(v128.load(at(xb, c)), ms));
      v128.store(at(yb, c), e);
      sv = f32x4.add(sv, e);
    }
    let s = hsum(sv);
    for (; c < cols; c++) {
      const e = f32x4.extract_lane(exp4(f32x4.splat(load<f32>(at(xb, c)) - m)), 0);
      store<f32>(at(yb, c), e);
      s += e;
    }
    const inv: f32 = 1 / s;
    const iv = f32x4.splat(inv);
    for (c = 0; c < c4; c += 4) v128.store(at(yb, c), f32x4.mul(v128.load(at(yb, c)), iv));
    for (; c < cols; c++) store<f32>(at(yb, c), load<f32>(at(yb, c)) * inv);
  }
}

/** dx = y·(g − Σ g·y) per row. */
export function softmaxBackward(g: usize, y: usize, dx: usize, rows: i32, cols: i32, part: i32, parts: i32, scratch: usize): void {
  const c4 = cols & ~3;
  for (let r = share(rows, part, parts), end = share(rows, part + 1, parts); r < end; r++) {
    const o = <usize>r * (<usize>cols << 2);
    let sv = f32x4.splat(0);
    let c = 0;
    for (; c < c4; c += 4) sv = f32x4.add(sv, f32x4.mul(v128.load(at(g + o, c)), v128.load(at(y + o, c))));
    let dot = hsum(sv);
    for (; c < cols; c++) dot += load<f32>(at(g + o, c)) * load<f32>(at(y + o, c));
    const dv = f32x4.splat(dot);
    for (c = 0; c < c4; c += 4) v128.store(at(dx + o, c), f32x4.mul(v128.load(at(y + o, c)), f32x4.sub(v128.load(at(g + o, c)), dv)));
    for (; c < cols; c++) store<f32>(at(dx + o, c), load<f32>(at(y + o, c)) * (load<f32>(at(g + o, c)) - dot));
  }
}

// ---- norms -------------------------------------------------------------------------------------

/** y = (x − mean)·rstd·gamma (+ beta when layer), stats[r] = (mean, rstd); mean = 0 for RMSNorm. */
function normForward(layer: bool, x: usize, gamma: usize, beta: usize, y: usize, stats: usize, rows: i32, cols: i32, eps: f32, part: i32, parts: i32): void {
  const c4 = cols & ~3;
  const n = <f32>cols;
  for (let r = share(rows, part, parts), end = share(rows, part + 1, parts); r < end; r++) {
    const xb = x + <usize>r * (<usize>cols << 2);
    const yb = y + <usize>r * (<usize>cols << 2);
    let mean: f32 = 0;
    let c = 0;
    if (layer) {
      let sv = f32x4.splat(0);
      for (; c < c4; c += 4) sv = f32x4.add(sv, v128.load(at(xb, c)));
      let s = hsum(sv);
      for (; c < cols; c++) s += load<f32>(at(xb, c));
      mean = s / n;
    }
    // Second pass over centred values: no cancellation when |mean| ≫ σ.
    const mv = f32x4.splat(mean);
    let qv = f32x4.splat(0);
    for (c = 0; c < c4; c += 4) {
      const d = f32x4.sub(v128.load(at(xb, c)), mv);
      qv = f32x4.add(qv, f32x4.mul(d, d));
    }
    let q = hsum(qv);
    for (; c < cols; c++) {
      const d = load<f32>(at(xb, c)) - mean;
      q += d * d;
    }
    const rstd: f32 = 1 / Mathf.sqrt(q / n + eps);
    const rv = f32x4.splat(rstd);
    for (c = 0; c < c4; c += 4) {
      let t = f32x4.mul(f32x4.mul(f32x4.sub(v128.load(at(xb, c)), mv), rv), v128.load(at(gamma, c)));
      if (layer) t = f32x4.add(t, v128.load(at(beta, c)));
      v128.store(at(yb, c), t);
    }
    for (; c < cols; c++) {
      let t = (load<f32>(at(xb, c)) - mean) * rstd * load<f32>(at(gamma, c));
      if (layer) t += load<f32>(at(beta, c));
      store<f32>(at(yb, c), t);
    }
    store<f32>(stats + (<usize>r << 3), mean);
    store<f32>(stats + (<usize>r << 3), rstd, 4);
  }
}

/** ops/norm.ts norm:layer — bindings x, gamma, beta, y, stats [rows, 2]; uniforms rows, cols, eps. */
export function layerNormForward(x: usize, gamma: usize, beta: usize, y: usize, stats: usize, rows: i32, cols: i32, eps: f32, part: i32, parts: i32, scratch: usize): void {
  normForward(true, x, gamma, beta, y, stats, rows, cols, eps, part, parts);
}

/** ops/norm.ts norm:rms — bindings x, gamma, y, stats. */
export function rmsNormForward(x: usize, gamma: usize, y: usize, stats: usize, rows: i32, cols: i32, eps: f32, part: i32, parts: i32, scratch: usize): void {
  normForward(false, x, gamma, 0, y, stats, rows, cols, eps, part, parts);
}

/** dx = rstd·(gy − mean(gy)·[layer] − x̂·mean(gy·x̂)), gy = g·gamma (norm:<kind>:dx: g, x, gamma, stats, dx). */
function normDx(layer: bool, g: usize, x: usize, gamma: usize, stats: usize, dx: usize, rows: i32, cols: i32, part: i32, parts: i32): void {
  const c4 = cols & ~3;
  const n = <f32>cols;
  for (let r = share(rows, part, parts), end = share(rows, part + 1, parts); r < end; r++) {
    const o = <usize>r * (<usize>cols << 2);
    const mean = load<f32>(stats + (<usize>r << 3));
    const rstd = load<f32>(stats + (<usize>r << 3), 4);
    const mv = f32x4.splat(mean);
    const rv = f32x4.splat(rstd);
    let sgv = f32x4.splat(0);
    let sxv = f32x4.splat(0);
    let c = 0;
    for (; c < c4; c += 4) {
      const gy = f32x4.mul(v128.load(at(g + o, c)), v128.load(at(gamma, c)));
      sgv = f32x4.add(sgv, gy);
      sxv = f32x4.add(sxv, f32x4.mul(gy, f32x4.mul(f32x4.sub(v128.load(at(x + o, c)), mv), rv)));
    }
    let sg = hsum(sgv);
    let sx = hsum(sxv);
    for (; c < cols; c++) {
      const gy = load<f32>(at(g + o, c)) * load<f32>(at(gamma, c));
      sg += gy;
      sx += gy * ((load<f32>(at(x + o, c)) - mean) * rstd);
    }
    const mg: f32 = layer ? sg / n : 0;
    const mx: f32 = sx / n;
    const mgv = f32x4.splat(mg);
    const mxv = f32x4.splat(mx);
    for (c = 0; c < c4; c += 4) {
      const xhat = f32x4.mul(f32x4.sub(v128.load(at(x + o, c)), mv), rv);
      const gy = f32x4.mul(v128.load(at(g + o, c)), v128.load(at(gamma, c)));
      v128.store(at(dx + o, c), f32x4.mul(rv, f32x4.sub(f32x4.sub(gy, mgv), f32x4.mul(xhat, mxv))));
    }
    for (; c < cols; c++) {
      const xhat = (load<f32>(at(x + o, c)) - mean) * rstd;
      store<f32>(at(dx + o, c), rstd * (load<f32>(at(g + o, c)) * load<f32>(at(gamma, c)) - mg - xhat * mx));
    }
  }
}

export function layerNormDx(g: usize, x: usize, gamma: usize, stats: usize, dx: usize, rows: i32, cols: i32, part: i32, parts: i32, scratch: usize): void {
  normDx(true, g, x, gamma, stats, dx, rows, cols, part, parts);
}

export function rmsNormDx(g: usize, x: usize, gamma: usize, stats: usize, dx: usize, rows: i32, cols: i32, part: i32, parts: i32, scratch: usize): void {
  normDx(false, g, x, gamma, stats, dx, rows, cols, part, parts);
}

/**
 * Partial column sums over chunks of ROWS_PER_CHUNK rows (norm:<kind>:dparams):
 * dgamma[chunk, c] = Σ g·x̂ and (when dbeta ≠ 0) dbeta[chunk, c] = Σ g, rows ascending.
 */
function normDparams(g: usize, x: usize, stats: usize, dgamma: usize, dbeta: usize, rows: i32, cols: i32, part: i32, parts: i32): void {
  const chunks = (rows + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK;
  const c4 = cols & ~3;
  const rs = (<usize>cols) << 2;
  for (let chunk = share(chunks, part, parts), last = share(chunks, part + 1, parts); chunk < last; chunk++) {
    const r0 = chunk * ROWS_PER_CHUNK;
    const r1 = min(rows, r0 + ROWS_PER_CHUNK);
    const dg = dgamma + <usize>chunk * rs;
    const db = dbeta + <usize>chunk * rs;
    let c = 0;
    for (; c < c4; c += 4) {
      let sg = f32x4.splat(0);
      let sb = f32x4.splat(0);
      for (let r = r0; r < r1; r++) {
        const o = <usize>r * rs;
        const gv = v128.load(at(g + o, c));
        const st = stats + (<usize>r << 3);
        const xhat = f32x4.mul(f32x4.sub(v128.load(at(x + o, c)), v128.load32_splat(st)), v128.load32_splat(st, 4));
        sg = f32x4.add(sg, f32x4.mul(gv, xhat));
        sb = f32x4.add(sb, gv);
      }
      v128.store(at(dg, c), sg);
      if (dbeta != 0) v128.store(at(db, c), sb);
    }
    for (; c < cols; c++) {
      let sg: f32 = 0;
      let sb: f32 = 0;
      for (let r = r0; r < r1; r++) {
        const o = <usize>r * rs;
        const gv = load<f32>(at(g + o, c));
        const st = stats + (<usize>r << 3);
        sg += gv * ((load<f32>(at(x + o, c)) - load<f32>(st)) * load<f32>(st, 4));
        sb += gv;
      }
      store<f32>(at(dg, c), sg);
      if (dbeta != 0) store<f32>(at(db, c), sb);
    }
  }
}

/** norm:layer:dparams — bindings g, x, stats, dgamma [chunks, cols], dbeta [chunks, cols]. */
export function layerNormDparams(g: usize, x: usize, stats: usize, dgamma: usize, dbeta: usize, rows: i32, cols: i32, part: i32, parts: i32, scratch: usize): void {
  normDparams(g, x, stats, dgamma, dbeta, rows, cols, part, parts);
}

/** norm:rms:dparams — bindings g, x, stats, dgamma [chunks, cols]. */
export function rmsNormDparams(g: usize, x: usize, stats: usize, dgamma: usize, rows: i32, cols: i32, part: i32, parts: i32, scratch: usize): void {
  normDparams(g, x, stats, dgamma, 0, rows, cols, part, parts);
}
