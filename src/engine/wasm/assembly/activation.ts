// Activations (ops/activation.ts) four floats at a time: GELU (tanh approximation) and SiLU, plain
// or gated, forward and backward, with vec.ts's exp4; tanh(u) = (1 − e)/(1 + e), e = exp(−2|u|),
// signed back.
import { exp4, share } from './vec';

const GELU_C: f32 = 0.7978845608028654;
const GELU_A: f32 = 0.044715;

@inline
function vtanh(u: v128): v128 {
  const e = exp4(f32x4.mul(f32x4.abs(u), f32x4.splat(-2.0)));
  const t = f32x4.div(f32x4.sub(f32x4.splat(1.0), e), f32x4.add(f32x4.splat(1.0), e));
  // The sign of u onto t (t ≥ 0).
  return v128.or(t, v128.and(u, i32x4.splat(0x80000000)));
}

@inline
function geluT(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  return vtanh(f32x4.mul(f32x4.splat(GELU_C), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_A), x3))));
}

@inline
function gelu(x: v128): v128 {
  return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(f32x4.splat(1.0), geluT(x)));
}

@inline
function geluGrad(x: v128): v128 {
  const t = geluT(x);
  const one = f32x4.splat(1.0);
  const half = f32x4.splat(0.5);
  const inner = f32x4.mul(f32x4.splat(GELU_C), f32x4.add(one, f32x4.mul(f32x4.splat(3.0 * GELU_A), f32x4.mul(x, x))));
  return f32x4.add(f32x4.mul(half, f32x4.add(one, t)), f32x4.mul(f32x4.mul(f32x4.mul(half, x), f32x4.sub(one, f32x4.mul(t, t))), inner));
}

@inline
function sigmoid(x: v128): v128 {
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), exp4(f32x4.neg(x))));
}

@inline
function silu(x: v128): v128 {
  return f32x4.mul(x, sigmoid(x));
}

@inline
function siluGrad(x: v128): v128 {
  const s = sigmoid(x);
  return f32x4.mul(s, f32x4.add(f32x4.splat(1.0), f32x4.mul(x, f32x4.sub(f32x4.splat(1.0), s))));
}

@inline
function fn(kind: i32, x: v128): v128 {
  return kind == 0 ? gelu(x) : silu(x);
}

@inline
function grad(kind: i32, x: v128): v128 {
  return kind == 0 ? geluGrad(x) : siluGrad(x);
}

/** Loads lane-by-lane past the end of a short tail (n − i < 4), zeros beyond. */
@inline
function loadTail(p: usize, left: i32): v128 {
  let v = f32x4.splat(0);
  if (left > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (left > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (left > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

@inline
function storeTail(p: usize, v: v128, left: i32): void {
  if (left > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (left > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (left > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/**
 * kind 0 GELU, 1 SiLU; mode 0: out0 = f(in0); 1: out0 = in0·f'(in1); 2 (gated): out0 = f(in0)·in1;
 * 3 (gated backward): out0 = in0·in2·f'(in1), out1 = in0·f(in1). Pointers to n floats each.
 * Parts split the floats in fours (a tail computes its lanes as a full vector would).
 */
export function activation(kind: i32, mode: i32, in0: usize, in1: usize, in2: usize, out0: usize, out1: usize, n: i32, part: i32, parts: i32, scratch: usize): void {
  const quads = (n + 3) >> 2;
  for (let i = share(quads, part, parts) << 2, end = min(n, share(quads, part + 1, parts) << 2); i < end; i += 4) {
    const o = <usize>i * 4;
    const left = end - i;
    const full = left >= 4;
    const a = full ? v128.load(in0 + o) : loadTail(in0 + o, left);
    let r0: v128;
    let r1 = f32x4.splat(0);
    if (mode == 0) r0 = fn(kind, a);
    else {
      const b = full ? v128.load(in1 + o) : loadTail(in1 + o, left);
      if (mode == 1) r0 = f32x4.mul(a, grad(kind, b));
      else if (mode == 2) r0 = f32x4.mul(fn(kind, a), b);
      else {
        const c = full ? v128.load(in2 + o) : loadTail(in2 + o, left);
        r0 = f32x4.mul(f32x4.mul(a, c), grad(kind, b));
        r1 = f32x4.mul(a, fn(kind, b));
      }
    }
    if (full) {
      v128.store(out0 + o, r0);
      if (mode == 3) v128.store(out1 + o, r1);
    } else {
      storeTail(out0 + o, r0, left);
      if (mode == 3) storeTail(out1 + o, r1, left);
    }
  }
}
