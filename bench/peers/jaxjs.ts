// jax-js (@jax-js/jax, its WebGPU or WASM device) as a contender: every workload under jit, the training step
// as valueAndGrad + AdamW in one jit-compiled function, as a jax-js user would write it. The
// embedding is one-hot @ E: np.take's gradient fails under jit in 0.1.25 (it costs extra FLOPs).
// jax-js must find `navigator.gpu` when it is imported (see node.ts for Node).
import type * as JaxModule from '@jax-js/jax';
import { TINY_X, TINY_Y, sequential, type Contender, type Prepared, type Weights } from './contender.ts';
import { adamwUpdate, batchTables, modelLoss, oneHot, type PeerBatch, type PeerOps, type Params } from './model.ts';
import { ADAMW, trainingBatch, type MatmulCase, type TrainingCase } from './workloads.ts';

/** jax's np.array takes ArrayBuffer-backed arrays (lib types from ES2024 on tell them apart); every array here is one. */
const buffered = (data: Float32Array) => data as Float32Array<ArrayBuffer>;

type Jax = typeof JaxModule;
type A = JaxModule.Array;

/** The axis order that swaps the last two of `rank` axes. */
function swapLastTwo(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => (i < rank - 2 ? i : i === rank - 2 ? rank - 1 : rank - 2));
}

/** The model's ops; every input is `.ref`'d, so nothing here consumes what the model reuses. */
function jaxOps(jax: Jax): PeerOps<A> {
  const np = jax.numpy;
  const r = (a: A) => a.ref;
  return {
    constant: (data, shape) => np.array(buffered(data)).reshape(shape),
    linear(x, w, b) {
      const shape = x.shape;
      const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1);
      let y = np.matmul(np.reshape(r(x), [rows, shape.at(-1)!]), np.transpose(r(w), [1, 0]));
      if (b) y = np.add(y, r(b));
      return np.reshape(y, [...shape.slice(0, -1), w.shape[0]!]);
    },
    matmul: (a, b, transB) => np.matmul(r(a), transB ? np.transpose(r(b), swapLastTwo(b.shape.length)) : r(b)),
    transpose: (a, perm) => np.transpose(r(a), perm),
    reshape: (a, shape) => np.reshape(r(a), shape),
    add: (a, b) => np.add(r(a), r(b)),
    sub: (a, b) => np.subtract(r(a), r(b)),
    mul: (a, b) => np.multiply(r(a), r(b)),
    div: (a, b) => np.trueDivide(r(a), r(b)),
    scale: (a, s) => np.multiply(r(a), s),
    addScalar: (a, s) => np.add(r(a), s),
    tanh: (a) => np.tanh(r(a)),
    sigmoid: (a) => jax.nn.sigmoid(r(a)),
    rsqrt: (a) => np.reciprocal(np.sqrt(r(a))),
    sqrt: (a) => np.sqrt(r(a)),
    meanLast: (a) => np.mean(r(a), -1, { keepdims: true }),
    sumLast: (a) => np.sum(r(a), -1),
    meanAll: (a) => np.mean(r(a)),
    logSoftmax: (a) => jax.nn.logSoftmax(r(a), -1),
    softmax: (a) => jax.nn.softmax(r(a), -1),
    sliceLast: (a, start, width) => r(a).slice(...a.shape.slice(0, -1).map(() => [] as []), [start, start + width]),
    concatLast: (parts) => np.concatenate(parts.map(r), -1),
    embed(table, batch) {
      const rows = batch.ids.shape[0]!;
      const T = batch.cos.shape[1]!;
      return np.reshape(np.matmul(r(batch.ids), r(table)), [rows / T, T, table.shape[1]!]);
    },
  };
}

/** Waits for the arrays, then frees them. */
async function settle(jax: Jax, arrays: A[]): Promise<void> {
  await jax.blockUntilReady(arrays);
  for (const a of arrays) a.dispose();
}

