/**
 * Integer ALU operations with their flag effects (SDM Vol. 2 instruction
 * pages). Compiled blocks call these with a constant size index `sz`
 * (0: 8-bit, 1: 16, 2: 32) or the *64 variants, which take and return lo/hi
 * halves (the hi half of a result is left in s.t[0]).
 */
import { getCF, K_ADC, K_ADD, K_CO, K_DEC, K_INC, K_LOGIC, K_SBB, K_SUB } from "./flags";
import type { CpuState } from "./state";

/** Value masks per size index; `& -1` keeps 32-bit values as int32. */
export const MASK = [0xff, 0xffff, -1] as const;

function rec(f: Int32Array, op: number, r: number, a: number, b: number): void {
  f[0] = op; f[1] = r; f[2] = 0; f[3] = a; f[5] = b;
}

function rec64(f: Int32Array, op: number, rL: number, rH: number, aL: number, aH: number, bL: number, bH: number): void {
  f[0] = op; f[1] = rL; f[2] = rH; f[3] = aL; f[4] = aH; f[5] = bL; f[6] = bH;
}

export function add(s: CpuState, sz: number, a: number, b: number): number {
  const m = MASK[sz]!;
  const r = (a + b) & m;
  rec(s.f, K_ADD * 4 + sz, r, a & m, b & m);
  return r;
}

export function adc(s: CpuState, sz: number, a: number, b: number): number {
  const c = getCF(s.f);
  const m = MASK[sz]!;
  const r = (a + b + c) & m;
  const f = s.f;
  rec(f, K_ADC * 4 + sz, r, a & m, b & m);
  f[7] = c;
  return r;
}

export function sub(s: CpuState, sz: number, a: number, b: number): number {
  const m = MASK[sz]!;
  const r = (a - b) & m;
  rec(s.f, K_SUB * 4 + sz, r, a & m, b & m);
  return r;
}

export function sbb(s: CpuState, sz: number, a: number, b: number): number {
  const c = getCF(s.f);
  const m = MASK[sz]!;
  const r = (a - b - c) & m;
  const f = s.f;
  rec(f, K_SBB * 4 + sz, r, a & m, b & m);
  f[7] = c;
  return r;
}

/** AND/OR/XOR/TEST: CF=OF=0; SF, ZF, PF from the result; AF undefined (vmxlab: 0). */
export function logic(s: CpuState, sz: number, r: number): number {
  const m = MASK[sz]!;
  const v = r & m;
  const f = s.f;
  f[0] = K_LOGIC * 4 + sz; f[1] = v; f[2] = 0;
  return v;
}

/** INC/DEC leave CF unchanged (SDM Vol. 2A INC, DEC). */
export function inc(s: CpuState, sz: number, a: number): number {
  const f = s.f;
  const c = getCF(f);
  const m = MASK[sz]!;
  const r = (a + 1) & m;
  rec(f, K_INC * 4 + sz, r, a & m, 1);
  f[7] = c;
  return r;
}

export function dec(s: CpuState, sz: number, a: number): number {
  const f = s.f;
  const c = getCF(f);
  const m = MASK[sz]!;
  const r = (a - 1) & m;
  rec(f, K_DEC * 4 + sz, r, a & m, 1);
  f[7] = c;
  return r;
}

/** NEG is 0 - a: CF = (a != 0), OF when a is the most negative value (SDM Vol. 2B NEG). */
export function neg(s: CpuState, sz: number, a: number): number {
  return sub(s, sz, 0, a);
}

/** Sets flags for a result with explicitly computed CF/OF/AF (shifts, multiplies). */
export function setCO(s: CpuState, sz: number, rL: number, rH: number, cf: number, of: number, af = 0): void {
  const f = s.f;
  f[0] = K_CO * 4 + sz; f[1] = sz === 3 ? rL : rL & MASK[sz]!; f[2] = sz === 3 ? rH : 0;
  f[7] = cf | (of << 1) | (af << 2);
}

// ---- 64-bit forms: operands and results as lo/hi halves ----

export function add64(s: CpuState, aL: number, aH: number, bL: number, bH: number): number {
  const rL = (aL + bL) | 0;
  const rH = (aH + bH + ((rL >>> 0) < (aL >>> 0) ? 1 : 0)) | 0;
  rec64(s.f, K_ADD * 4 + 3, rL, rH, aL, aH, bL, bH);
  s.t[0] = rH;
  return rL;
}

export function adc64(s: CpuState, aL: number, aH: number, bL: number, bH: number): number {
  const c = getCF(s.f);
  const sum = (aL >>> 0) + (bL >>> 0) + c;
  const rL = sum | 0;
  const rH = (aH + bH + (sum > 0xffff_ffff ? 1 : 0)) | 0;
  const f = s.f;
  rec64(f, K_ADC * 4 + 3, rL, rH, aL, aH, bL, bH);
  f[7] = c;
  s.t[0] = rH;
  return rL;
}

export function sub64(s: CpuState, aL: number, aH: number, bL: number, bH: number): number {
  const rL = (aL - bL) | 0;
  const rH = (aH - bH - ((aL >>> 0) < (bL >>> 0) ? 1 : 0)) | 0;
  rec64(s.f, K_SUB * 4 + 3, rL, rH, aL, aH, bL, bH);
  s.t[0] = rH;
  return rL;
}

export function sbb64(s: CpuState, aL: number, aH: number, bL: number, bH: number): number {
  const c = getCF(s.f);
  const diff = (aL >>> 0) - (bL >>> 0) - c;
  const rL = diff | 0;
  const rH = (aH - bH - (diff < 0 ? 1 : 0)) | 0;
  const f = s.f;
  rec64(f, K_SBB * 4 + 3, rL, rH, aL, aH, bL, bH);
  f[7] = c;
  s.t[0] = rH;
  return rL;
}

export function logic64(s: CpuState, rL: number, rH: number): number {
  const f = s.f;
  f[0] = K_LOGIC * 4 + 3; f[1] = rL; f[2] = rH;
  s.t[0] = rH;
  return rL;
}

export function inc64(s: CpuState, aL: number, aH: number): number {
  const f = s.f;
  const c = getCF(f);
  const rL = (aL + 1) | 0;
  const rH = (aH + (rL === 0 ? 1 : 0)) | 0;
  rec64(f, K_INC * 4 + 3, rL, rH, aL, aH, 1, 0);
  f[7] = c;
  s.t[0] = rH;
  return rL;
}

export function dec64(s: CpuState, aL: number, aH: number): number {
  const f = s.f;
  const c = getCF(f);
  const rL = (aL - 1) | 0;
  const rH = (aH - (aL === 0 ? 1 : 0)) | 0;
  rec64(f, K_DEC * 4 + 3, rL, rH, aL, aH, 1, 0);
  f[7] = c;
  s.t[0] = rH;
  return rL;
}

export function neg64(s: CpuState, aL: number, aH: number): number {
  return sub64(s, 0, 0, aL, aH);
}
