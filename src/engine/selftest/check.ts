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

/**
 * The one tolerance rule of the engine's tests and `lantern selftest` (src/engine/README.md,
 * "Tolerances"): every element, finite, within
 *     |got − want| ≤ rtol·|want| + atol·max|want|
 * a relative error with an absolute floor in terms of the reference's scale (max|want| over the
 * compared tensor: a loss is its own scale, a gradient's is its largest entry). A bare number t is
 * { rtol: 0, atol: t }: within t of the scale.
 */
export interface Tolerance {
  rtol: number;
  atol: number;
}

export function toTolerance(tol: number | Tolerance): Tolerance {
  return typeof tol === 'number' ? { rtol: 0, atol: tol } : tol;
}

export function compare(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number | Tolerance): CheckResult {
  if (got.length !== want.length) return { name, maxAbsErr: Infinity, maxRelErr: Infinity, ok: false, detail: `length ${got.length} ≠ ${want.length}` };
  const { rtol, atol } = toTolerance(tol);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  let maxAbs = 0;
  let finite = true;
  let outside = 0;
  let firstOutside = -1;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (!Number.isFinite(g)) finite = false;
    const err = Math.abs(g - w);
    maxAbs = Math.max(maxAbs, err);
    if (!(err <= rtol * Math.abs(w) + atol * scale)) {
      outside++;
      if (firstOutside < 0) firstOutside = i;
    }
  }
  const maxRelErr = maxAbs / Math.max(scale, 1e-30);
  const ok = finite && outside === 0;
  const detail = !finite ? 'non-finite values' : outside ? `${outside} of ${got.length} outside rtol ${rtol} + atol ${atol} × scale ${scale.toExponential(2)} (first at ${firstOutside}: ${got[firstOutside]} vs ${want[firstOutside]})` : undefined;
  return { name, maxAbsErr: maxAbs, maxRelErr, ok, ...(detail ? { detail } : {}) };
}

/** Merges several comparisons into one check (the worst error wins). */
export function worst(name: string, parts: CheckResult[]): CheckResult {
  const failed = parts.filter((p) => !p.ok).map((p) => (p.detail ? `${p.name} (${p.detail})` : p.name));
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
  /** The tolerance rule's bounds (compare); a number t is { rtol: 0, atol: t }. Default 1e-4. */
  tol?: number | Tolerance;
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