export async function jaxContender(device: 'webgpu' | 'wasm' = 'webgpu'): Promise<Contender> {
  const jax: Jax = await import('@jax-js/jax');
  const devices = await jax.init(device);
  if (!devices.includes(device)) throw new Error(`jax-js found no ${device} device (devices: ${devices.join(', ')})`);
  jax.defaultDevice(device);
  const np = jax.numpy;
  const ops = jaxOps(jax);
  const matmulJit = jax.jit((a: A, b: A) => np.matmul(a, b));
  const addJit = jax.jit((x: A, y: A) => np.add(x, y));
  return {
    name: 'jax-js',
    detail: `@jax-js/jax 0.1.25 (${device}, jit)`,
    async matmul(c: MatmulCase, a: Float32Array, b: Float32Array): Promise<Prepared<Float32Array>> {
      const lead = c.batch > 1 ? [c.batch] : [];
      const ja = np.array(buffered(a)).reshape([...lead, c.m, c.k]);
      const jb = np.array(buffered(b)).reshape([...lead, c.k, c.n]);
      const answer = (await matmulJit(ja.ref, jb.ref).data()) as Float32Array;
      return {
        answer,
        run: (reps) => settle(jax, Array.from({ length: reps }, () => matmulJit(ja.ref, jb.ref))),
        dispose: () => (ja.dispose(), jb.dispose()),
      };
    },
    async training(c: TrainingCase, weights: Weights): Promise<Prepared<[number, number]>> {
      const { ids, targets } = trainingBatch(c);
      const tables = batchTables(c);
      const batch: PeerBatch<A> = {
        ids: np.array(buffered(oneHot(ids, c.vocab))).reshape([ids.length, c.vocab]),
        targetOneHot: np.array(buffered(oneHot(targets, c.model === 'encoder' ? c.classes : c.vocab))).reshape([targets.length, c.model === 'encoder' ? c.classes : c.vocab]),
        attnBias: np.array(buffered(tables.bias)).reshape(tables.biasShape),
        cos: np.array(buffered(tables.cos)).reshape([1, c.seqLen, 1, tables.half]),
        sin: np.array(buffered(tables.sin)).reshape([1, c.seqLen, 1, tables.half]),
      };
      let params: Params<A> = {};
      let m: Params<A> = {};
      let v: Params<A> = {};
      for (const [name, w] of weights) {
        params[name] = np.array(buffered(w.data)).reshape(w.shape);
        m[name] = np.zeros(w.shape);
        v[name] = np.zeros(w.shape);
      }
      const step = jax.jit((p: Params<A>, m0: Params<A>, v0: Params<A>, lrOverBc1: A, sqrtBc2: A, b: PeerBatch<A>) => {
        const [loss, grads] = jax.valueAndGrad((q: Params<A>) => modelLoss(ops, q, b, c))(jax.tree.ref(p));
        const p2: Params<A> = {};
        const m2: Params<A> = {};
        const v2: Params<A> = {};
        for (const name of Object.keys(p)) [p2[name], m2[name], v2[name]] = adamwUpdate(ops, p[name]!, grads[name]!, m0[name]!, v0[name]!, lrOverBc1, sqrtBc2, ADAMW);
        return [loss, p2, m2, v2] as [A, Params<A>, Params<A>, Params<A>];
      });
      let t = 0;
      const once = (): A => {
        t++;
        const [b1, b2] = ADAMW.betas;
        const [loss, p2, m2, v2] = step(params, m, v, np.array([ADAMW.lr / (1 - b1 ** t)]), np.array([Math.sqrt(1 - b2 ** t)]), jax.tree.ref(batch));
        params = p2;
        m = m2;
        v = v2;
        return loss;
      };
      const first = (await once().data())[0]!;
      const second = (await once().data())[0]!;
      await jax.blockUntilReady([params, m, v]);
      return {
        answer: [first, second],
        async run(reps) {
          const losses: A[] = [];
          for (let i = 0; i < reps; i++) losses.push(once());
          // jax-js submits lazily: waiting for the losses alone would leave the last step's
          // backward and update unsubmitted (run later, inside someone else's timed round).
          await jax.blockUntilReady([params, m, v]);
          await settle(jax, losses);
        },
        dispose() {
          jax.tree.dispose([params, m, v, batch]);
        },
      };
    },
    async tinyOp() {
      const x = np.array(buffered(TINY_X));
      const y = np.array(buffered(TINY_Y));
      return sequential(async () => (await addJit(x.ref, y.ref).data()) as Float32Array, () => (x.dispose(), y.dispose()));
    },
    async tinyChain(length: number) {
      // Eager ops, as a user's loop of small updates would run (jit would fuse the chain away).
      const x = np.array(buffered(TINY_X));
      const y = np.array(buffered(TINY_Y));
      const chain = async () => {
        let z = x.ref;
        for (let i = 0; i < length; i++) z = np.add(z, y.ref);
        return (await z.data()) as Float32Array;
      };
      return sequential(chain, () => (x.dispose(), y.dispose()));
    },
    destroy() {},
  };
}
