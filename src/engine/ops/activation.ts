// Activations: GELU (tanh approximation, as Hugging Face gelu_pytorch_tanh), SiLU, and the gated
// SwiGLU / GeGLU. Forward and backward are each one pass over the data.
import type { Engine } from '../runtime.ts';
import { assertSameShape, type Tensor } from '../tensor.ts';
import { FLAT_INDEX, WORKGROUP_1D, grid1d } from '../wgsl.ts';

/** WGSL: each activation and its derivative. tanh's argument is clamped (|u| > 15 is ±1 in f32). */
const ACTIVATION_FNS = /* wgsl */ `
const GELU_C = 0.7978845608028654; // sqrt(2 / pi)
fn gelu_t(x: f32) -> f32 { return tanh(clamp(GELU_C * (x + 0.044715 * x * x * x), -15.0, 15.0)); }
fn gelu(x: f32) -> f32 { return 0.5 * x * (1.0 + gelu_t(x)); }
fn gelu_grad(x: f32) -> f32 {
  let t = gelu_t(x);
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * 0.044715 * x * x);
}
fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn silu(x: f32) -> f32 { return x * sigmoid(x); }
fn silu_grad(x: f32) -> f32 { let s = sigmoid(x); return s * (1.0 + x * (1.0 - s)); }
`;

/** One pass over n elements: reads in0…, writes out0…; `body` assigns outK[i] from inK[i]. */
function pointwise(engine: Engine, key: string, inputs: Tensor[], outputs: number, body: string): Tensor[] {
  const outs = Array.from({ length: outputs }, () => engine.empty(inputs[0]!.shape));
  const decls = [
    ...inputs.map((_, k) => `@group(0) @binding(${k}) var<storage, read> in${k}: array<f32>;`),
    ...outs.map((_, k) => `@group(0) @binding(${inputs.length + k}) var<storage, read_write> out${k}: array<f32>;`),
    `@group(0) @binding(${inputs.length + outputs}) var<uniform> n: vec4u;`,
  ];
  const kernel = engine.kernel(
    `activation:${key}`,
    /* wgsl */ `
${ACTIVATION_FNS}
${decls.join('\n')}
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i >= n.x) { return; }
  ${body}
}`,
  );
  const size = outs[0]!.size;
  engine.dispatch(kernel, [...inputs, ...outs], grid1d(size), new Uint32Array([size, 0, 0, 0]));
  return outs;
}

function unary(name: 'gelu' | 'silu', x: Tensor): Tensor {
  const engine = x.engine;
  const [out] = pointwise(engine, name, [x], 1, `out0[i] = ${name}(in0[i]);`);
  if (engine.autograd.needsGrad([x])) {
    engine.autograd.record([x], [out!], ([g]) => pointwise(engine, `${name}-backward`, [g!, x], 1, `out0[i] = in0[i] * ${name}_grad(in1[i]);`));
  }
  return out!;
}

function gated(name: 'gelu' | 'silu', gate: Tensor, up: Tensor): Tensor {
  assertSameShape(name === 'silu' ? 'swiglu' : 'geglu', gate, up);
  const engine = gate.engine;
  const [out] = pointwise(engine, `${name}-gated`, [gate, up], 1, `out0[i] = ${name}(in0[i]) * in1[i];`);
  if (engine.autograd.needsGrad([gate, up])) {
    engine.autograd.record([gate, up], [out!], ([g]) =>
      pointwise(engine, `${name}-gated-backward`, [g!, gate, up], 2, `let gi = in0[i]; let x = in1[i];
  out0[i] = gi * in2[i] * ${name}_grad(x);
  out1[i] = gi * ${name}(x);`),
    );
  }
  return out!;
}

/** GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function gelu(x: Tensor): Tensor {
  return unary('gelu', x);
}

/** SiLU (swish): x·σ(x). */
export function silu(x: Tensor): Tensor {
  return unary('silu', x);
}

/** silu(gate)·up (Llama/Qwen MLP). */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  return gated('silu', gate, up);
}

/** gelu(gate)·up (GeGLU MLP). */
export function geglu(gate: Tensor, up: Tensor): Tensor {
  return gated('gelu', gate, up);
}
