// The fused KD loss: w_ce·CE + w_kd·s·D(p‖q), averaged over the rows' mask weights, for every
// divergence of kd-spec.ts, dense or sparse (top-k + tail) teachers. One workgroup per row streams
// the vocabulary inside one dispatch: log-sum-exp of both distributions at T (and the student's
// mode); D and S = Σ q·(ĥ − ĥ at the mode), ĥ = ∂D/∂q; the gradient (forward KL and plain CE merge
// the last two passes). The f32 arithmetic that keeps hard cases exact (log-sum-exps kept as max and
// log-sum, Bregman-form KL terms, the shift to the mode, the sparse tails) is in the engine README,
// "The KD loss", rule by rule. The gradient w.r.t. the
// student logits is written directly, already scaled by its weights; the teacher gets none. A
// second, one-workgroup dispatch sums the rows into the scalar. Backward only multiplies that
// gradient by the incoming scalar gradient. The algebra (the gradient of every divergence through
// the softmax, the sparse tail) is written out in the engine README, "The KD loss"; the CPU twin
// (cpu/kd-loss.ts) computes it in float64.
import type { Engine } from '../runtime.ts';
import { FLAT_INDEX, WORKGROUP_1D, grid1d, packUniforms } from '../wgsl.ts';
import type { Tensor } from '../tensor.ts';
import { resolveKdParam, KdSpecError, type Divergence, type KdLossSpec } from '../kd-spec.ts';
import { checkKdCall, MAX_TOP_K, type SparseTeacher } from '../kd-args.ts';

export interface KdLossOptions {
  spec: KdLossSpec;
  /** Dense teacher logits [N, V]. */
  teacherLogits?: Tensor;
  /** Sparse teacher at T = 1 (from uploadSparseTeacher): top-k ids, their log-probs and the log of the tail bucket. */
  sparseTeacher?: SparseTeacher;
  /** Class / next-token ids [N] (i32) for the CE part. */
  targets?: Tensor;
  /** Row weights [N]: 1 = counted, 0 = ignored (padding, prompt tokens). */
  mask?: Tensor;
}

// Threads per row. 64 keeps barrier-heavy reductions cheap (about 2× faster than 256 on SwiftShader)
// while each thread still streams V/64 logits; rows supply the parallelism.
const WG = 64;

/**
 * WGSL of one divergence term from p, q and r = log(q/p) (computed without rounding the
 * log-sum-exps into it): vec2(its contribution to D, ĥ = ∂D/∂q), except fkl, which gives h = q·ĥ =
 * −p (its H = Σh = −1 is known, and −p/q would overflow). Every KL is summed in Bregman form (breg:
 * each term ≥ 0, no large terms cancel); a = β (jsd) or α (skews), m the mixture.
 */
