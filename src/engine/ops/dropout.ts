// Inverted dropout with a counter-based mask: element i is kept when counterHash(seed, i) ≥ p·2³²
// and scaled by 1/(1 − p). Nothing is stored; backward redraws the same mask from (seed, index).
// The hash is defined in random.ts (counterHash, lowbias32) and written out in WGSL here; the
// CPU twin draws it in TypeScript, so the check compares two implementations of one definition.
// Callers pass p = 0 in evaluation.
import { FLAT_INDEX, WORKGROUP_1D, grid1d, packUniforms } from '../wgsl.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';
import { probabilityThreshold } from '../random.ts';

const DROPOUT_WGSL = /* wgsl */ `
struct U { n: u32, seed: u32, threshold: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
fn lowbias32(v: u32) -> u32 {
  var x = v;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i >= u.n) { return; }
  let k = lowbias32(u.seed);
  let draw = lowbias32(lowbias32(i ^ k) + k);
  out[i] = select(0.0, x[i] * u.scale, draw >= u.threshold);
}`;

function applyMask(x: Tensor, p: number, seed: number): Tensor {
  const engine = x.engine;
  const out = engine.empty(x.shape);
  const u = packUniforms([x.size, seed >>> 0, probabilityThreshold(p)], [p < 1 ? 1 / (1 - p) : 0]);
  engine.dispatch(engine.kernel('dropout', DROPOUT_WGSL), [x, out], grid1d(x.size), u);
  return out;
}

/** Zeroes each element with probability p and scales the rest by 1/(1 − p); p = 0 copies x. */
export function dropout(x: Tensor, p: number, seed: number): Tensor {
  if (!(p >= 0 && p <= 1)) throw new ShapeError(`dropout: p must be in [0, 1], got ${p}`);
  if (!Number.isInteger(seed)) throw new ShapeError(`dropout: the seed must be an integer, got ${seed}`);
  const engine = x.engine;
  const identity = p === 0;
  const out = identity ? engine.clone(x) : applyMask(x, p, seed);
  if (engine.autograd.needsGrad([x])) engine.autograd.record([x], [out], ([g]) => [identity ? g! : applyMask(g!, p, seed)]);
  return out;
}
