// TF.js (@tensorflow/tfjs-core with the WebGPU backend) as a contender: eager ops, the training
// step as tf.variableGrads + AdamW on tf.Variables inside one tf.tidy, as a TF.js user would
// write it. The backend must find `navigator.gpu` (see node.ts for Node).
import type * as TfModule from '@tensorflow/tfjs-core';
import { TINY_X, TINY_Y, sequential, type Contender, type Prepared, type Weights } from './contender.ts';
import { adamwUpdate, batchTables, modelLoss, oneHot, type PeerBatch, type PeerOps } from './model.ts';
import { ADAMW, trainingBatch, type MatmulCase, type TrainingCase } from './workloads.ts';

type Tf = typeof TfModule;
type T = TfModule.Tensor;

/**
 * `oneHotEmbed`: embed by one-hot @ E, as jax-js does — TF.js's WASM backend has no
 * UnsortedSegmentSum, which the gradient of tf.gather needs (extra FLOPs, its cost).
 */
function tfOps(tf: Tf, oneHotEmbed: boolean): PeerOps<T> {
  return {
    constant: (data, shape) => tf.tensor(data, shape),
    linear(x, w, b) {
      const shape = x.shape;
      const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1);
      let y = tf.matMul(tf.reshape(x, [rows, shape.at(-1)!]), w, false, true);
      if (b) y = tf.add(y, b);
      return tf.reshape(y, [...shape.slice(0, -1), w.shape[0]!]);
    },
    matmul: (a, b, transB) => tf.matMul(a, b, false, transB ?? false),
    transpose: (a, perm) => tf.transpose(a, perm),
    reshape: (a, shape) => tf.reshape(a, shape),
    add: (a, b) => tf.add(a, b),
    sub: (a, b) => tf.sub(a, b),
    mul: (a, b) => tf.mul(a, b),
    div: (a, b) => tf.div(a, b),
    scale: (a, s) => tf.mul(a, s),
    addScalar: (a, s) => tf.add(a, s),
    tanh: (a) => tf.tanh(a),
    sigmoid: (a) => tf.sigmoid(a),
    rsqrt: (a) => tf.rsqrt(a),
    sqrt: (a) => tf.sqrt(a),
    meanLast: (a) => tf.mean(a, -1, true),
    sumLast: (a) => tf.sum(a, -1),
    meanAll: (a) => tf.mean(a),
    logSoftmax: (a) => tf.logSoftmax(a, -1),
    softmax: (a) => tf.softmax(a, -1),
    sliceLast: (a, start, width) => tf.slice(a, [...a.shape.slice(0, -1).map(() => 0), start], [...a.shape.slice(0, -1), width]),
    concatLast: (parts) => tf.concat(parts, -1),
    embed(table, batch) {
      const T = batch.cos.shape[1]!;
      const rows = oneHotEmbed ? tf.matMul(batch.ids, table) : tf.gather(table, batch.ids);
      return tf.reshape(rows, [batch.ids.shape[0]! / T, T, table.shape[1]!]);
    },
  };
}

async function readAndFree(t: T): Promise<Float32Array> {
  const d = (await t.data()) as Float32Array;
  t.dispose();
  return d;
}

/** Waits for the GPU by reading the last result (TF.js runs its queue in order), then frees all. */
async function settle(tf: Tf, outs: T[]): Promise<void> {
  await outs.at(-1)!.data();
  tf.dispose(outs);
}

/** Where TF.js's WASM backend finds its .wasm files: a folder (path in Node, URL prefix in a page) or one URL per file. */
export type TfWasmPaths = string | Partial<Record<'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm', string>>;

/**
 * TF.js on its WebGPU backend, or on its WASM backend (XNNPACK, SIMD; its threaded-SIMD build
 * where the page is cross-origin isolated, never in Node): `wasmPaths` is where its .wasm files are;
 * `threads` the threads its threaded build may use (its default is half the logical cores).
 */
