#!/usr/bin/env python3
"""Hard reference cases for the KD losses, computed independently of the engine.

Writes models/reference/kd-losses-hard.json in the format of kd-losses.json (read by
src/engine/selftest/kd.ts). Everything is evaluated with mpmath at 40 significant digits:
the divergences straight from their definitions (src/engine/kd-spec.ts) and the gradients by
central finite differences of those definitions (step 1e-15: truncation ~1e-30, rounding ~1e-25), so no derivative algebra is
shared with the engine's CPU reference or its kernels. Inputs are rounded to float32 first, so
the values are exact for what a GPU kernel is given; outputs are then rounded to float64.

The cases are the ones f32 arithmetic finds hard:
  dense teachers at T in {0.25, 0.5, 1, 2, 4} with logits/T spread over +-10 and +-50, each case
  holding an independent row, a row whose student nearly equals its teacher (D tiny, prone to
  cancellation), a peaked row (one logit far above the rest) and a masked row; and cases of
  near-equal rows alone (so that their loss and gradient are not drowned by the other rows');
  sparse top-k teachers (T = 1: the engine takes their log-probs as given at T = 1) with K from 1
  to 20 and top-k mass from 0.5 to 1 - 1e-7, against a student that agrees (its own top-k mass
  near 1 too) or disagrees.

Requires mpmath (apt-get install python3-mpmath, or pip install mpmath). Deterministic:
  python3 scripts/kd-reference-hard.py [output.json]
"""
import json
import random
import struct
import sys
from pathlib import Path

from mpmath import mp, mpf, exp, log, fsum, fabs

mp.dps = 40
FD_STEP = mpf("1e-15")
SEED = 14

DIVERGENCES = [
    ("fkl", None),
    ("rkl", None),
    ("tvd", None),
    ("jsd", 0.5),
    ("jsd", 0.1),
    ("sfkl", 0.1),
    ("sfkl", 0.5),
    ("srkl", 0.1),
    ("srkl", 0.5),
]
TEMPERATURES = [0.25, 0.5, 1.0, 2.0, 4.0]
SCALES = [10.0, 50.0]  # max |logit / T|
SPARSE = [  # (K, top-k mass)
    (1, 0.5),
    (1, 1 - 1e-7),
    (2, 1 - 1e-6),
    (5, 0.9),
    (5, 1 - 1e-5),
    (10, 0.99),
    (10, 1 - 1e-7),
    (20, 0.5),
    (20, 1 - 1e-7),
]
V_DENSE = 40
V_SPARSE = 48


def f32(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]


def f32_below(x):
    """The largest float32 strictly below x (x a float32)."""
    bits = struct.unpack("I", struct.pack("f", x))[0]
    return struct.unpack("f", struct.pack("I", bits + 1 if x < 0 else bits - 1))[0] if x != 0 else -1.4e-45


def log_softmax(z, t):
    s = [mpf(x) / t for x in z]
    m = max(s)
    lse = m + log(fsum(exp(x - m) for x in s))
    return [x - lse for x in s]


def xlog(x, a, b):
    """x * (a - b), with 0 * anything = 0 (0 log 0 = 0)."""
    return mpf(0) if x == 0 else x * (a - b)


def divergence(kind, param, p, q):
    """D(p || q) of kd-spec.ts over categories with probabilities p, q (mp lists)."""
    if kind == "fkl":
        return fsum(xlog(pi, log(pi) if pi > 0 else 0, log(qi)) for pi, qi in zip(p, q))
    if kind == "rkl":
        return fsum(xlog(qi, log(qi) if qi > 0 else 0, log(pi)) for pi, qi in zip(p, q))
    if kind == "tvd":
        return fsum(fabs(pi - qi) for pi, qi in zip(p, q)) / 2
    if kind == "jsd":
        b = mpf(param)
        m = [b * pi + (1 - b) * qi for pi, qi in zip(p, q)]
        kl_pm = fsum(xlog(pi, log(pi) if pi > 0 else 0, log(mi)) for pi, mi in zip(p, m))
        kl_qm = fsum(xlog(qi, log(qi) if qi > 0 else 0, log(mi)) for qi, mi in zip(q, m))
        return b * kl_pm + (1 - b) * kl_qm
    if kind == "sfkl":
        a = mpf(param)
        m = [a * pi + (1 - a) * qi for pi, qi in zip(p, q)]
        return fsum(xlog(pi, log(pi) if pi > 0 else 0, log(mi)) for pi, mi in zip(p, m))
    if kind == "srkl":
        a = mpf(param)
        m = [a * qi + (1 - a) * pi for pi, qi in zip(p, q)]
        return fsum(xlog(qi, log(qi) if qi > 0 else 0, log(mi)) for qi, mi in zip(q, m))
    raise ValueError(kind)


