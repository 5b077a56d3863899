// Vector helpers shared by the kernels (all inlined).

/** The first item of this part's share of n items: ⌊n·part/parts⌋ (parts split work by it). */
// @ts-ignore: decorator
@inline export function share(n: i32, part: i32, parts: i32): i32 {
  return <i32>((<i64>n * <i64>part) / <i64>parts);
}

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


// ---- float64 pairs (the KD loss) ----------------------------------------------------------------

const LOG2E: f64 = 1.4426950408889634;
const LN2: f64 = 0.6931471805599453;
const SQRT2: f64 = 1.4142135623730951;
/** e^x for x below this is under 2^-1021: taken as 0 (the subnormal range is dropped). */
const EXPD_MIN: f64 = -708.0;

/**
 * e^x per f64 lane (Cephes exp: Cody–Waite reduction by n·ln 2, a (3, 3) Padé form; ~1 ulp).
 * 0 below -708 and at -∞; x clamped to 709 above (callers pass x ≤ ~0); NaN stays NaN.
 */
// @ts-ignore: decorator
@inline export function expd(x0: v128): v128 {
  const x1 = f64x2.pmin(f64x2.pmax(x0, f64x2.splat(EXPD_MIN)), f64x2.splat(709.0));
  // n = round(x·log2 e) by the 1.5·2^52 trick: its integer value sits in the double's low bits.
  const magic = f64x2.splat(6755399441055744.0);
  const t = f64x2.add(f64x2.mul(x1, f64x2.splat(LOG2E)), magic);
  const n = f64x2.sub(t, magic);
  let x = f64x2.sub(x1, f64x2.mul(n, f64x2.splat(6.93145751953125e-1)));
  x = f64x2.sub(x, f64x2.mul(n, f64x2.splat(1.42860682030941723212e-6)));
  const xx = f64x2.mul(x, x);
  let px = f64x2.add(f64x2.mul(f64x2.splat(1.26177193074810590878e-4), xx), f64x2.splat(3.02994407707441961300e-2));
  px = f64x2.mul(f64x2.add(f64x2.mul(px, xx), f64x2.splat(9.99999999999999999910e-1)), x);
  let qx = f64x2.add(f64x2.mul(f64x2.splat(3.00198505138664455042e-6), xx), f64x2.splat(2.52448340349684104192e-3));
  qx = f64x2.add(f64x2.mul(qx, xx), f64x2.splat(2.27265548208155028766e-1));
  qx = f64x2.add(f64x2.mul(qx, xx), f64x2.splat(2.00000000000000000009e0));
  const y = f64x2.add(f64x2.splat(1.0), f64x2.mul(f64x2.splat(2.0), f64x2.div(px, f64x2.sub(qx, px))));
  // 2^n: (n + 1023) << 52, n's integer taken from t's bits.
  const e = i64x2.shl(i64x2.add(i64x2.sub(t, magic), i64x2.splat(1023)), 52);
  return v128.andnot(f64x2.mul(y, e), f64x2.lt(x0, f64x2.splat(EXPD_MIN)));
}

/**
 * log s per f64 lane for s in [1, 2] (what a two-term log-sum-exp leaves): halved above √2
 * (adding ln 2), then 2·atanh(f), f = (s − 1)/(s + 1), |f| ≤ 0.172, by its series to f^23
 * (relative error below 1e-16, and exact-relative near s = 1, where log s ≈ s − 1).
 */
// @ts-ignore: decorator
@inline export function log12(s0: v128): v128 {
  const big = f64x2.gt(s0, f64x2.splat(SQRT2));
  const s = v128.bitselect(f64x2.mul(s0, f64x2.splat(0.5)), s0, big);
  const one = f64x2.splat(1.0);
  const f = f64x2.div(f64x2.sub(s, one), f64x2.add(s, one));
  const z = f64x2.mul(f, f);
  let p = f64x2.splat(1.0 / 23.0);
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(1.0 / 21.0));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(1.0 / 19.0));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(1.0 / 17.0));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(1.0 / 15.0));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(1.0 / 13.0));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(1.0 / 11.0));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(1.0 / 9.0));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(1.0 / 7.0));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(1.0 / 5.0));
  p = f64x2.add(f64x2.mul(p, z), f64x2.splat(1.0 / 3.0));
  p = f64x2.add(f64x2.mul(p, z), one);
  return f64x2.add(f64x2.mul(f64x2.mul(f64x2.splat(2.0), f), p), v128.and(big, f64x2.splat(LN2)));
}

/** Two f32 at p widened to f64 lanes. */
// @ts-ignore: decorator
@inline export function load2d(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

// @ts-ignore: decorator
@inline export function hsumd(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

// @ts-ignore: decorator
@inline export function hmaxd(v: v128): f64 {
  return max(f64x2.extract_lane(v, 0), f64x2.extract_lane(v, 1));
}
