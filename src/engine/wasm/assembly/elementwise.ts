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
