// Elementwise kernels (the WASM twins of ops/elementwise.ts's map kernels, addBias and sumRows,
// and ops/embedding.ts's scatter-add gradient), four floats at a time with scalar tails doing the
// same f32 operation, so a part's range boundary never changes a bit. Kernels with (part, parts,
// scratch) are split by the thread pool: each output element wholly by one part.
import { share } from './vec';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}

// a[i] += alpha · b[i] for i < n.
export function axpy(a: usize, b: usize, n: i32, alpha: f32): void {
  const s = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = a + (<usize>i << 2);
    v128.store(p, f32x4.add(v128.load(p), f32x4.mul(s, v128.load(b + (<usize>i << 2)))));
  }
  for (; i < n; i++) {
    const p = a + (<usize>i << 2);
    store<f32>(p, load<f32>(p) + alpha * load<f32>(b + (<usize>i << 2)));
  }
}

// Operations of map (kernels.ts MAP_OPS numbers them the same).
const MAP_ADD: i32 = 0;
const MAP_SUB: i32 = 1;
const MAP_MUL: i32 = 2;
const MAP_SCALE: i32 = 3;

/** map:<add|sub|mul|scale>: out = a + b, a − b, a · b, a · s over n floats (b unused for scale). */
export function map(op: i32, a: usize, b: usize, out: usize, n: i32, s: f32, part: i32, parts: i32, scratch: usize): void {
  const lo = share(n, part, parts);
  const hi = share(n, part + 1, parts);
  const sv = f32x4.splat(s);
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const x = v128.load(at(a, i));
    let y: v128;
    if (op == MAP_ADD) y = f32x4.add(x, v128.load(at(b, i)));
    else if (op == MAP_SUB) y = f32x4.sub(x, v128.load(at(b, i)));
    else if (op == MAP_MUL) y = f32x4.mul(x, v128.load(at(b, i)));
    else y = f32x4.mul(x, sv);
    v128.store(at(out, i), y);
  }
  for (; i < hi; i++) {
    const x = load<f32>(at(a, i));
    let y: f32;
    if (op == MAP_ADD) y = x + load<f32>(at(b, i));
    else if (op == MAP_SUB) y = x - load<f32>(at(b, i));
    else if (op == MAP_MUL) y = x * load<f32>(at(b, i));
    else y = x * s;
    store<f32>(at(out, i), y);
  }
}

/** addBias: out[r, c] = x[r, c] + bias[c] over n = rows · cols floats; parts split rows. */
export function addBias(x: usize, bias: usize, out: usize, n: i32, cols: i32, part: i32, parts: i32, scratch: usize): void {
  const rows = n / cols;
  const c4 = cols & ~3;
  for (let r = share(rows, part, parts), end = share(rows, part + 1, parts); r < end; r++) {
    const o = <usize>r * (<usize>cols << 2);
    let c = 0;
    for (; c < c4; c += 4) v128.store(at(out + o, c), f32x4.add(v128.load(at(x + o, c)), v128.load(at(bias, c))));
    for (; c < cols; c++) store<f32>(at(out + o, c), load<f32>(at(x + o, c)) + load<f32>(at(bias, c)));
  }
}

/** sumRows: out[c] = Σ_r g[r, c], rows ascending in one f32 accumulator per column; parts split columns by fours. */
export function sumRows(g: usize, out: usize, rows: i32, cols: i32, part: i32, parts: i32, scratch: usize): void {
  const quads = (cols + 3) >> 2;
  const rs = (<usize>cols) << 2;
  for (let q = share(quads, part, parts), end = share(quads, part + 1, parts); q < end; q++) {
    const c = q << 2;
    if (c + 4 <= cols) {
      let acc = f32x4.splat(0);
      for (let r = 0; r < rows; r++) acc = f32x4.add(acc, v128.load(at(g + <usize>r * rs, c)));
      v128.store(at(out, c), acc);
    } else {
      for (let j = c; j < cols; j++) {
        let acc: f32 = 0;
        for (let r = 0; r < rows; r++) acc += load<f32>(at(g + <usize>r * rs, j));
        store<f32>(at(out, j), acc);
      }
    }
  }
}

