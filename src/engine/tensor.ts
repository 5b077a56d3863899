// A tensor is a shape over pooled storage (a GPU buffer, or a span of the WASM memory). Memory is returned by release() or by the
// engine scope that created it (see Engine.tidy); parameters outlive scopes.
import type { Engine } from './runtime.ts';
import { ShapeError } from './errors.ts';
import type { Storage } from './backend.ts';

export type DType = 'f32' | 'i32' | 'u32';
export type TypedArrayFor<D extends DType> = D extends 'f32' ? Float32Array : D extends 'i32' ? Int32Array : Uint32Array;

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

export interface TensorOptions {
  requiresGrad?: boolean;
  /** A persistent leaf (a model weight): see Tensor.isParam. */
  isParam?: boolean;
  name?: string;
}

/** Throws a ShapeError naming `op` unless a and b have the same shape. */
export function assertSameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${op}: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ`);
  }
}

export class Tensor {
  readonly size: number;
  /** Accumulated gradient (parameters only; intermediate gradients live inside backward). */
  grad: Tensor | null = null;
  /** Gradients flow to this tensor. */
  requiresGrad: boolean;
  /** Persistent leaf (a model weight): not released by scopes, its gradient accumulates in .grad. */
  readonly isParam: boolean;
  name?: string;
  private released = false;

  constructor(
    readonly engine: Engine,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly buffer: Storage,
    opts: TensorOptions = {},
  ) {
    this.size = sizeOf(shape);
    this.requiresGrad = opts.requiresGrad ?? false;
    this.isParam = opts.isParam ?? false;
    this.name = opts.name;
  }

  get byteLength(): number {
    return this.size * 4;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Returns the buffer to the pool. Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.engine.pool.release(this.buffer);
    this.grad?.release();
    this.grad = null;
  }

  /** Keeps this tensor alive past the scope that created it (the caller now owns it). */
  keep(): this {
    this.engine.untrack(this);
    return this;
  }

  async read(): Promise<TypedArrayFor<this['dtype']>> {
    return (await this.engine.read(this)) as TypedArrayFor<this['dtype']>;
  }

  toString(): string {
    return `Tensor(${this.name ? this.name + ', ' : ''}[${this.shape.join('×')}], ${this.dtype})`;
  }
}
