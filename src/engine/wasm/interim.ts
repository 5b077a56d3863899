// TEMPORARY: plain-JS stand-ins for the SIMD kernels (same ABI) until ./assembly has them.
type F = (...a: number[]) => void;
export function interimKernels(mem: () => { f32: Float32Array }): Record<string, F> {
  const vis = (f32: Float32Array, mask: number, b: number, S: number, j: number) => mask === 0 || f32[mask / 4 + b * S + j] !== 0;
  const attentionForward: F = (q, k, v, mask, out, lse, B, T, S, nH, nKV, D, causal, offset, scale, part, parts) => {
    const { f32 } = mem();
    const pairs = B! * nH!;
    for (let pr = part!; pr < pairs; pr += parts!) {
      const b = Math.floor(pr / nH!);
      const h = pr % nH!;
      const kh = Math.floor(h / (nH! / nKV!));
      for (let i = 0; i < T!; i++) {
        const qo = q! / 4 + ((b * T! + i) * nH! + h) * D!;
        const sc: number[] = [];
        let mx = -Infinity;
        for (let j = 0; j < S!; j++) {
          if (!vis(f32, mask!, b, S!, j) || (causal && j > offset! + i)) { sc.push(-Infinity); continue; }
          const ko = k! / 4 + ((b * S! + j) * nKV! + kh) * D!;
          let s = 0;
          for (let d = 0; d < D!; d++) s += f32[qo + d]! * scale! * f32[ko + d]!;
          sc.push(s);
          mx = Math.max(mx, s);
        }
        let sum = 0;
        for (const s of sc) sum += s === -Infinity ? 0 : Math.exp(s - mx);
        const oo = out! / 4 + ((b * T! + i) * nH! + h) * D!;
        for (let d = 0; d < D!; d++) {
          let acc = 0;
          for (let j = 0; j < S!; j++) if (sc[j] !== -Infinity) acc += Math.exp(sc[j]! - mx) * f32[v! / 4 + ((b * S! + j) * nKV! + kh) * D! + d]!;
          f32[oo + d] = sum > 0 ? acc / sum : 0;
        }
        f32[lse! / 4 + (b * nH! + h) * T! + i] = sum > 0 ? mx + Math.log(sum) : 0;
      }
    }
  };
  const attentionBackwardQuery: F = (q, k, v, mask, out, gOut, lse, delta, gq, B, T, S, nH, nKV, D, causal, offset, scale, part, parts) => {
    const { f32 } = mem();
    for (let pr = part!; pr < B! * nH!; pr += parts!) {
      const b = Math.floor(pr / nH!);
      const h = pr % nH!;
      const kh = Math.floor(h / (nH! / nKV!));
      for (let i = 0; i < T!; i++) {
        const row = ((b * T! + i) * nH! + h) * D!;
        const stat = (b * nH! + h) * T! + i;
        let di = 0;
        for (let d = 0; d < D!; d++) di += f32[gOut! / 4 + row + d]! * f32[out! / 4 + row + d]!;
        f32[delta! / 4 + stat] = di;
        const li = f32[lse! / 4 + stat]!;
        const dq = new Float64Array(D!);
        for (let j = 0; j < S!; j++) {
          if (!vis(f32, mask!, b, S!, j) || (causal && j > offset! + i)) continue;
          const ko = ((b * S! + j) * nKV! + kh) * D!;
          let s = 0;
          let dp = 0;
          for (let d = 0; d < D!; d++) {
            s += f32[q! / 4 + row + d]! * scale! * f32[k! / 4 + ko + d]!;
            dp += f32[gOut! / 4 + row + d]! * f32[v! / 4 + ko + d]!;
          }
          const ds = Math.exp(s - li) * (dp - di);
          for (let d = 0; d < D!; d++) dq[d]! += ds * f32[k! / 4 + ko + d]!;
        }
        for (let d = 0; d < D!; d++) f32[gq! / 4 + row + d] = dq[d]! * scale!;
      }
    }
  };
  const attentionBackwardKey: F = (q, k, v, mask, gOut, lse, delta, gk, gv, B, T, S, nH, nKV, D, causal, offset, scale, part, parts) => {
    const { f32 } = mem();
    const group = nH! / nKV!;
    for (let pr = part!; pr < B! * nKV!; pr += parts!) {
      const b = Math.floor(pr / nKV!);
      const kh = pr % nKV!;
      for (let j = 0; j < S!; j++) {
        const ko = ((b * S! + j) * nKV! + kh) * D!;
        const dk = new Float64Array(D!);
        const dv = new Float64Array(D!);
        if (vis(f32, mask!, b, S!, j)) {
          for (let h = kh * group; h < (kh + 1) * group; h++) {
            for (let i = 0; i < T!; i++) {
              if (causal && j > offset! + i) continue;
              const row = ((b * T! + i) * nH! + h) * D!;
              const stat = (b * nH! + h) * T! + i;
              let s = 0;
              let dp = 0;
              for (let d = 0; d < D!; d++) {
                s += f32[k! / 4 + ko + d]! * scale! * f32[q! / 4 + row + d]!;
                dp += f32[v! / 4 + ko + d]! * f32[gOut! / 4 + row + d]!;
              }
              const p = Math.exp(s - f32[lse! / 4 + stat]!);
              const ds = p * (dp - f32[delta! / 4 + stat]!);
              for (let d = 0; d < D!; d++) {
                dv[d]! += p * f32[gOut! / 4 + row + d]!;
                dk[d]! += ds * f32[q! / 4 + row + d]!;
              }
            }
          }
        }
        for (let d = 0; d < D!; d++) {
          f32[gk! / 4 + ko + d] = dk[d]! * scale!;
          f32[gv! / 4 + ko + d] = dv[d]!;
        }
      }
    }
  };
  return { attentionForward, attentionBackwardQuery, attentionBackwardKey, attentionScratchBytes: () => 0 as never };
}
