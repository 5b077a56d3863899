// Splitting the last dimension into parts, for fused projections kept under their Hugging Face
// names (ModernBERT's Wqkv → q, k, v and Wi → input, gate). Backward writes the part gradients back
// side by side (zeros where a part got none).
import type { Engine } from '../runtime.ts';
import { FLAT_INDEX, WORKGROUP_1D, grid1d } from '../wgsl.ts';
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../errors.ts';

const STRIDED_WGSL = (direction: 'gather' | 'scatter') => /* wgsl */ `
struct U { n: u32, size: u32, total: u32, offset: u32 }
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i >= u.n) { return; }
  let wide = (i / u.size) * u.total + u.offset + i % u.size;
  ${direction === 'gather' ? 'dst[i] = src[wide];' : 'dst[wide] = src[i];'}
}`;

function strided(engine: Engine, direction: 'gather' | 'scatter', src: Tensor, dst: Tensor, n: number, size: number, total: number, offset: number): void {
  engine.dispatch(engine.kernel(`split:${direction}`, STRIDED_WGSL(direction)), [src, dst], grid1d(n), new Uint32Array([n, size, total, offset]));
}

/**
 * Splits x [..., Σ sizes] into parts [..., sizes[i]]; `shapes[i]`, when given, reshapes a part (same
 * size), e.g. to [B, T, heads, headDim].
 */
export function splitLastDim(x: Tensor, sizes: readonly number[], shapes?: readonly (readonly number[])[]): Tensor[] {
  const engine = x.engine;
  const total = x.shape.at(-1)!;
  if (sizes.reduce((a, b) => a + b, 0) !== total) throw new ShapeError(`splitLastDim: parts [${sizes.join(', ')}] do not add up to the last dimension ${total}`);
  const rows = x.size / total;
  const lead = x.shape.slice(0, -1);
  let offset = 0;
  const parts = sizes.map((size, i) => {
    const shape = shapes?.[i] ?? [...lead, size];
    const out = engine.empty(shape);
    if (out.size !== rows * size) {
      out.release();
      throw new ShapeError(`splitLastDim: part ${i} has ${rows * size} values, shape [${shape.join(', ')}] holds ${out.size}`);
    }
    strided(engine, 'gather', x, out, out.size, size, total, offset);
    offset += size;
    return out;
  });
  if (engine.autograd.needsGrad([x])) {
    engine.autograd.record([x], parts, (grads) => {
      const gx = engine.empty(x.shape);
      if (grads.some((g) => !g)) engine.fill(gx, 0);
      let off = 0;
      grads.forEach((g, i) => {
        if (g) strided(engine, 'scatter', g, gx, g.size, sizes[i]!, total, off);
        off += sizes[i]!;
      });
      return [gx];
    });
  }
  return parts;
}
