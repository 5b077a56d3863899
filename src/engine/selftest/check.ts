// One way to compare a GPU op with its CPU reference, forward and backward. Used by the engine
// tests and by `lantern selftest` / the System page, so a user checks exactly what CI checks.
import type { Engine } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { randn } from '../random.ts';

export interface CheckResult {
  name: string;
  maxAbsErr: number;
  /** maxAbsErr relative to the largest magnitude of the reference (robust near zero). */
  maxRelErr: number;
  ok: boolean;
  detail?: string;
}

export function compare(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): CheckResult {
  if (got.length !== want.length) return { name, maxAbsErr: Infinity, maxRelErr: Infinity, ok: false, detail: `length ${got.length} ≠ ${want.length}` };
  let maxAbs = 0;
  let scale = 0;
  let finite = true;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (!Number.isFinite(g)) finite = false;
    maxAbs = Math.max(maxAbs, Math.abs(g - w));
    scale = Math.max(scale, Math.abs(w));
  }
  const maxRelErr = maxAbs / Math.max(scale, 1e-30);
  return { name, maxAbsErr: maxAbs, maxRelErr, ok: finite && (maxRelErr <= tol || maxAbs <= tol * 1e-3), ...(finite ? {} : { detail: 'non-finite values' }) };
}

/** Merges several comparisons into one check (the worst error wins). */
export function worst(name: string, parts: CheckResult[]): CheckResult {
  const failed = parts.filter((p) => !p.ok).map((p) => p.name);
  return {
    name,
    maxAbsErr: Math.max(0, ...parts.map((p) => p.maxAbsErr)),
    maxRelErr: Math.max(0, ...parts.map((p) => p.maxRelErr)),
    ok: failed.length === 0,
    ...(failed.length ? { detail: `failed: ${failed.join(', ')}` } : {}),
  };
}

export interface InputSpec {
  shape: number[];
  /** Values; random normal when omitted. */
  data?: Float64Array;
  /** Whether gradients are checked for this input (default true for f32 inputs). */
  grad?: boolean;
  dtype?: 'f32' | 'i32' | 'u32';
}

export interface OpCheck {
  name: string;
  inputs: InputSpec[];
  /** The op on the GPU. */
  gpu: (inputs: Tensor[]) => Tensor;
  /** The CPU reference forward. */
  cpuForward: (inputs: Float64Array[]) => Float64Array;
  /** The CPU reference backward: gradient of sum(out · gOut) for every input (null where none). */
  cpuBackward?: (inputs: Float64Array[], gOut: Float64Array) => (Float64Array | null)[];
  tol?: number;
  seed?: number;
}

/** Runs an op on the GPU and the CPU with the same random inputs and upstream gradient. */
export async function checkOp(engine: Engine, spec: OpCheck): Promise<CheckResult> {
  const tol = spec.tol ?? 1e-4;
  const seed = spec.seed ?? 1;
  const hostInputs = spec.inputs.map((inp, i) => inp.data ?? randn(inp.shape.reduce((a, b) => a * b, 1), seed * 1000 + i));
  return engine.tidy(async () => {
    const tensors = spec.inputs.map((inp, i) => {
      const dtype = inp.dtype ?? 'f32';
      const data = hostInputs[i]!;
      const arr = dtype === 'f32' ? Float32Array.from(data) : dtype === 'i32' ? Int32Array.from(data) : Uint32Array.from(data);
      const wantGrad = dtype === 'f32' && (inp.grad ?? true) && !!spec.cpuBackward;
      return engine.upload(arr, inp.shape, dtype, { requiresGrad: wantGrad, isParam: wantGrad });
    });
    try {
      // Reference inputs are rounded to f32 exactly as the GPU sees them.
      const f32Inputs = tensors.map((t, i) => (t.dtype === 'f32' ? Float64Array.from(Float32Array.from(hostInputs[i]!)) : hostInputs[i]!));
      const out = spec.gpu(tensors);
      const wantOut = spec.cpuForward(f32Inputs);
      const parts = [compare(`${spec.name} forward`, await out.read(), wantOut, tol)];
      if (spec.cpuBackward) {
        const gOut = Float64Array.from(Float32Array.from(randn(out.size, seed * 7919 + 13)));
        engine.autograd.backward(out, engine.upload(Float32Array.from(gOut), out.shape));
        const wantGrads = spec.cpuBackward(f32Inputs, gOut);
        for (let i = 0; i < tensors.length; i++) {
          const t = tensors[i]!;
          const want = wantGrads[i];
          if (!want || !t.requiresGrad) continue;
          if (!t.grad) {
            parts.push({ name: `${spec.name} grad[${i}]`, maxAbsErr: Infinity, maxRelErr: Infinity, ok: false, detail: 'no gradient reached this input' });
            continue;
          }
          parts.push(compare(`${spec.name} grad[${i}]`, await t.grad.read(), want, tol));
        }
      }
      return worst(spec.name, parts);
    } finally {
      engine.autograd.clear();
      for (const t of tensors) t.release();
    }
  });
}