const TERMS: Record<Divergence, string> = {
  fkl: 'return vec2f(breg(p, q, r), -p);',
  rkl: 'return vec2f(breg(q, p, -r), r);',
  jsd: `let m = u.a * p + (1.0 - u.a) * q;
  let gq = mixLog(1.0 - u.a, u.log1mA, u.logA, -r); // log(m/q)
  return vec2f(u.a * breg(p, m, mixLog(u.a, u.logA, u.log1mA, r)) + (1.0 - u.a) * breg(q, m, gq), -(1.0 - u.a) * gq);`,
  // sign(q − p) = sign(r): r resolves q ≈ p near 1, where p and q round to the same f32.
  tvd: `let d = select(abs(q - p), p * abs(expm1s(r)), abs(r) <= 0.5);
  return vec2f(0.5 * d, 0.5 * sign(r));`,
  sfkl: `let g = mixLog(u.a, u.logA, u.log1mA, r); // log(m/p)
  return vec2f(breg(p, u.a * p + (1.0 - u.a) * q, g), -(1.0 - u.a) * (expm1s(-g) + 1.0));`,
  srkl: `let g = mixLog(u.a, u.logA, u.log1mA, -r); // log(m/q)
  return vec2f(breg(q, u.a * q + (1.0 - u.a) * p, g), -(g + u.a * expm1s(-g)));`,
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
 * divergence pass leaves dRow (and what its gradient pass needs: the shift S, or nothing for fkl); the gradient pass writes grad.
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
    lse: withTeacher ? { init: 'var ms1 = vec2f(NEG, 0.0);', step: 'ms1 = online(ms1, z);', reduce: 'let lse1s = reduceLse(lid, ms1);\n  let lse1 = lse1s.x + lse1s.y;' } : { ...NO_LSE, reduce: 'let lse1 = lseS;' },
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

// delta = lseS − lseT, summed from the maxima's and the log-sums' differences, so that for a
// student near its teacher r = (x − y) − delta subtracts nearly equal numbers exactly.
const DENSE_LSE = {
  init: 'var msT = vec2f(NEG, 0.0);',
  step: 'msT = online(msT, zt[base + j] * u.invT);',
  reduce: `let lsT = reduceLse(lid, msT);
  let delta = (lsS.x - lsT.x) + (lsS.y - lsT.y);`,
};

/** p, q and r = log(q/p) of dense logit j at T. */
const DENSE_AT = (j: string) => `let x = zs[base + ${j}] * u.invT;
    let y = zt[base + ${j}] * u.invT;
    let q = exp((x - lsS.x) - lsS.y);
    let p = exp((y - lsT.x) - lsT.y);
    let r = (x - y) - delta;`;

/**
 * Dense teacher logits. The gradient q_j·(ĥ_j − Σ q·ĥ)/T is taken relative to ĥ at the student's
 * mode i* (found in pass 1): pass 2 sums D and S = Σ q·(ĥ − ĥ*), pass 3 writes q_j·((ĥ_j − ĥ*) − S)/T.
 * Where q is peaked, ĥ_j ≈ Σ q·ĥ at the mode, and subtracting the two directly would cancel.
 */
const DENSE_TEACHER: TeacherPart = {
  bindings: ['var<storage, read> zt: array<f32>;'],
  workgroup: 'var<workgroup> modeAt: atomic<u32>;',
  lse: {
    init: `${DENSE_LSE.init}
  if (lid == 0u) { atomicStore(&modeAt, V); }
  var iS = 0u;`,
    step: `${DENSE_LSE.step}
    if (z * u.invT == msS.x) { iS = j; }`,
    reduce: `${DENSE_LSE.reduce}
  if (msS.x == lsS.x) { atomicMin(&modeAt, iS); }
  workgroupBarrier();
  let iMode = atomicLoad(&modeAt);`,
  },
  row: `var hMode = 0.0;
  {
    ${DENSE_AT('iMode')}
    hMode = term(p, q, r).y;
  }
  // Pass 2: D and S = Σ q·(ĥ − ĥ*).
  var acc = vec2f(0.0);
  for (var j = lid; j < V; j += WG) {
    ${DENSE_AT('j')}
    let t = term(p, q, r);
    acc += vec2f(t.x, q * (t.y - hMode));
  }
  let ds = reduceSum(lid, acc);
  let dRow = ds.x;
  let hShift = ds.y;`,
  gradient: (ceAt) => `// Pass 3: the gradient q·((ĥ − ĥ*) − S)/T plus the CE part.
  let c = u.sKd * u.invT;
  for (var j = lid; j < V; j += WG) {
    ${DENSE_AT('j')}
    let h = term(p, q, r).y;
    grad[base + j] = wRow * (c * q * ((h - hMode) - hShift)${ceAt('j')});
  }`,
};

/** Dense forward KL: h = −p and H = −Σp = −1 is known, so D and the gradient (q − p)/T share pass 2. */
function denseFklTeacher(grad: boolean, ceAt: (j: string) => string): TeacherPart {
  return {
    bindings: DENSE_TEACHER.bindings,
    workgroup: '',
    lse: DENSE_LSE,
    row: `// Forward KL: D and the gradient (q − p)/T share one pass.
  var acc = vec2f(0.0);
  let c = u.sKd * u.invT;
  for (var j = lid; j < V; j += WG) {
    ${DENSE_AT('j')}
    let t = term(p, q, r);
    acc += t;
    ${grad ? `grad[base + j] = wRow * (c * (t.y + q)${ceAt('j')});` : ''}
  }
  let dRow = reduceSum(lid, acc).x;`,
    gradient: () => '',
  };
}

// Top-k membership: an open-addressing set of the row's ids (id + 1; 0 = empty) in workgroup memory.
const TOP_SLOTS = 2 * MAX_TOP_K; // a power of two, at most half full
const TOP_SET_WGSL = /* wgsl */ `
fn topSlot(id: u32) -> u32 { return (id * 2654435761u) >> ${32 - Math.log2(TOP_SLOTS)}u; }
fn topInsert(id: u32) {
  var s = topSlot(id);
  while (topIds[s] != 0u && topIds[s] != id + 1u) { s = (s + 1u) % ${TOP_SLOTS}u; }
  topIds[s] = id + 1u;
}
fn isTop(id: u32) -> bool {
  var s = topSlot(id);
  loop {
    let v = topIds[s];
    if (v == 0u) { return false; }
    if (v == id + 1u) { return true; }
    s = (s + 1u) % ${TOP_SLOTS}u;
  }
}`;

/**
 * Sparse top-k teacher (at T = 1): the K categories kept in workgroup memory, and the tail. The
 * teacher's tail comes in as its log (computed on the host, kd-args.ts); the student's is its own
 * log-sum-exp over the ids outside the top-k (pass 1 skips the top-k ids), never 1 − Σ q_k. As for
 * dense teachers, ĥ is taken relative to the student's mode among the K + 1 categories (fkl: H = −1).
 */
function sparseTeacher(divergence: Divergence): TeacherPart {
  const fkl = divergence === 'fkl';
  return {
    bindings: ['var<storage, read> ids: array<i32>;', 'var<storage, read> lps: array<f32>;', 'var<storage, read> logTail: array<f32>;'],
    workgroup: [
      `var<workgroup> catId: array<u32, ${MAX_TOP_K}>;`,
      `var<workgroup> catLogq: array<f32, ${MAX_TOP_K}>;`,
      `var<workgroup> catH: array<f32, ${MAX_TOP_K}>;`,
      'var<workgroup> tailLogq: f32;',
      'var<workgroup> tailH: f32;',
      'var<workgroup> hModeW: f32;',
      `var<workgroup> topIds: array<u32, ${TOP_SLOTS}>;`,
      TOP_SET_WGSL,
    ].join('\n'),
    lse: {
      init: `for (var s = lid; s < ${TOP_SLOTS}u; s += WG) { topIds[s] = 0u; }
  workgroupBarrier();
  if (lid == 0u) {
    for (var c = 0u; c < u.k; c++) {
      let id = ids[row * u.k + c];
      if (id < 0 || u32(id) >= V) { bad = 1u; }
      topInsert(u32(clamp(id, 0, i32(V) - 1)));
    }
  }
  workgroupBarrier();
  var msTail = vec2f(NEG, 0.0);`,
      step: 'if (!isTop(j)) { msTail = online(msTail, z * u.invT); }',
      reduce: 'let lsTail = reduceLse(lid, msTail);',
    },
    row: `// The K top-k categories and the tail (sparse teachers are at T = 1).
  let K = u.k;
  var d = 0.0;
  for (var c = lid; c < K; c += WG) {
    let idc = u32(clamp(ids[row * K + c], 0, i32(V) - 1));
    catId[c] = idc;
    let lp = lps[row * K + c];
    let lq = (zs[base + idc] * u.invT - lsS.x) - lsS.y;
    catLogq[c] = lq;
    let t = term(exp(lp), exp(lq), lq - lp);
    d += t.x;
    catH[c] = t.y;
  }
  if (lid == 0u) {
    let lpTail = max(logTail[row], LOG_TINY);
    let lqTail = max((lsTail.x - lsS.x) + (lsTail.y - lsS.y), LOG_TINY);
    let t = term(exp(lpTail), exp(lqTail), lqTail - lpTail);
    d += t.x;
    tailLogq = lqTail;
    tailH = t.y;
  }
  workgroupBarrier();
${
  fkl
    ? `  let dRow = reduceSum(lid, vec2f(d, 0.0)).x;`
    : `  if (lid == 0u) {
    // ĥ at the student's mode among the K + 1 categories.
    var best = tailLogq;
    var h = tailH;
    for (var c = 0u; c < K; c++) {
      if (catLogq[c] > best) { best = catLogq[c]; h = catH[c]; }
    }
    hModeW = h;
  }
  let hMode = workgroupUniformLoad(&hModeW);
  var shift = 0.0;
  for (var c = lid; c < K; c += WG) { shift += exp(catLogq[c]) * (catH[c] - hMode); }
  if (lid == 0u) { shift += exp(tailLogq) * (tailH - hMode); }
  let ds = reduceSum(lid, vec2f(d, shift));
  let dRow = ds.x;
  let hShift = ds.y;`
}`,
    gradient: (ceAt) => `// Pass 3: every logit as if in the tail, then the K top-k logits overwrite theirs.
  let c = u.sKd * u.invT;
  let qTail = exp(tailLogq);
  for (var j = lid; j < V; j += WG) {
    let q = exp((zs[base + j] * u.invT - lsS.x) - lsS.y);
    grad[base + j] = wRow * (c * q * ${fkl ? '(tailH / qTail + 1.0)' : '((tailH - hMode) - hShift)'}${ceAt('j')});
  }
  storageBarrier();
  for (var k = lid; k < K; k += WG) {
    let j = catId[k];
    grad[base + j] = wRow * (c * ${fkl ? '(catH[k] + exp(catLogq[k]))' : 'exp(catLogq[k]) * ((catH[k] - hMode) - hShift)'}${ceAt('j')});
  }`,
  };
}

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
// e^x − 1 and log(1 + x) accurate near 0 (WGSL's exp and log promise only absolute accuracy there):
// Taylor to x^9/9! on |x| ≤ 0.5; 2·atanh(s), s = x/(2 + x), by its series on |s| ≤ 1/3.
fn expm1s(x: f32) -> f32 {
  if (abs(x) > 0.5) { return exp(x) - 1.0; }
  return x * (1.0 + x * (1.0 / 2.0 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (1.0 / 720.0 + x * (1.0 / 5040.0 + x * (1.0 / 40320.0 + x / 362880.0))))))));
}
fn log1ps(x: f32) -> f32 {
  let s = x / (2.0 + x);
  if (abs(s) > 1.0 / 3.0) { return log(1.0 + x); }
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 * (1.0 / 15.0 + s2 / 17.0))))))));
}
// a·(e^x − 1 − x) = b − a − a·x for x = log(b/a): a KL term in Bregman form, ≥ 0; its series on |x| ≤ 1.
fn breg(a: f32, b: f32, x: f32) -> f32 {
  if (abs(x) > 1.0) { return max(b - a - a * x, 0.0); }
  let c = 1.0 / 2.0 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (1.0 / 720.0 + x * (1.0 / 5040.0 + x * (1.0 / 40320.0 + x * (1.0 / 362880.0 + x * (1.0 / 3628800.0 + x * (1.0 / 39916800.0 + x / 479001600.0)))))))));
  return a * x * x * c;
}
// log(w + (1 − w)·e^x) (lw = log w, l1w = log(1 − w)), the log of a mixture over one of its parts.
fn mixLog(w: f32, lw: f32, l1w: f32, x: f32) -> f32 {
  if (abs(x) <= 0.5) { return log1ps((1.0 - w) * expm1s(x)); }
  return logAddExp(lw, l1w + x);
}
fn term(p: f32, q: f32, r: f32) -> vec2f {
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
// Log-sum-exp as (max m, log Σ e^(x − m)) from per-thread online pairs (m, t), t = Σ e^(x − m) over all
// but the max: kept apart from the max's 1, tiny terms are not lost to it (a peaked row's log-sum
// is log1p(t) ≈ t, which 1 + t in f32 would round away). The maxima are kept apart too, so that
// differences of log-sum-exps subtract them exactly.
fn mergeLse(x: vec2f, y: vec2f) -> vec2f {
  if (x.x >= y.x) { return vec2f(x.x, x.y + (y.y + 1.0) * exp(y.x - x.x)); }
  return vec2f(y.x, y.y + (x.y + 1.0) * exp(x.x - y.x));
}
fn reduceLse(lid: u32, ms: vec2f) -> vec2f {
  red[lid] = ms;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = mergeLse(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return vec2f(r.x, log1ps(r.y));
}
fn online(ms: vec2f, x: f32) -> vec2f {
  if (x > ms.x) { return vec2f(x, (ms.y + 1.0) * exp(ms.x - x)); }
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
    vt.teacher === 'none' ? NO_TEACHER : vt.teacher === 'sparse' ? sparseTeacher(vt.divergence) : vt.divergence === 'fkl' ? denseFklTeacher(vt.grad, ce.at) : DENSE_TEACHER;
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
const LOG_TINY = -69.0; // log 1e-30: an empty tail's log, finite
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
  let lsS = reduceLse(lid, msS);
  let lseS = lsS.x + lsS.y;
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
    ...(opts.sparseTeacher && kd ? { sparseIds: opts.sparseTeacher.ids.shape, sparseLogprobs: opts.sparseTeacher.logprobs.shape, sparseLogTail: opts.sparseTeacher.logTail.shape } : {}),
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
  if (vt.teacher === 'sparse') bindings.push(opts.sparseTeacher!.ids, opts.sparseTeacher!.logprobs, opts.sparseTeacher!.logTail);
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