/**
 * embedding.grad: gTable[id] = Σ g[m] over the positions m that use id, in position order
 * (first[id], then next[m]: the lists embedding.links builds); rows of ids no one uses are zeros.
 * Parts split the vocabulary rows.
 */
export function embeddingGrad(g: usize, first: usize, next: usize, gTable: usize, h: i32, v: i32, part: i32, parts: i32, scratch: usize): void {
  const h4 = h & ~3;
  const rs = (<usize>h) << 2;
  for (let id = share(v, part, parts), end = share(v, part + 1, parts); id < end; id++) {
    const o = gTable + <usize>id * rs;
    let c = 0;
    for (; c < h4; c += 4) v128.store(at(o, c), f32x4.splat(0));
    for (; c < h; c++) store<f32>(at(o, c), 0);
    for (let m = load<i32>(at(first, id)); m >= 0; m = load<i32>(at(next, m))) {
      const src = g + <usize>m * rs;
      for (c = 0; c < h4; c += 4) v128.store(at(o, c), f32x4.add(v128.load(at(o, c)), v128.load(at(src, c))));
      for (; c < h; c++) store<f32>(at(o, c), load<f32>(at(o, c)) + load<f32>(at(src, c)));
    }
  }
}

/**
 * rope (ops/rope.ts, Hugging Face's rotate-half): rows of 2·half values, heads rows per token;
 * out = (x1·c − x2·s, x2·c + x1·s) with (c, s) from cs: per token (perToken) or per position
 * t, token bt using row bt mod t, each row half cosines then half signed sines. Parts split rows.
 */
export function rope(x: usize, out: usize, cs: usize, rows: i32, heads: i32, half: i32, t: i32, perToken: i32, part: i32, parts: i32, scratch: usize): void {
  const h4 = half & ~3;
  const rs = (<usize>half) << 3;
  for (let row = share(rows, part, parts), end = share(rows, part + 1, parts); row < end; row++) {
    const bt = row / heads;
    const c0 = cs + <usize>(perToken != 0 ? bt : bt % t) * rs;
    const s0 = c0 + ((<usize>half) << 2);
    const x1 = x + <usize>row * rs;
    const x2 = x1 + ((<usize>half) << 2);
    const o1 = out + <usize>row * rs;
    const o2 = o1 + ((<usize>half) << 2);
    let f = 0;
    for (; f < h4; f += 4) {
      const c = v128.load(at(c0, f));
      const s = v128.load(at(s0, f));
      const a = v128.load(at(x1, f));
      const b = v128.load(at(x2, f));
      v128.store(at(o1, f), f32x4.sub(f32x4.mul(a, c), f32x4.mul(b, s)));
      v128.store(at(o2, f), f32x4.add(f32x4.mul(b, c), f32x4.mul(a, s)));
    }
    for (; f < half; f++) {
      const c = load<f32>(at(c0, f));
      const s = load<f32>(at(s0, f));
      const a = load<f32>(at(x1, f));
      const b = load<f32>(at(x2, f));
      store<f32>(at(o1, f), a * c - b * s);
      store<f32>(at(o2, f), b * c + a * s);
    }
  }
}

/**
 * split:gather / split:scatter (ops/split.ts): n floats of the narrow tensor in rows of `size`,
 * each at `offset` within a row of `total` floats of the wide one; gather copies wide → narrow,
 * scatter narrow → wide. Parts split rows.
 */
export function strided(src: usize, dst: usize, n: i32, size: i32, total: i32, offset: i32, scatter: i32, part: i32, parts: i32, scratch: usize): void {
  const rows = (n + size - 1) / size;
  for (let row = share(rows, part, parts), end = share(rows, part + 1, parts); row < end; row++) {
    const narrow = row * size;
    const wide = row * total + offset;
    const bytes = (<usize>min(size, n - narrow)) << 2;
    if (scatter != 0) memory.copy(at(dst, wide), at(src, narrow), bytes);
    else memory.copy(at(dst, narrow), at(src, wide), bytes);
  }
}
