// The KD loss over the vocabulary (the WASM twin of ops/kd-loss.ts's row kernel, the same algebra
// as the float64 CPU twin cpu/kd-loss.ts): per row, w·(sKd·D(p‖q) + wCe·CE) and its gradient
// w·(sKd/T·(h_j − q_j·Σh) + wCe·(softmax_j − [j = y])), h = q·∂D/∂q (kdTerm below), for a dense
// teacher, a sparse one (top-k ids and log-probs plus a tail of log mass logTail) or none (CE only).
//
// Float64 throughout, two lanes at a time (f64x2, vec.ts's expd and log12): the hard reference
// cases (models/reference/kd-losses-hard.json: tails of 1e-7, logits/T to ±50, near-equal rows)
// hold in double precision with the plain algebra, which f32 lanes would not without the WGSL
// kernel's guards. Per row: one pass for the maxima; one for the exponentials (stored in scratch)
// and their sums; one for the divergence's terms; one writing the gradient. Parts split rows,
// each row computed wholly by one part, so results are bit-identical for any `parts`.
import { expd, hmaxd, hsumd, load2d, log12, share } from './vec';

// Divergences (kernels.ts maps kd-spec.ts's names to these) and teachers.
const FKL: i32 = 0;
const RKL: i32 = 1;
const JSD: i32 = 2;
const TVD: i32 = 3;
const SFKL: i32 = 4;
const SRKL: i32 = 5;
const TEACHER_NONE: i32 = 0;
const TEACHER_DENSE: i32 = 1;
const TEACHER_SPARSE: i32 = 2;

/** Scratch for one part: e^(zs/T − m), e^(zt/T − m), h, e^(zs − m) as f64, top-k flags as i32. */
export function kdLossScratchBytes(v: i32): i32 {
  const even = (v + 1) & ~1;
  return ((even * 36 + 15) & ~15) + 16;
}

// @ts-ignore: decorator
@inline function plogpq(p: v128, lp: v128, lq: v128): v128 {
  return v128.andnot(f64x2.mul(p, f64x2.sub(lp, lq)), f64x2.eq(p, f64x2.splat(0)));
}

/** log(w·e^x + (1 − w)·e^y) from la = log w, l1a = log(1 − w) (−∞ for w = 0 or 1). */
// @ts-ignore: decorator
@inline function logMix(la: f64, l1a: f64, x: v128, y: v128): v128 {
  const u = f64x2.add(f64x2.splat(la), x);
  const w = f64x2.add(f64x2.splat(l1a), y);
  const m = f64x2.max(u, w);
  const s = f64x2.add(expd(f64x2.sub(u, m)), expd(f64x2.sub(w, m)));
  const ninf = f64x2.splat(-Infinity);
  return v128.bitselect(ninf, f64x2.add(m, log12(s)), f64x2.eq(m, ninf));
}

/** One category pair's share d of D(p‖q), returned, and h = q·∂D/∂q, stored at hOut. */
// @ts-ignore: decorator
@inline function kdTerm(div: i32, p: v128, q: v128, lp: v128, lq: v128, a: f64, la: f64, l1a: f64, hOut: usize): v128 {
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1.0);
  let d: v128;
  let h: v128;
  if (div == FKL) {
    d = plogpq(p, lp, lq);
    h = f64x2.neg(p);
  } else if (div == RKL) {
    d = plogpq(q, lq, lp);
    h = v128.andnot(f64x2.mul(q, f64x2.add(f64x2.sub(lq, lp), one)), f64x2.eq(q, zero));
  } else if (div == TVD) {
    const half = f64x2.splat(0.5);
    d = f64x2.mul(half, f64x2.abs(f64x2.sub(p, q)));
    const sign = f64x2.sub(v128.and(f64x2.gt(q, p), one), v128.and(f64x2.lt(q, p), one));
    h = f64x2.mul(f64x2.mul(half, q), sign);
  } else if (div == JSD) {
    const lm = logMix(la, l1a, lp, lq);
    const qTerm = plogpq(q, lq, lm);
    d = f64x2.add(f64x2.mul(f64x2.splat(a), plogpq(p, lp, lm)), f64x2.mul(f64x2.splat(1 - a), qTerm));
    h = f64x2.mul(f64x2.splat(1 - a), qTerm);
  } else if (div == SFKL) {
    const lm = logMix(la, l1a, lp, lq);
    d = plogpq(p, lp, lm);
    const none = v128.or(f64x2.eq(p, zero), f64x2.eq(q, zero));
    h = v128.andnot(f64x2.neg(f64x2.mul(f64x2.splat(1 - a), expd(f64x2.sub(f64x2.add(lp, lq), lm)))), none);
  } else {
    const lm = logMix(la, l1a, lq, lp);
    d = plogpq(q, lq, lm);
    const inner = f64x2.sub(f64x2.add(f64x2.sub(lq, lm), one), f64x2.mul(f64x2.splat(a), expd(f64x2.sub(lq, lm))));
    h = v128.andnot(f64x2.mul(q, inner), f64x2.eq(q, zero));
  }
  v128.store(hOut, h);
  return d;
}

