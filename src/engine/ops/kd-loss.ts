// The fused KD loss: w_ce·CE + w_kd·s·D(p‖q), averaged over the rows' mask weights, for every
// divergence of kd-spec.ts, dense or sparse (top-k + tail) teachers. One workgroup per row streams
// the vocabulary inside one dispatch: log-sum-exp of both distributions at T; D and H = Σ q·∂D/∂q;
// the gradient (forward KL and plain CE merge the last two passes). The gradient w.r.t. the
// student logits is written directly, already scaled by its weights; the teacher gets none. A
// second, one-workgroup dispatch sums the rows into the scalar. Backward only multiplies that
// gradient by the incoming scalar gradient. The algebra (the gradient of every divergence through
// the softmax, the sparse tail) is written out in the engine README, "The KD loss"; the CPU twin
// (cpu/kd-loss.ts) computes it in float64.
import type { Engine } from '../runtime.ts';
import { FLAT_INDEX, WORKGROUP_1D, grid1d, packUniforms } from '../wgsl.ts';
import type { Tensor } from '../tensor.ts';
import { resolveKdParam, KdSpecError, type Divergence, type KdLossSpec } from '../kd-spec.ts';
import { checkKdCall, MAX_TOP_K } from '../kd-args.ts';

export interface KdLossOptions {
  spec: KdLossSpec;
  /** Dense teacher logits [N, V]. */
  teacherLogits?: Tensor;
  /** Sparse teacher at T = 1: top-k ids [N, K] (i32) and their log-probs [N, K]; the rest is a tail bucket. */
  sparseTeacher?: { ids: Tensor; logprobs: Tensor };
  /** Class / next-token ids [N] (i32) for the CE part. */
  targets?: Tensor;
  /** Row weights [N]: 1 = counted, 0 = ignored (padding, prompt tokens). */
  mask?: Tensor;
}

// Threads per row. 64 keeps barrier-heavy reductions cheap (about 2× faster than 256 on SwiftShader)
// while each thread still streams V/64 logits; rows supply the parallelism.
const WG = 64;

/** WGSL of one divergence term: vec2(contribution to D, h = q·∂D/∂q) from p, q and their logs. */
const TERMS: Record<Divergence, string> = {
  fkl: 'return vec2f(xd(p, lp, lq), -p);',
  rkl: 'return vec2f(xd(q, lq, lp), q * (lq - lp + 1.0));',
  jsd: `let lm = logAddExp(u.logA + lp, u.log1mA + lq);
  let hq = xd(q, lq, lm);
  return vec2f(u.a * xd(p, lp, lm) + (1.0 - u.a) * hq, (1.0 - u.a) * hq);`,
  tvd: 'return vec2f(0.5 * abs(p - q), 0.5 * q * sign(q - p));',
  sfkl: `let lm = logAddExp(u.logA + lp, u.log1mA + lq);
  return vec2f(xd(p, lp, lm), -(1.0 - u.a) * exp(lp + lq - lm));`,
  srkl: `let lm = logAddExp(u.logA + lq, u.log1mA + lp);
  return vec2f(xd(q, lq, lm), q * (lq - lm + 1.0 - u.a * exp(lq - lm)));`,
};

/** What one compiled row kernel computes; the kernel is assembled from the pieces each part adds. */
interface Variant {
  divergence: Divergence;
  teacher: 'none' | 'dense' | 'sparse';
  ce: boolean;
  mask: boolean;
  grad: boolean;
}

/**
 * A part of the row kernel (the teacher's divergence, the CE term): WGSL spliced at fixed places of
 * the kernel's skeleton (rowsKernelSource). Pass 1 streams the row once for the log-sum-exps; the
 * divergence pass leaves dRow (and hSum for the gradient); the gradient pass writes grad.
 */
interface Part {
  bindings: string[];
  /** Pass 1: declarations before the loop, a step per logit j (z = zs[base + j]), reductions after. */
  lse: { init: string; step: string; reduce: string };
  /** After pass 1: the part's own row value (CE loss, or D with H). */
  row: string;
}

interface TeacherPart extends Part {
  /** Workgroup memory. */
  workgroup: string;
  /** The gradient pass over the row, given the CE term's gradient at logit `j` ('' without CE). */
  gradient: (ceAt: (j: string) => string) => string;
}