def dense_row(kind, param, t, p, zs):
    return divergence(kind, param, p, [exp(x) for x in log_softmax(zs, t)])


def sparse_row(kind, param, ids, lps, zs):
    """Teacher: K ids with log-probs at T = 1 plus the tail; student collapsed onto the same."""
    pk = [exp(mpf(x)) for x in lps]
    p = pk + [1 - fsum(pk)]
    lq = log_softmax(zs, 1)
    chosen = set(ids)
    q = [exp(lq[i]) for i in ids] + [fsum(exp(lq[j]) for j in range(len(zs)) if j not in chosen)]
    return divergence(kind, param, p, q)


def case_values(row_fn, rows, mask):
    """loss = Σ mask·D / Σ mask and its gradient w.r.t. the student logits (finite differences)."""
    count = sum(mask)
    loss = mpf(0)
    grad = []
    for r, zs in enumerate(rows):
        w = mpf(mask[r]) / count
        if w == 0:
            grad.append([0.0] * len(zs))
            continue
        loss += w * row_fn(r, zs)
        g = []
        for j in range(len(zs)):
            up = list(map(mpf, zs))
            dn = list(map(mpf, zs))
            up[j] += FD_STEP
            dn[j] -= FD_STEP
            g.append(float(w * (row_fn(r, up) - row_fn(r, dn)) / (2 * FD_STEP)))
        grad.append(g)
    return float(loss), grad


def dense_case(rng, kind, param, t, scale):
    v = V_DENSE
    u = lambda: rng.uniform(-scale, scale)
    rows_t, rows_s = [], []
    # Independent teacher and student.
    rows_t.append([u() for _ in range(v)])
    rows_s.append([u() for _ in range(v)])
    # The student nearly equals its teacher (late in distillation): D is tiny.
    base = [u() for _ in range(v)]
    rows_t.append(base)
    rows_s.append([x + rng.gauss(0, 1e-3 * scale) for x in base])
    # Peaked: one logit far above the rest, at different places for teacher and student.
    pt = [rng.uniform(-scale, -scale / 2) for _ in range(v)]
    ps = [rng.uniform(-scale, -scale / 2) for _ in range(v)]
    pt[rng.randrange(v)] = scale
    ps[rng.randrange(v)] = scale
    rows_t.append(pt)
    rows_s.append(ps)
    # Masked out.
    rows_t.append([u() for _ in range(v)])
    rows_s.append([u() for _ in range(v)])
    return dense_entry(kind, param, t, rows_t, rows_s, [1.0, 1.0, 1.0, 0.0], f"dense scale {scale:g}: independent, near-equal, peaked, masked rows")


def dense_entry(kind, param, t, rows_t, rows_s, mask, label):
    """A dense case from logits/T: scaled by T, rounded to f32, then its loss and gradient."""
    teacher = [[f32(x * t) for x in row] for row in rows_t]
    student = [[f32(x * t) for x in row] for row in rows_s]
    p = [[exp(x) for x in log_softmax(row, t)] for row in teacher]
    loss, grad = case_values(lambda r, zs: dense_row(kind, param, t, p[r], zs), student, mask)
    return {
        "kind": kind,
        "temperature": t,
        "param": param,
        "label": label,
        "teacherLogits": teacher,
        "studentLogits": student,
        "mask": mask,
        "loss": loss,
        "grad": grad,
    }