/** f32 pair at p (one value in both lanes when only one is left), widened. */
// @ts-ignore: decorator
@inline function loadPair(p: usize, full: bool): v128 {
  return full ? load2d(p) : f64x2.splat(<f64>load<f32>(p));
}

/** Lane 1 zeroed unless full (a tail's second lane must not be summed). */
// @ts-ignore: decorator
@inline function keep(x: v128, full: bool): v128 {
  return full ? x : v128.and(x, i64x2(-1, 0));
}

// @ts-ignore: decorator
@inline function storePair(p: usize, x: v128, full: bool): void {
  const f = f32x4.demote_f64x2_zero(x);
  if (full) v128.store64_lane(p, f, 0);
  else store<f32>(p, f32x4.extract_lane(f, 0));
}

/** Lanes of ids j, j + 1 in the top-k (flags ≠ 0); a tail's lane 1 counts as in it (left out). */
// @ts-ignore: decorator
@inline function topMask(flags: usize, j: i32, full: bool): v128 {
  const m = i64x2.ne(i64x2.extend_low_i32x4_s(v128.load64_zero(flags + (<usize>j << 2))), i64x2.splat(0));
  return full ? m : v128.or(m, i64x2(0, -1));
}

// @ts-ignore: decorator
@inline function fillRow(p: usize, v: i32, value: f32): void {
  for (let j = 0; j < v; j++) store<f32>(p + (<usize>j << 2), value);
}

/** max over the row's f32 values (NaN if any is NaN). */
// @ts-ignore: decorator
@inline function rowMax(z: usize, v: i32): f64 {
  let m = f64x2.splat(-Infinity);
  for (let j = 0; j < v; j += 2) m = f64x2.max(m, loadPair(z + (<usize>j << 2), j + 1 < v));
  return hmaxd(m);
}

/** Σ e^(z_j·scale − m), each term stored (f64) at e[j]. */
// @ts-ignore: decorator
@inline function expRow(z: usize, v: i32, scale: f64, m: f64, e: usize): f64 {
  const sv = f64x2.splat(scale);
  const mv = f64x2.splat(m);
  let acc = f64x2.splat(0);
  for (let j = 0; j < v; j += 2) {
    const full = j + 1 < v;
    const x = expd(f64x2.sub(f64x2.mul(loadPair(z + (<usize>j << 2), full), sv), mv));
    v128.store(e + (<usize>j << 3), x);
    acc = f64x2.add(acc, keep(x, full));
  }
  return hsumd(acc);
}

/**
 * kdLoss:<divergence>:<teacher>:<ce>:<mask>:<grad> (bindings as in ops/kd-loss.ts, 0 for those
 * the variant lacks): the rows of this part's share. count = Σ mask (or n); a row of weight 0
 * gives 0s; an out-of-range target or top-k id gives NaNs.
 */