export async function tfContender(backend: 'webgpu' | 'wasm' = 'webgpu', wasmPaths?: TfWasmPaths, threads?: number): Promise<Contender> {
  const tf: Tf = await import('@tensorflow/tfjs-core');
  // tfjs-core alone registers no gradients; the `@tensorflow/tfjs` bundle would import these.
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  let detail = '@tensorflow/tfjs-backend-webgpu 4.22 (eager)';
  if (backend === 'webgpu') {
    await import('@tensorflow/tfjs-backend-webgpu');
    // Small ops on host-resident inputs would run on the CPU (a TF.js default): race the GPU.
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its WebGPU backend');
  } else {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (wasmPaths) wasm.setWasmPaths(wasmPaths as Parameters<typeof wasm.setWasmPaths>[0]);
    // The flags TF.js itself reads to pick its binary (threaded SIMD needs both).
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threaded = simd && (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    if (threaded && threads !== undefined) wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error('TF.js could not start its WASM backend');
    await tf.ready();
    const used = wasm.getThreadsCount();
    detail = `@tensorflow/tfjs-backend-wasm 4.22 (XNNPACK, ${threaded ? 'threaded-SIMD build' : simd ? 'SIMD build, no threads' : 'no SIMD'}, ${used} thread${used === 1 ? '' : 's'}, eager)`;
  }
  await tf.ready();
  const oneHotEmbed = backend === 'wasm';
  const ops = tfOps(tf, oneHotEmbed);
  return {
    name: 'TF.js',
    detail,
    async matmul(c: MatmulCase, a: Float32Array, b: Float32Array): Promise<Prepared<Float32Array>> {
      const lead = c.batch > 1 ? [c.batch] : [];
      const ta = tf.tensor(a, [...lead, c.m, c.k]);
      const tb = tf.tensor(b, [...lead, c.k, c.n]);
      const answer = await readAndFree(tf.matMul(ta, tb));
      return {
        answer,
        async run(reps) {
          await settle(tf, Array.from({ length: reps }, () => tf.matMul(ta, tb)));
        },
        dispose: () => tf.dispose([ta, tb]),
      };
    },
    async training(c: TrainingCase, weights: Weights): Promise<Prepared<[number, number]>> {
      const { ids, targets } = trainingBatch(c);
      const tables = batchTables(c);
      const width = c.model === 'encoder' ? c.classes : c.vocab;
      const batch: PeerBatch<T> = {
        ids: oneHotEmbed ? tf.tensor(oneHot(ids, c.vocab), [ids.length, c.vocab]) : tf.tensor1d(ids, 'int32'),
        targetOneHot: tf.tensor(oneHot(targets, width), [targets.length, width]),
        attnBias: tf.tensor(tables.bias, tables.biasShape),
        cos: tf.tensor(tables.cos, [1, c.seqLen, 1, tables.half]),
        sin: tf.tensor(tables.sin, [1, c.seqLen, 1, tables.half]),
      };
      const names = [...weights.keys()];
      const params = names.map((n) => tf.variable(tf.tensor(weights.get(n)!.data, weights.get(n)!.shape), true, n));
      const m = names.map((n) => tf.variable(tf.zeros(weights.get(n)!.shape), false));
      const v = names.map((n) => tf.variable(tf.zeros(weights.get(n)!.shape), false));
      const byName = Object.fromEntries(names.map((n, i) => [n, params[i]!]));
      let t = 0;
      const once = (): T =>
        tf.tidy(() => {
          t++;
          const [b1, b2] = ADAMW.betas;
          const { value, grads } = tf.variableGrads(() => modelLoss(ops, byName, batch, c) as TfModule.Scalar, params);
          const lrOverBc1 = tf.tensor1d([ADAMW.lr / (1 - b1 ** t)]);
          const sqrtBc2 = tf.tensor1d([Math.sqrt(1 - b2 ** t)]);
          names.forEach((n, i) => {
            const [p2, m2, v2] = adamwUpdate(ops, params[i]!, grads[n]!, m[i]!, v[i]!, lrOverBc1, sqrtBc2, ADAMW);
            params[i]!.assign(p2);
            m[i]!.assign(m2);
            v[i]!.assign(v2);
          });
          return value;
        });
      const first = (await readAndFree(once()))[0]!;
      const second = (await readAndFree(once()))[0]!;
      return {
        answer: [first, second],
        async run(reps) {
          await settle(tf, Array.from({ length: reps }, () => once()));
        },
        dispose: () => tf.dispose([...params, ...m, ...v, ...Object.values(batch)]),
      };
    },
    async tinyOp() {
      const x = tf.tensor1d(TINY_X);
      const y = tf.tensor1d(TINY_Y);
      return sequential(() => readAndFree(tf.add(x, y)), () => tf.dispose([x, y]));
    },
    async tinyChain(length: number) {
      const x = tf.tensor1d(TINY_X);
      const y = tf.tensor1d(TINY_Y);
      const chain = () =>
        tf.tidy(() => {
          let s = x;
          for (let i = 0; i < length; i++) s = tf.add(s, y);
          return s;
        });
      return sequential(() => readAndFree(chain()), () => tf.dispose([x, y]));
    },
    destroy() {
      tf.engine().reset();
    },
  };
}
