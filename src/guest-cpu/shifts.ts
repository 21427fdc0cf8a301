/**
 * Shifts and rotates: SHL/SAL SHR SAR ROL ROR RCL RCR, SHLD SHRD (SDM Vol. 2B
 * SAL/SAR/SHL/SHR, Vol. 2B RCL/RCR/ROL/ROR, SHLD, SHRD). `op` is the ModRM.reg
 * number of the group-2 encoding.
 *
 * Flags: a masked count of 0 changes no flags. Rotates change only CF and OF.
 * SDM-undefined flags, vmxlab's documented choice:
 *  - OF for counts other than 1: the count-1 formula applied to the result
 *    (SHL: MSB(r) XOR CF; SHR: MSB(original); SAR: 0; ROL: MSB(r) XOR CF;
 *    ROR/SHRD/SHLD: sign change; RCL/RCR: as for count 1);
 *  - AF after SHL/SHR/SAR/SHLD/SHRD: 0;
 *  - CF of SHL/SHR when the count is ≥ the operand size (8/16-bit): 0;
 *  - SHLD/SHRD with a count > the operand size (16-bit): the result of
 *    shifting the 32-bit concatenation, flags as for an in-range count.
 * The ≤32-bit forms compute on int32 values; the 64-bit forms on lo/hi
 * halves through BigInt (the hi half of a result goes to s.t[0]).
 */
import { MASK, setCO } from "./alu";
import { getCF, updateArith } from "./flags";
import { FLAG } from "./registers";
import type { CpuState } from "./state";

export const ROL = 0, ROR = 1, RCL = 2, RCR = 3, SHL = 4, SHR = 5, SAL = 6, SAR = 7;

function rotFlags(s: CpuState, cf: number, of: number): void {
  updateArith(s.f, FLAG.CF | FLAG.OF, cf | (of << 11));
}

/** Group-2 operation on an 8/16/32-bit value (`sz` 0..2); returns the result masked to the width. */
export function shift(s: CpuState, op: number, sz: number, a: number, count: number): number {
  const w = 8 << sz;
  const m = MASK[sz]!;
  const c = count & 31;
  a &= m;
  if (c === 0) return a;
  switch (op) {
    case SHL: case SAL: {
      const r = (a << c) & m;
      const cf = c <= w ? (a >>> (w - c)) & 1 : 0;
      setCO(s, sz, r, 0, cf, ((r >>> (w - 1)) & 1) ^ cf);
      return r;
    }
    case SHR: {
      const r = (a >>> c) & m;
      const cf = c <= w ? (a >>> (c - 1)) & 1 : 0;
      setCO(s, sz, r, 0, cf, (a >>> (w - 1)) & 1);
      return r;
    }
    case SAR: {
      const sa = sz === 0 ? (a << 24) >> 24 : sz === 1 ? (a << 16) >> 16 : a;
      const r = (sa >> c) & m;
      setCO(s, sz, r, 0, (sa >> (c - 1)) & 1, 0);
      return r;
    }
    case ROL: {
      const t = c % w;
      const r = t === 0 ? a : ((a << t) | (a >>> (w - t))) & m;
      const cf = r & 1;
      rotFlags(s, cf, ((r >>> (w - 1)) & 1) ^ cf);
      return r;
    }
    case ROR: {
      const t = c % w;
      const r = t === 0 ? a : ((a >>> t) | (a << (w - t))) & m;
      const cf = (r >>> (w - 1)) & 1;
      rotFlags(s, cf, cf ^ ((r >>> (w - 2)) & 1));
      return r;
    }
    default: {
      // RCL/RCR rotate through CF: a (w+1)-bit rotation (SDM: count MOD 9 / MOD 17 for 8/16-bit).
      const t = w === 8 ? c % 9 : w === 16 ? c % 17 : c;
      let cf = getCF(s.f);
      let r = a >>> 0;
      let of: number;
      if (op === RCL) {
        for (let i = 0; i < t; i++) {
          const out = (r >>> (w - 1)) & 1;
          r = ((r << 1) | cf) & m;
          cf = out;
        }
        of = ((r >>> (w - 1)) & 1) ^ cf;
      } else {
        of = ((r >>> (w - 1)) & 1) ^ cf;
        for (let i = 0; i < t; i++) {
          const out = r & 1;
          r = ((r >>> 1) | (cf << (w - 1))) & m;
          cf = out;
        }
      }
      rotFlags(s, cf, of);
      return r & m;
    }
  }
}

