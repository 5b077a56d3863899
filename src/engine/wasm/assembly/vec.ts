// Vector helpers shared by the kernels (all inlined).

/**
 * e^x per lane (Cephes expf: Cody–Waite reduction, degree-5 polynomial; ~1 ulp). 0 below -87.3
 * (where e^x is subnormal), x clamped to 88.3 above; NaN stays NaN.
 */
// @ts-ignore: decorator
@inline export function exp4(x0: v128): v128 {
  // pmin/pmax (one instruction each) rather than min/max (a NaN-handling sequence on x64); with
  // x0 first a NaN passes through.
  const x1 = f32x4.pmin(f32x4.pmax(x0, f32x4.splat(-87.3)), f32x4.splat(88.3));
  // n = round(x·log2 e) by the 1.5·2^23 trick: its integer value sits in the float's low bits.
  const magic = f32x4.splat(12582912.0);
  const t = f32x4.add(f32x4.mul(x1, f32x4.splat(1.44269504088896341)), magic);
  const n = f32x4.sub(t, magic);
  let x = f32x4.sub(x1, f32x4.mul(n, f32x4.splat(0.693359375)));
  x = f32x4.sub(x, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  const z = f32x4.mul(x, x);
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(y, z), x), f32x4.splat(1.0));
  // 2^n: (n + 127) << 23, n's integer taken from t's bits.
  const e = i32x4.shl(i32x4.add(i32x4.sub(t, magic), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(y, e), f32x4.lt(x0, f32x4.splat(-87.3)));
}

// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  const m = f32x4.pmax(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
}

// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