interface CePart extends Part {
  /** Added to the row loss (already inside wRow · (…)). */
  loss: string;
  /** The CE gradient at logit `j`, as a term added inside wRow · (…). */
  at: (j: string) => string;
}

const NO_LSE = { init: '', step: '', reduce: '' };

/** CE = −log q(y) at T = 1; with a teacher it needs the student's log-sum-exp at T = 1 as well. */
function cePart(withTeacher: boolean): CePart {
  return {
    bindings: ['var<storage, read> targets: array<i32>;'],
    lse: withTeacher ? { init: 'var ms1 = vec2f(NEG, 0.0);', step: 'ms1 = online(ms1, z);', reduce: 'let lse1 = reduceLse(lid, ms1);' } : { ...NO_LSE, reduce: 'let lse1 = lseS;' },
    row: `// CE = −log q(y) at T = 1; an out-of-range target poisons the row.
  if (lid == 0u) {
    let y = targets[row];
    bad = select(0u, 1u, y < 0 || u32(y) >= V);
    shared1 = lse1 - zs[base + u32(clamp(y, 0, i32(V) - 1))];
  }
  let ceLoss = workgroupUniformLoad(&shared1);
  let yRow = u32(clamp(targets[row], 0, i32(V) - 1));`,
    loss: ' + u.wCe * ceLoss',
    at: (j) => ` + u.wCe * (exp(zs[base + ${j}] - lse1) - select(0.0, 1.0, ${j} == yRow))`,
  };
}

const NO_CE: CePart = { bindings: [], lse: NO_LSE, row: '', loss: '', at: () => '' };

/** No teacher (wKd = 0): only the CE term. */
const NO_TEACHER: TeacherPart = {
  bindings: [],
  workgroup: '',
  lse: NO_LSE,
  row: 'let dRow = 0.0;',
  gradient: (ceAt) => `for (var j = lid; j < V; j += WG) {
    grad[base + j] = wRow * (0.0${ceAt('j')});
  }`,
};

const DENSE_LSE = { init: 'var msT = vec2f(NEG, 0.0);', step: 'msT = online(msT, zt[base + j] * u.invT);', reduce: 'let lseT = reduceLse(lid, msT);' };

/** Dense teacher logits: D and H = Σ h in pass 2, the gradient (h − q·H)/T in pass 3. */
const DENSE_TEACHER: TeacherPart = {
  bindings: ['var<storage, read> zt: array<f32>;'],
  workgroup: '',
  lse: DENSE_LSE,
  row: `// Pass 2: D and H = Σ h.
  var acc = vec2f(0.0);
  for (var j = lid; j < V; j += WG) {
    let lq = zs[base + j] * u.invT - lseS;
    let lp = zt[base + j] * u.invT - lseT;
    acc += term(exp(lp), exp(lq), lp, lq);
  }
  let dh = reduceSum(lid, acc);
  let dRow = dh.x;
  let hSum = dh.y;`,
  gradient: (ceAt) => `// Pass 3: the gradient, (h − q·H)/T per divergence plus the CE part.
  let c = u.sKd * u.invT;
  for (var j = lid; j < V; j += WG) {
    let lq = zs[base + j] * u.invT - lseS;
    let lp = zt[base + j] * u.invT - lseT;
    let q = exp(lq);
    let h = term(exp(lp), q, lp, lq).y;
    grad[base + j] = wRow * (c * (h - q * hSum)${ceAt('j')});
  }`,
};

/** Dense forward KL: H = −Σp = −1 is known, so D and the gradient (q − p)/T share pass 2. */
function denseFklTeacher(grad: boolean, ceAt: (j: string) => string): TeacherPart {
  return {
    ...DENSE_TEACHER,
    row: `// Forward KL: H = −Σp = −1 is known, so D and the gradient (q − p)/T share one pass.
  var acc = vec2f(0.0);
  let c = u.sKd * u.invT;
  for (var j = lid; j < V; j += WG) {
    let lq = zs[base + j] * u.invT - lseS;
    let lp = zt[base + j] * u.invT - lseT;
    let q = exp(lq);
    let t = term(exp(lp), q, lp, lq);
    acc += t;
    ${grad ? `grad[base + j] = wRow * (c * (t.y + q)${ceAt('j')});` : ''}
  }
  let dRow = reduceSum(lid, acc).x;`,
    gradient: () => '',
  };
}