export function kdLossRows(
  zs: usize, zt: usize, ids: usize, lps: usize, logTail: usize, targets: usize, mask: usize, rowLoss: usize, grad: usize,
  n: i32, v: i32, k: i32, div: i32, teacher: i32, ce: i32,
  invT: f64, a: f64, la: f64, l1a: f64, wCe: f64, sKd: f64, count: f64,
  part: i32, parts: i32, scratch: usize,
): void {
  const even = (v + 1) & ~1;
  const es = scratch;
  const et = es + (<usize>even << 3);
  const hs = et + (<usize>even << 3);
  const e1s = hs + (<usize>even << 3);
  const flags = e1s + (<usize>even << 3);
  // One pair's h for the sparse teacher's categories (kdTerm stores it).
  const tmp = flags + (<usize>even << 2);
  const rowBytes = <usize>v << 2;
  const zero = f64x2.splat(0);
  if (teacher == TEACHER_SPARSE) for (let j = 0; j < even; j++) store<i32>(flags + (<usize>j << 2), 0);
  for (let r = share(n, part, parts), end = share(n, part + 1, parts); r < end; r++) {
    const z = zs + <usize>r * rowBytes;
    const g = grad != 0 ? grad + <usize>r * rowBytes : 0;
    const w: f64 = count == 0 ? 0 : (mask != 0 ? <f64>load<f32>(mask + (<usize>r << 2)) : 1.0) / count;
    if (w == 0) {
      store<f32>(rowLoss + (<usize>r << 2), 0);
      if (g != 0) fillRow(g, v, 0);
      continue;
    }
    const y = ce != 0 ? load<i32>(targets + (<usize>r << 2)) : 0;
    const top = ids + <usize>r * (<usize>k << 2);
    let bad = ce != 0 && (y < 0 || y >= v);
    if (teacher == TEACHER_SPARSE) {
      for (let c = 0; c < k; c++) {
        const id = load<i32>(top + (<usize>c << 2));
        if (id < 0 || id >= v) bad = true;
      }
    }
    if (bad) {
      store<f32>(rowLoss + (<usize>r << 2), NaN);
      if (g != 0) fillRow(g, v, NaN);
      continue;
    }

    // Maxima and exponentials: the student at T (and at 1 for CE), the dense teacher at T.
    const m = rowMax(z, v);
    let lseS: f64 = 0;
    let ss: f64 = 0;
    let invSs: f64 = 0;
    if (teacher != TEACHER_NONE) {
      ss = expRow(z, v, invT, m * invT, es);
      lseS = m * invT + Math.log(ss);
      invSs = 1 / ss;
    }
    let lse1: f64 = 0;
    let invS1: f64 = 0;
    // CE's softmax at T = 1 is the student's own when T = 1.
    const e1 = teacher != TEACHER_NONE && invT == 1 ? es : e1s;
    if (ce != 0) {
      const s1 = e1 == es ? ss : expRow(z, v, 1, m, e1);
      lse1 = m + Math.log(s1);
      invS1 = 1 / s1;
    }

    let loss: f64 = 0;
    let hSum: f64 = 0;
    if (teacher == TEACHER_DENSE) {
      const t = zt + <usize>r * rowBytes;
      const mt = rowMax(t, v);
      const st = expRow(t, v, invT, mt * invT, et);
      const lseT = mt * invT + Math.log(st);
      const invSt = f64x2.splat(1 / st);
      const invTv = f64x2.splat(invT);
      const lseSv = f64x2.splat(lseS);
      const lseTv = f64x2.splat(lseT);
      const invSsv = f64x2.splat(invSs);
      let dAcc = zero;
      let hAcc = zero;
      for (let j = 0; j < v; j += 2) {
        const full = j + 1 < v;
        const o = <usize>j << 3;
        const lq = f64x2.sub(f64x2.mul(loadPair(z + (<usize>j << 2), full), invTv), lseSv);
        const lp = f64x2.sub(f64x2.mul(loadPair(t + (<usize>j << 2), full), invTv), lseTv);
        const q = f64x2.mul(v128.load(es + o), invSsv);
        const p = f64x2.mul(v128.load(et + o), invSt);
        dAcc = f64x2.add(dAcc, keep(kdTerm(div, p, q, lp, lq, a, la, l1a, hs + o), full));
        hAcc = f64x2.add(hAcc, keep(v128.load(hs + o), full));
      }
      loss += sKd * hsumd(dAcc);
      hSum = hsumd(hAcc);
    } else if (teacher == TEACHER_SPARSE) {
      // The K top-k categories, then the tail: the student's own log-sum-exp outside the top-k.
      const lp0 = lps + <usize>r * (<usize>k << 2);
      let d: f64 = 0;
      for (let c = 0; c < k; c++) {
        const id = load<i32>(top + (<usize>c << 2));
        store<i32>(flags + (<usize>id << 2), 1);
        const lq = f64x2.splat(<f64>load<f32>(z + (<usize>id << 2)) * invT - lseS);
        const lp = f64x2.splat(<f64>load<f32>(lp0 + (<usize>c << 2)));
        d += f64x2.extract_lane(kdTerm(div, expd(lp), expd(lq), lp, lq, a, la, l1a, tmp), 0);
        hSum += f64x2.extract_lane(v128.load(tmp), 0);
      }
      let tm = f64x2.splat(-Infinity);
      for (let j = 0; j < v; j += 2) {
        const full = j + 1 < v;
        const inTop = topMask(flags, j, full);
        const x = f64x2.mul(loadPair(z + (<usize>j << 2), full), f64x2.splat(invT));
        tm = f64x2.max(tm, v128.bitselect(f64x2.splat(-Infinity), x, inTop));
      }
      const tailMax = hmaxd(tm);
      let lqTail: f64 = -Infinity;
      if (tailMax != -Infinity) {
        let acc = zero;
        for (let j = 0; j < v; j += 2) {
          const full = j + 1 < v;
          const inTop = topMask(flags, j, full);
          const x = expd(f64x2.sub(f64x2.mul(loadPair(z + (<usize>j << 2), full), f64x2.splat(invT)), f64x2.splat(tailMax)));
          acc = f64x2.add(acc, keep(v128.andnot(x, inTop), full));
        }
        lqTail = tailMax + Math.log(hsumd(acc)) - lseS;
      }
      const lpTail = f64x2.splat(<f64>load<f32>(logTail + (<usize>r << 2)));
      const lqt = f64x2.splat(lqTail);
      d += f64x2.extract_lane(kdTerm(div, expd(lpTail), expd(lqt), lpTail, lqt, a, la, l1a, tmp), 0);
      const ht = f64x2.extract_lane(v128.load(tmp), 0);
      hSum += ht;
      loss += sKd * d;
      // h over the tail spreads ht in proportion to q; the top-k ids get their own (the last of
      // a repeated id wins, as in the CPU twin).
      if (g != 0) {
        const shift = f64x2.splat(lseS + lqTail);
        const htv = f64x2.splat(ht);
        for (let j = 0; j < v; j += 2) {
          const full = j + 1 < v;
          const inTop = topMask(flags, j, full);
          let h = zero;
          if (lqTail != -Infinity) h = f64x2.mul(expd(f64x2.sub(f64x2.mul(loadPair(z + (<usize>j << 2), full), f64x2.splat(invT)), shift)), htv);
          v128.store(hs + (<usize>j << 3), v128.andnot(h, inTop));
        }
        for (let c = 0; c < k; c++) {
          const id = load<i32>(top + (<usize>c << 2));
          const lq = f64x2.splat(<f64>load<f32>(z + (<usize>id << 2)) * invT - lseS);
          const lp = f64x2.splat(<f64>load<f32>(lp0 + (<usize>c << 2)));
          kdTerm(div, expd(lp), expd(lq), lp, lq, a, la, l1a, tmp);
          store<f64>(hs + (<usize>id << 3), f64x2.extract_lane(v128.load(tmp), 0));
        }
      }
      for (let c = 0; c < k; c++) store<i32>(flags + (<usize>load<i32>(top + (<usize>c << 2)) << 2), 0);
    }
    if (ce != 0) loss += wCe * (lse1 - <f64>load<f32>(z + (<usize>y << 2)));
    store<f32>(rowLoss + (<usize>r << 2), <f32>(w * loss));

    if (g != 0) {
      const kd: f64 = teacher == TEACHER_NONE ? 0 : sKd * invT;
      const kdv = f64x2.splat(kd);
      const hSumv = f64x2.splat(hSum);
      const invSsv = f64x2.splat(invSs);
      const invS1v = f64x2.splat(invS1);
      const wCev = f64x2.splat(wCe);
      const wv = f64x2.splat(w);
      const yv = f64x2.splat(<f64>y);
      let jv = f64x2(0, 1);
      const two = f64x2.splat(2);
      for (let j = 0; j < v; j += 2) {
        const full = j + 1 < v;
        const o = <usize>j << 3;
        let gj = zero;
        if (kd != 0) gj = f64x2.mul(kdv, f64x2.sub(v128.load(hs + o), f64x2.mul(f64x2.mul(v128.load(es + o), invSsv), hSumv)));
        if (ce != 0) {
          const onehot = v128.and(f64x2.eq(jv, yv), f64x2.splat(1.0));
          gj = f64x2.add(gj, f64x2.mul(wCev, f64x2.sub(f64x2.mul(v128.load(e1 + o), invS1v), onehot)));
        }
        storePair(g + (<usize>j << 2), f64x2.mul(wv, gj), full);
        jv = f64x2.add(jv, two);
      }
    }
  }
}
