/**
 * Bit instructions: BT/BTS/BTR/BTC, BSF/BSR, LZCNT/TZCNT, POPCNT, BSWAP
 * (SDM Vol. 2A/2B instruction pages).
 *
 * SDM-undefined effects, vmxlab's documented choice:
 *  - BT*: OF, SF, AF, PF unchanged (ZF is defined as unaffected);
 *  - BSF/BSR: CF, OF, SF, AF, PF unchanged; a zero source leaves the
 *    destination unchanged (as AMD documents and Intel processors do);
 *  - LZCNT/TZCNT: OF, SF, AF, PF unchanged;
 *  - BSWAP with a 16-bit operand: the low word becomes 0 (what hardware does).
 */
import { setArith, updateArith } from "./flags";
import { FLAG } from "./registers";
import type { CpuState } from "./state";

export const BT = 0, BTS = 1, BTR = 2, BTC = 3;

/** Tests bit `bit` (already reduced to the width) of a ≤32-bit value; returns the new value. */
export function bitOp(s: CpuState, op: number, a: number, bit: number): number {
  const m = 1 << bit;
  updateArith(s.f, FLAG.CF, (a & m) !== 0 ? FLAG.CF : 0);
  return op === BTS ? a | m : op === BTR ? a & ~m : op === BTC ? a ^ m : a;
}

/** 64-bit form: returns the new low half, the high half in s.t[0]. */
export function bitOp64(s: CpuState, op: number, aL: number, aH: number, bit: number): number {
  if (bit >= 32) {
    s.t[0] = bitOp(s, op, aH, bit - 32);
    return aL;
  }
  s.t[0] = aH;
  return bitOp(s, op, aL, bit);
}

function clz(lo: number, hi: number, w: number): number {
  if (w === 64) return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
  return Math.clz32(lo) - (32 - w);
}

function ctz(lo: number, hi: number, w: number): number {
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  if (w === 64 && hi !== 0) return 63 - Math.clz32(hi & -hi);
  return w;
}

/**
 * BSF (`kind` 0), BSR (1), TZCNT (2), LZCNT (3) of a source masked to `w`
 * bits; `dL/dH` the old destination (kept by BSF/BSR of 0). Returns the low
 * half of the new destination (hi in s.t[0]).
 */
export function bitScan(s: CpuState, kind: number, w: number, sL: number, sH: number, dL: number, dH: number): number {
  const zero = sL === 0 && (w !== 64 || sH === 0);
  let r: number;
  if (kind <= 1) {
    updateArith(s.f, FLAG.ZF, zero ? FLAG.ZF : 0);
    if (zero) {
      s.t[0] = dH;
      return dL;
    }
    r = kind === 0 ? ctz(sL, sH, w) : w - 1 - clz(sL, sH, w);
  } else {
    r = zero ? w : kind === 2 ? ctz(sL, sH, w) : clz(sL, sH, w);
    updateArith(s.f, FLAG.CF | FLAG.ZF, (zero ? FLAG.CF : 0) | (r === 0 ? FLAG.ZF : 0));
  }
  s.t[0] = 0;
  return r;
}

function pop32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** POPCNT: ZF when the source is 0; OF, SF, AF, CF, PF cleared. */
export function popcnt(s: CpuState, sL: number, sH: number): number {
  const r = pop32(sL) + pop32(sH);
  setArith(s.f, r === 0 ? FLAG.ZF : 0);
  s.t[0] = 0;
  return r;
}

export function bswap32(_s: CpuState, v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}