/** Sparse top-k teacher (at T = 1): the K categories kept in workgroup memory, and the tail. */
const SPARSE_TEACHER: TeacherPart = {
  bindings: ['var<storage, read> ids: array<i32>;', 'var<storage, read> lps: array<f32>;'],
  workgroup: `var<workgroup> catId: array<u32, ${MAX_TOP_K}>;\nvar<workgroup> catLogq: array<f32, ${MAX_TOP_K}>;\nvar<workgroup> catH: array<f32, ${MAX_TOP_K}>;`,
  lse: NO_LSE,
  row: `// The K top-k categories and the tail (sparse teachers are at T = 1).
  let K = u.k;
  var top = vec2f(0.0);
  for (var c = lid; c < K; c += WG) {
    let id = ids[row * K + c];
    if (id < 0 || u32(id) >= V) { bad = 1u; }
    let idc = u32(clamp(id, 0, i32(V) - 1));
    catId[c] = idc;
    let lq = zs[base + idc] * u.invT - lseS;
    catLogq[c] = lq;
    top += vec2f(exp(lps[row * K + c]), exp(lq));
  }
  let mass = reduceSum(lid, top);
  let pTail = max(1.0 - mass.x, 0.0);
  let qTail = max(1.0 - mass.y, 0.0);
  var dh = vec2f(0.0);
  for (var c = lid; c < K; c += WG) {
    let lp = lps[row * K + c];
    let lq = catLogq[c];
    let t = term(exp(lp), exp(lq), lp, lq);
    dh += t;
    catH[c] = t.y;
  }
  if (lid == 0u) {
    let t = term(pTail, qTail, log(max(pTail, TINY)), log(max(qTail, TINY)));
    dh += t;
    shared1 = select(t.y / qTail, 0.0, qTail == 0.0);
  }
  let sums = reduceSum(lid, dh);
  let dRow = sums.x;
  let hSum = sums.y;
  let gTail = workgroupUniformLoad(&shared1);`,
  gradient: (ceAt) => `// Pass 3: every logit as if in the tail, then the K top-k logits overwrite theirs.
  let c = u.sKd * u.invT;
  for (var j = lid; j < V; j += WG) {
    let q = exp(zs[base + j] * u.invT - lseS);
    grad[base + j] = wRow * (c * q * (gTail - hSum)${ceAt('j')});
  }
  storageBarrier();
  for (var k = lid; k < K; k += WG) {
    let j = catId[k];
    grad[base + j] = wRow * (c * (catH[k] - exp(catLogq[k]) * hSum)${ceAt('j')});
  }`,
};

/** Row weight = mask / Σ mask (every workgroup sums the small mask itself: no extra dispatch). */
function rowWeight(mask: boolean, grad: boolean): string {
  const weight = mask
    ? `var cnt = 0.0;
  for (var i = lid; i < u.n; i += WG) { cnt += mask[i]; }
  let count = reduceSum(lid, vec2f(cnt, 0.0)).x;
  if (lid == 0u) { shared1 = select(0.0, mask[row] / count, count != 0.0); }`
    : `if (lid == 0u) { shared1 = 1.0 / f32(u.n); }`;
  return `// Row weight = mask / Σ mask (every workgroup sums the small mask itself: no extra dispatch).
  ${weight}
  let wRow = workgroupUniformLoad(&shared1);
  if (wRow == 0.0) {
    ${grad ? 'for (var j = lid; j < V; j += WG) { grad[base + j] = 0.0; }' : ''}
    if (lid == 0u) { rowLoss[row] = 0.0; }
    return;
  }`;
}

