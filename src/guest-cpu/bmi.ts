/**
 * BMI1/BMI2 (CPUID leaf 7 EBX bits 3 and 8, which the CPUID model reports):
 * ANDN BEXTR BLSI BLSMSK BLSR BZHI (flags) and MULX PDEP PEXT RORX SARX SHLX
 * SHRX (no flags), 32- and 64-bit (SDM Vol. 2 instruction pages). Operands and
 * results are lo/hi halves (hi 0 for 32-bit), the result's hi half in s.t[0].
 * SDM-undefined flags (AF, PF; SF of BEXTR): vmxlab clears them.
 * BigInt keeps this short; these are not hot-path instructions.
 */
import { setArith } from "./flags";
import { FLAG, RDX } from "./registers";
import type { CpuState } from "./state";

export const ANDN = 0, BEXTR = 1, BLSI = 2, BLSMSK = 3, BLSR = 4, BZHI = 5, PDEP = 6, PEXT = 7, RORX = 8, SARX = 9, SHLX = 10, SHRX = 11;

const big = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

function out(s: CpuState, v: bigint): number {
  s.t[0] = Number((v >> 32n) & 0xffffffffn) | 0;
  return Number(v & 0xffffffffn) | 0;
}

function flags(s: CpuState, r: bigint, w: bigint, cf: boolean, zfFromResult = true, sf = true): void {
  let f = 0;
  if (cf) f |= FLAG.CF;
  if (zfFromResult && r === 0n) f |= FLAG.ZF;
  if (sf && (r >> (w - 1n)) & 1n) f |= FLAG.SF;
  setArith(s.f, f);
}

/** `a` is the first source as the SDM names it, `b` the second (see insn/bmi.ts for the operand order). */
export function bmi(s: CpuState, kind: number, width: number, aL: number, aH: number, bL: number, bH: number): number {
  const w = BigInt(width);
  const m = (1n << w) - 1n;
  const a = big(aL, aH) & m;
  const b = big(bL, bH) & m;
  let r: bigint;
  switch (kind) {
    case ANDN: r = ~a & b & m; flags(s, r, w, false); break;
    case BEXTR: {
      const start = b & 0xffn, len = (b >> 8n) & 0xffn;
      r = start >= w ? 0n : (a >> start) & (len >= w ? m : (1n << len) - 1n);
      flags(s, r, w, false, true, false);
      break;
    }
    case BLSI: r = -a & a & m; flags(s, r, w, a !== 0n); break;
    case BLSMSK: r = ((a - 1n) ^ a) & m; flags(s, r, w, a === 0n, false); break;
    case BLSR: r = (a - 1n) & a & m; flags(s, r, w, a === 0n); break;
    case BZHI: {
      const n = b & 0xffn;
      r = n < w ? a & ((1n << n) - 1n) : a;
      flags(s, r, w, n > w - 1n);
      break;
    }
    case PDEP: {
      r = 0n;
      let k = 0n;
      for (let i = 0n; i < w; i++) if ((b >> i) & 1n) { if ((a >> k) & 1n) r |= 1n << i; k++; }
      break;
    }
    case PEXT: {
      r = 0n;
      let k = 0n;
      for (let i = 0n; i < w; i++) if ((b >> i) & 1n) { if ((a >> i) & 1n) r |= 1n << k; k++; }
      break;
    }
    case RORX: { const c = b & (w - 1n); r = ((a >> c) | (a << ((w - c) % w))) & m; break; }
    case SARX: { const c = b & (w - 1n); r = (BigInt.asIntN(width, a) >> c) & m; break; }
    case SHLX: { const c = b & (w - 1n); r = (a << c) & m; break; }
    default: { const c = b & (w - 1n); r = a >> c; break; }
  }
  return out(s, r);
}

/** MULX: RDX/EDX × src, unsigned, no flags; returns the low half of the product's low part; s.t[0..2] hold the rest (lo.hi, hi.lo, hi.hi). */
export function mulx(s: CpuState, width: number, bL: number, bH: number): number {
  const w = BigInt(width);
  const m = (1n << w) - 1n;
  const p = (big(s.lo[RDX]!, s.hi[RDX]!) & m) * (big(bL, bH) & m);
  const lo = p & m, hi = p >> w;
  s.t[1] = Number(hi & 0xffffffffn) | 0;
  s.t[2] = Number((hi >> 32n) & 0xffffffffn) | 0;
  return out(s, lo);
}

/** RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE need CR4.FSGSBASE (64-bit mode only; else #UD). */
export { FLAG };
