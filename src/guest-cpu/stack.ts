/**
 * Stack operations for compiled code: PUSH/POP at 16/32/64-bit operand size,
 * near CALL/RET. The stack-address size is 64 bits in 64-bit mode, otherwise
 * SS.B selects ESP or SP (SDM Vol. 1 6.2.3). Each helper writes memory before
 * it updates RSP, so a fault leaves the stack pointer unchanged.
 */
import { nonCanonical, segAddr } from "./segments";
import { rd16, rd32, rd64, wr16, wr32, wr64 } from "./memops";
import { AR, RSP, SS } from "./registers";
import type { CpuState } from "./state";

const TWO32 = 4294967296;

/** Current stack pointer as a number (64-bit mode: signed; else ESP or SP). */
function sp(s: CpuState): number {
  if (s.bits === 64) return s.hi[RSP]! * TWO32 + (s.lo[RSP]! >>> 0);
  return s.segAr[SS]! & AR.DB ? s.lo[RSP]! >>> 0 : s.lo[RSP]! & 0xffff;
}

function setSp(s: CpuState, v: number): void {
  if (s.bits === 64) {
    s.lo[RSP] = v % TWO32 | 0;
    s.hi[RSP] = Math.floor(v / TWO32) | 0;
  } else if (s.segAr[SS]! & AR.DB) {
    s.lo[RSP] = v | 0;
  } else {
    s.lo[RSP] = (s.lo[RSP]! & -65536) | (v & 0xffff);
  }
}

/** Linear address of a stack slot at stack-pointer value `v` (wrapped to the stack-address size). */
function slot(s: CpuState, v: number, size: number): number {
  if (s.bits === 64) {
    if (v < -140737488355328 || v >= 140737488355328) nonCanonical(s, 1);
    return v;
  }
  const off = s.segAr[SS]! & AR.DB ? v >>> 0 : v & 0xffff;
  return segAddr(s, SS, off, size, 1);
}

function wrap(s: CpuState, v: number): number {
  if (s.bits === 64) return v;
  return s.segAr[SS]! & AR.DB ? v >>> 0 : v & 0xffff;
}

export function push16(s: CpuState, v: number): void {
  const n = wrap(s, sp(s) - 2);
  wr16(s, slot(s, n, 2), v & 0xffff);
  setSp(s, n);
}

export function push32(s: CpuState, v: number): void {
  const n = wrap(s, sp(s) - 4);
  wr32(s, slot(s, n, 4), v);
  setSp(s, n);
}

export function push64(s: CpuState, lo: number, hi: number): void {
  const n = sp(s) - 8;
  wr64(s, slot(s, n, 8), lo, hi);
  setSp(s, n);
}

/** Pushes at operand size `size` (2, 4, 8). */
export function push(s: CpuState, size: number, lo: number, hi: number): void {
  if (size === 8) push64(s, lo, hi);
  else if (size === 4) push32(s, lo);
  else push16(s, lo);
}

export function pop16(s: CpuState): number {
  const c = sp(s);
  const v = rd16(s, slot(s, c, 2));
  setSp(s, wrap(s, c + 2));
  return v;
}

export function pop32(s: CpuState): number {
  const c = sp(s);
  const v = rd32(s, slot(s, c, 4));
  setSp(s, wrap(s, c + 4));
  return v;
}

/** Returns the low half; the high half is in s.t[0]. */
export function pop64(s: CpuState): number {
  const c = sp(s);
  const v = rd64(s, slot(s, c, 8));
  const h = s.t[0]!;
  setSp(s, c + 8);
  s.t[0] = h;
  return v;
}

/** Reads the value `depth` bytes above the stack pointer without popping (for faults that must not move RSP). */
export function peek(s: CpuState, size: number, depth = 0): number {
  const a = slot(s, wrap(s, sp(s) + depth), size);
  return size === 8 ? rd64(s, a) : size === 4 ? rd32(s, a) : rd16(s, a);
}

/** Adds to the stack pointer at the stack-address size (RET imm16, ENTER/LEAVE). */
export function addSp(s: CpuState, n: number): void {
  setSp(s, wrap(s, sp(s) + n));
}

export function getSp(s: CpuState): number {
  return sp(s);
}

export { setSp };