/** The WGSL helpers every row kernel uses; `term` is the variant's divergence. */
function helpers(divergence: Divergence): string {
  return /* wgsl */ `
fn logAddExp(x: f32, y: f32) -> f32 {
  let m = max(x, y);
  return m + log(exp(x - m) + exp(y - m));
}
// x·(a − b) with 0·log 0 = 0.
fn xd(x: f32, a: f32, b: f32) -> f32 { return select(x * (a - b), 0.0, x == 0.0); }
fn term(p: f32, q: f32, lp: f32, lq: f32) -> vec2f {
  ${TERMS[divergence]}
}

fn reduceSum(lid: u32, x: vec2f) -> vec2f {
  red[lid] = x;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
// Log-sum-exp from per-thread online (max, sum) pairs.
fn reduceLse(lid: u32, ms: vec2f) -> f32 {
  red[lid] = ms;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let x = red[lid];
      let y = red[lid + s];
      let m = max(x.x, y.x);
      red[lid] = vec2f(m, x.y * exp(x.x - m) + y.y * exp(y.x - m));
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r.x + log(r.y);
}
fn online(ms: vec2f, x: f32) -> vec2f {
  if (x > ms.x) { return vec2f(x, ms.y * exp(ms.x - x) + 1.0); }
  return vec2f(ms.x, ms.y + exp(x - ms.x));
}`;
}

/**
 * The row kernel: one workgroup per row writes the row's weighted loss (and the row's gradient).
 * Its skeleton is fixed; the teacher and CE parts fill in bindings, pass 1, their row values and
 * the gradient pass.
 */
function rowsKernelSource(vt: Variant): string {
  const ce = vt.ce ? cePart(vt.teacher !== 'none') : NO_CE;
  const teacher =
    vt.teacher === 'none' ? NO_TEACHER : vt.teacher === 'sparse' ? SPARSE_TEACHER : vt.divergence === 'fkl' ? denseFklTeacher(vt.grad, ce.at) : DENSE_TEACHER;
  const bindings = [
    'var<storage, read> zs: array<f32>;',
    ...teacher.bindings,
    ...ce.bindings,
    ...(vt.mask ? ['var<storage, read> mask: array<f32>;'] : []),
    'var<storage, read_write> rowLoss: array<f32>;',
    ...(vt.grad ? ['var<storage, read_write> grad: array<f32>;'] : []),
    'var<uniform> u: U;',
  ];
  const kd = vt.teacher !== 'none';
  return /* wgsl */ `
struct U { n: u32, v: u32, k: u32, _pad: u32, invT: f32, a: f32, logA: f32, log1mA: f32, wCe: f32, sKd: f32 }
${bindings.map((b, i) => `@group(0) @binding(${i}) ${b}`).join('\n')}
const WG = ${WG}u;
const NEG = -3.0e38;
const TINY = 1.0e-30;
var<workgroup> red: array<vec2f, WG>;
var<workgroup> shared1: f32;
var<workgroup> bad: u32;
${teacher.workgroup}
${helpers(vt.divergence)}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= u.n) { return; }
  let V = u.v;
  let base = row * V;

  ${rowWeight(vt.mask, vt.grad)}

  // Pass 1: log-sum-exp of the student at T (and at 1 for CE), of a dense teacher at T.
  var msS = vec2f(NEG, 0.0);
  ${teacher.lse.init}
  ${ce.lse.init}
  for (var j = lid; j < V; j += WG) {
    let z = zs[base + j];
    msS = online(msS, z * u.invT);
    ${teacher.lse.step}
    ${ce.lse.step}
  }
  let lseS = reduceLse(lid, msS);
  ${teacher.lse.reduce}
  ${ce.lse.reduce}

  ${ce.row}

  ${teacher.row}

  if (lid == 0u) {
    let loss = wRow * (${kd ? 'u.sKd * dRow' : '0.0'}${ce.loss});
    rowLoss[row] = select(loss, bitcast<f32>(0x7fc00000u + bad), bad != 0u);
  }
  ${vt.grad ? teacher.gradient(ce.at) : ''}
}`;
}

const SUM_ROWS_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read> rowLoss: array<f32>;
@group(0) @binding(1) var<storage, read_write> loss: array<f32>;
@group(0) @binding(2) var<uniform> n: vec4u;
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < n.x; i += ${WG}u) { acc += rowLoss[i]; }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { loss[0] = red[0]; }
}`;

// x *= g[0]: backward scales the gradient written in forward by the loss's incoming gradient.
const SCALE_BY_SCALAR_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<uniform> n: vec4u;
@compute @workgroup_size(${WORKGROUP_1D})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = ${FLAT_INDEX};
  if (i < n.x) { x[i] = x[i] * g[0]; }
}`;