def near_case(rng, kind, param, t, scale):
    """Every counted row's student nearly equals its teacher: D is tiny and f32 cancels."""
    v = V_DENSE
    rows_t, rows_s = [], []
    for noise in (1e-3, 1e-2, 1e-2):
        base = [rng.uniform(-scale, scale) for _ in range(v)]
        rows_t.append(base)
        rows_s.append([x + rng.gauss(0, noise * scale) for x in base])
    return dense_entry(kind, param, t, rows_t, rows_s, [1.0, 1.0, 0.0], f"dense scale {scale:g}: student within 1e-3, 1e-2 of the scale of its teacher, masked row")


def near_cases():
    """Appended after the others, from their own random stream."""
    rng = random.Random(SEED + 1)
    return [near_case(rng, kind, param, t, 50.0) for kind, param in DIVERGENCES for t in TEMPERATURES]


def sparse_teacher_row(rng, v, k, mass):
    ids = rng.sample(range(v), k)
    w = [rng.uniform(0.2, 1.0) for _ in range(k)]
    s = sum(w)
    lps = [f32(float(log(mpf(mass) * wi / s))) for wi in w]
    # Rounding to f32 can push the mass to 1 or past it: nudge the largest log-prob down.
    while 1 - fsum(exp(mpf(x)) for x in lps) <= 0:
        i = max(range(k), key=lambda c: lps[c])
        lps[i] = f32_below(lps[i])
    return ids, lps


def sparse_case(rng, kind, param, k, mass):
    v = V_SPARSE
    ids, lps, student = [], [], []
    for agree in (True, False, True):
        row_ids, row_lps = sparse_teacher_row(rng, v, k, mass)
        if agree:
            # The student is close to the teacher: its own tail about as small as the teacher's.
            rest = float(log((1 - mpf(mass)) / (v - k)))
            zs = [rest + rng.gauss(0, 0.5) for _ in range(v)]
            for c, i in enumerate(row_ids):
                zs[i] = row_lps[c] + rng.gauss(0, 0.1)
        else:
            zs = [rng.uniform(-5, 5) for _ in range(v)]
        ids.append(row_ids)
        lps.append(row_lps)
        student.append([f32(x) for x in zs])
    mask = [1.0, 1.0, 0.0]
    loss, grad = case_values(lambda r, zs: sparse_row(kind, param, ids[r], lps[r], zs), student, mask)
    tails = [float(1 - fsum(exp(mpf(x)) for x in row)) for row in lps]
    return {
        "kind": kind,
        "temperature": 1.0,
        "param": param,
        "label": f"sparse top-{k} mass {mass:.10g} (teacher tails {', '.join(f'{x:.3g}' for x in tails)}): agreeing, disagreeing, masked rows",
        "sparse": True,
        "teacherTopkIds": ids,
        "teacherTopkLogprobs": lps,
        "studentLogits": student,
        "mask": mask,
        "loss": loss,
        "grad": grad,
    }


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "models" / "reference" / "kd-losses-hard.json"
    rng = random.Random(SEED)
    cases = []
    for kind, param in DIVERGENCES:
        for t in TEMPERATURES:
            for scale in SCALES:
                cases.append(dense_case(rng, kind, param, t, scale))
        for k, mass in SPARSE:
            cases.append(sparse_case(rng, kind, param, k, mass))
        print(f"{kind}({param}): {len(cases)} cases so far", file=sys.stderr)
    cases += near_cases()
    about = (
        "Hard reference cases for the KD losses (scripts/kd-reference-hard.py): mpmath at 40 digits, "
        "divergences from their definitions, gradients by central finite differences, inputs rounded to "
        "float32 first. Same format and meaning as kd-losses.json: loss = mean over rows with mask 1 of "
        "D(p_T || q_T) without T^2 and weights; grad = d loss / d studentLogits; param is beta for jsd and "
        "alpha for sfkl/srkl; sparse teachers are top-k ids and log-probs at T = 1 plus a tail bucket, the "
        "student collapsed onto the same ids plus its own tail. label says what each case holds."
    )
    out.write_text(json.dumps({"about": about, "seed": SEED, "cases": cases}) + "\n")
    print(f"wrote {len(cases)} cases to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