const M64 = (1n << 64n) - 1n;
const big = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

function split(s: CpuState, v: bigint): number {
  s.t[0] = Number((v >> 32n) & 0xffffffffn) | 0;
  return Number(v & 0xffffffffn) | 0;
}

function co64(s: CpuState, r: bigint, cf: number, of: number): number {
  const lo = split(s, r);
  setCO(s, 3, lo, s.t[0]!, cf, of);
  return lo;
}

/** Group-2 operation on a 64-bit value; returns the low half, the high half in s.t[0]. */
export function shift64(s: CpuState, op: number, aL: number, aH: number, count: number): number {
  const c = count & 63;
  const a = big(aL, aH);
  if (c === 0) return split(s, a);
  const bc = BigInt(c);
  const msb = (v: bigint) => Number((v >> 63n) & 1n);
  switch (op) {
    case SHL: case SAL: {
      const r = (a << bc) & M64;
      const cf = Number((a >> (64n - bc)) & 1n);
      return co64(s, r, cf, msb(r) ^ cf);
    }
    case SHR: {
      const r = a >> bc;
      return co64(s, r, Number((a >> (bc - 1n)) & 1n), msb(a));
    }
    case SAR: {
      const sa = BigInt.asIntN(64, a);
      const r = (sa >> bc) & M64;
      return co64(s, r, Number((sa >> (bc - 1n)) & 1n), 0);
    }
    case ROL: {
      const r = ((a << bc) | (a >> (64n - bc))) & M64;
      const cf = Number(r & 1n);
      rotFlags(s, cf, msb(r) ^ cf);
      return split(s, r);
    }
    case ROR: {
      const r = ((a >> bc) | (a << (64n - bc))) & M64;
      const cf = msb(r);
      rotFlags(s, cf, cf ^ Number((r >> 62n) & 1n));
      return split(s, r);
    }
    default: {
      let cf = BigInt(getCF(s.f));
      // A 65-bit rotation of CF:a.
      const v = (cf << 64n) | a;
      let r: bigint;
      let of: number;
      if (op === RCL) {
        const rot = ((v << bc) | (v >> (65n - bc))) & ((1n << 65n) - 1n);
        r = rot & M64;
        cf = rot >> 64n;
        of = msb(r) ^ Number(cf);
      } else {
        of = msb(a) ^ Number(cf);
        const rot = ((v >> bc) | (v << (65n - bc))) & ((1n << 65n) - 1n);
        r = rot & M64;
        cf = rot >> 64n;
      }
      rotFlags(s, Number(cf), of);
      return split(s, r);
    }
  }
}

/**
 * SHLD/SHRD: dst shifted by `count`, filled from src. `sz` 1..3; values as
 * lo/hi halves (hi 0 below 64 bits); result low half returned, hi in s.t[0].
 */
export function shiftDouble(s: CpuState, left: number, sz: number, aL: number, aH: number, bL: number, bH: number, count: number): number {
  const w = BigInt(8 << sz);
  const m = (1n << w) - 1n;
  const c = BigInt(count & (sz === 3 ? 63 : 31));
  const a = big(aL, aH) & m;
  const b = big(bL, bH) & m;
  if (c === 0n) return split(s, a);
  let r: bigint;
  let cf: bigint;
  if (left) {
    const v = (a << w) | b; // dst:src
    const sh = v << c;
    r = (sh >> w) & m;
    cf = (sh >> (2n * w)) & 1n;
  } else {
    const v = (b << w) | a; // src:dst
    r = (v >> c) & m;
    cf = (v >> (c - 1n)) & 1n;
  }
  const msb = (x: bigint) => Number((x >> (w - 1n)) & 1n);
  const lo = split(s, r);
  setCO(s, sz, lo, s.t[0]!, Number(cf), msb(r) ^ msb(a));
  return lo;
}