function rowGrid(n: number): [number, number] {
  if (n <= 65535) return [n, 1];
  const y = Math.ceil(n / 65535);
  return [Math.ceil(n / y), y];
}

/**
 * The KD loss as a scalar tensor. Sparse teachers should come through `uploadSparseTeacher` (kd-args.ts), which
 * checks ids on the host; on the GPU an out-of-range id or target makes the loss NaN.
 */
export function kdLoss(studentLogits: Tensor, opts: KdLossOptions): Tensor {
  const { spec } = opts;
  const kd = spec.wKd > 0;
  const ce = spec.wCe > 0;
  const { n, v, k } = checkKdCall(spec, {
    student: studentLogits.shape,
    ...(opts.teacherLogits && kd ? { teacher: opts.teacherLogits.shape } : {}),
    ...(opts.sparseTeacher && kd ? { sparseIds: opts.sparseTeacher.ids.shape, sparseLogprobs: opts.sparseTeacher.logprobs.shape } : {}),
    ...(opts.targets ? { targets: opts.targets.shape } : {}),
    ...(opts.mask ? { mask: opts.mask.shape } : {}),
  });
  if (opts.sparseTeacher && kd && opts.sparseTeacher.ids.dtype !== 'i32') throw new KdSpecError('kdLoss: sparse teacher ids must be an i32 tensor');
  if (ce && opts.targets!.dtype !== 'i32') throw new KdSpecError('kdLoss: targets must be an i32 tensor');
  const engine = studentLogits.engine;
  const withGrad = engine.autograd.needsGrad([studentLogits]);
  const vt: Variant = {
    divergence: spec.divergence,
    teacher: !kd ? 'none' : opts.teacherLogits ? 'dense' : 'sparse',
    ce,
    mask: !!opts.mask,
    grad: withGrad,
  };
  const key = `kdLoss:${vt.divergence}:${vt.teacher}:${vt.ce ? 'ce' : ''}:${vt.mask ? 'mask' : ''}:${vt.grad ? 'grad' : ''}`;
  const rowsKernel = engine.kernel(key, rowsKernelSource(vt));

  const param = resolveKdParam(spec.divergence, spec.param) ?? 0;
  const t = kd ? spec.temperature : 1;
  const u = packUniforms([n, v, k, 0], [1 / t, param, param > 0 ? Math.log(param) : -1e30, param < 1 ? Math.log(1 - param) : -1e30, spec.wCe, spec.wKd * (spec.scaleByT2 ? t * t : 1)]);

  const rowLoss = engine.empty([n]);
  const grad = withGrad ? engine.empty([n, v]) : null;
  const bindings: Tensor[] = [studentLogits];
  if (vt.teacher === 'dense') bindings.push(opts.teacherLogits!);
  if (vt.teacher === 'sparse') bindings.push(opts.sparseTeacher!.ids, opts.sparseTeacher!.logprobs);
  if (ce) bindings.push(opts.targets!);
  if (opts.mask) bindings.push(opts.mask);
  bindings.push(rowLoss);
  if (grad) bindings.push(grad);
  engine.dispatch(rowsKernel, bindings, rowGrid(n), u);

  const loss = engine.empty([1]);
  engine.dispatch(engine.kernel('kdLoss:sumRows', SUM_ROWS_WGSL), [rowLoss, loss], [1], new Uint32Array([n, 0, 0, 0]));
  rowLoss.release();

  if (grad) {
    engine.autograd.record([studentLogits], [loss], ([g]) => {
      scaleByScalar(engine, grad, g!);
      return [grad];
    });
  }
  return loss;
}

function scaleByScalar(engine: Engine, x: Tensor, g: Tensor): void {
  engine.dispatch(engine.kernel('kdLoss:scaleByScalar', SCALE_BY_SCALAR_WGSL), [x, g], grid1d(x.size), new Uint32Array([x.size, 0, 0, 0]));
}

/** Mean cross-entropy −log softmax(logits)[target] over the unmasked rows (T = 1). */
export function crossEntropy(logits: Tensor, targets: Tensor, mask?: Tensor): Tensor {
  return kdLoss(logits, { spec: { divergence: 'fkl', temperature: 1, scaleByT2: false, wCe: 1, wKd: 0 }, targets, ...(mask ? { mask } : {}) });
}
