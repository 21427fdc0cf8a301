/**
 * MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV (SDM Vol. 2A/2B).
 * The one-operand forms work on the accumulator pair (AX, DX:AX, EDX:EAX,
 * RDX:RAX) in place.
 *
 * Flags: MUL/IMUL set CF = OF = "the result does not fit the destination
 * half". SF, ZF, AF, PF are undefined: vmxlab computes SF, ZF, PF from the
 * low half of the result and clears AF. DIV/IDIV leave all flags undefined:
 * vmxlab leaves them unchanged. A zero divisor or a quotient that does not fit
 * is #DE, raised before any register changes.
 * 64-bit products and 128-bit dividends use BigInt (these instructions are
 * rare on hot paths; add/sub/logic never get here).
 */
import { MASK, setCO } from "./alu";
import { CpuFault, DE } from "./exceptions";
import { RAX, RDX } from "./registers";
import type { CpuState } from "./state";

const sx = (v: number, sz: number) => (sz === 0 ? (v << 24) >> 24 : sz === 1 ? (v << 16) >> 16 : v | 0);
const big = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const lo32 = (v: bigint) => Number(BigInt.asIntN(32, v));
const hi32 = (v: bigint) => Number(BigInt.asIntN(32, v >> 32n));

function setLo16(s: CpuState, r: number, v: number): void {
  s.lo[r] = (s.lo[r]! & -65536) | (v & 0xffff);
}

/** One-operand MUL/IMUL of the accumulator by `src` (8/16/32-bit, `sz` 0..2). */
export function mul1(s: CpuState, sz: number, signed: number, src: number): void {
  const m = MASK[sz]!;
  if (sz === 0) {
    const a = s.lo[RAX]! & 0xff;
    const r = signed ? sx(a, 0) * sx(src, 0) : a * (src & 0xff);
    const over = signed ? r !== sx(r, 0) : r > 0xff;
    setLo16(s, RAX, r);
    setCO(s, 0, r & 0xff, 0, over ? 1 : 0, over ? 1 : 0);
    return;
  }
  if (sz === 1) {
    const a = s.lo[RAX]! & 0xffff;
    const r = signed ? sx(a, 1) * sx(src, 1) : a * (src & 0xffff);
    const over = signed ? r !== sx(r, 1) : r > 0xffff;
    setLo16(s, RAX, r);
    setLo16(s, RDX, signed ? r >> 16 : r >>> 16);
    setCO(s, 1, r & 0xffff, 0, over ? 1 : 0, over ? 1 : 0);
    return;
  }
  const a = s.lo[RAX]!;
  const r = signed ? BigInt(a | 0) * BigInt(src | 0) : BigInt(a >>> 0) * BigInt(src >>> 0);
  const low = lo32(r);
  const over = signed ? BigInt(low) !== r : r > 0xffffffffn;
  s.lo[RAX] = low; s.hi[RAX] = 0;
  s.lo[RDX] = hi32(r); s.hi[RDX] = 0;
  setCO(s, 2, low & m, 0, over ? 1 : 0, over ? 1 : 0);
}

/** One-operand 64-bit MUL/IMUL: RDX:RAX = RAX × src. */
export function mul1_64(s: CpuState, signed: number, bL: number, bH: number): void {
  const a = big(s.lo[RAX]!, s.hi[RAX]!);
  const b = big(bL, bH);
  const r = signed ? BigInt.asIntN(64, a) * BigInt.asIntN(64, b) : a * b;
  const low = BigInt.asUintN(64, r);
  const over = signed ? BigInt.asIntN(64, r) !== r : r >> 64n !== 0n;
  const high = BigInt.asUintN(64, r >> 64n);
  s.lo[RAX] = lo32(low); s.hi[RAX] = hi32(low);
  s.lo[RDX] = lo32(high); s.hi[RDX] = hi32(high);
  setCO(s, 3, s.lo[RAX]!, s.hi[RAX]!, over ? 1 : 0, over ? 1 : 0);
}

/** Two/three-operand IMUL, 16/32-bit (`sz` 1..2): the truncated product; CF=OF when it differs from the full one. */
export function imul2(s: CpuState, sz: number, a: number, b: number): number {
  if (sz === 1) {
    const r = sx(a, 1) * sx(b, 1);
    const over = r !== sx(r, 1) ? 1 : 0;
    setCO(s, 1, r & 0xffff, 0, over, over);
    return r & 0xffff;
  }
  const r = Math.imul(a, b);
  // A product of int32s beyond the int32 range cannot round back into it, so the double compare is exact.
  const over = (a | 0) * (b | 0) !== r ? 1 : 0;
  setCO(s, 2, r, 0, over, over);
  return r;
}

export function imul2_64(s: CpuState, aL: number, aH: number, bL: number, bH: number): number {
  const r = BigInt.asIntN(64, big(aL, aH)) * BigInt.asIntN(64, big(bL, bH));
  const t = BigInt.asIntN(64, r);
  const over = t !== r ? 1 : 0;
  const lo = lo32(t);
  s.t[0] = hi32(t);
  setCO(s, 3, lo, s.t[0]!, over, over);
  return lo;
}

/** One-operand DIV/IDIV of the accumulator pair by `src` (8/16/32-bit). */
export function div1(s: CpuState, sz: number, signed: number, src: number): void {
  if (sz === 0) {
    const d = signed ? sx(src, 0) : src & 0xff;
    if (d === 0) throw new CpuFault(DE);
    const n = signed ? sx(s.lo[RAX]!, 1) : s.lo[RAX]! & 0xffff;
    const q = Math.trunc(n / d);
    if (signed ? q > 127 || q < -128 : q > 0xff) throw new CpuFault(DE);
    const rem = n - q * d;
    setLo16(s, RAX, (q & 0xff) | ((rem & 0xff) << 8));
    return;
  }
  if (sz === 1) {
    const d = signed ? sx(src, 1) : src & 0xffff;
    if (d === 0) throw new CpuFault(DE);
    const u = ((s.lo[RDX]! & 0xffff) * 65536 + (s.lo[RAX]! & 0xffff));
    const n = signed ? u | 0 : u;
    const q = Math.trunc(n / d);
    if (signed ? q > 32767 || q < -32768 : q > 0xffff) throw new CpuFault(DE);
    setLo16(s, RAX, q);
    setLo16(s, RDX, n - q * d);
    return;
  }
  const d = signed ? BigInt(src | 0) : BigInt(src >>> 0);
  if (d === 0n) throw new CpuFault(DE);
  const u = big(s.lo[RAX]!, s.lo[RDX]!);
  const n = signed ? BigInt.asIntN(64, u) : u;
  const q = n / d; // BigInt division truncates toward zero, as IDIV does
  if (signed ? q > 0x7fffffffn || q < -0x80000000n : q > 0xffffffffn) throw new CpuFault(DE);
  s.lo[RAX] = lo32(q); s.hi[RAX] = 0;
  s.lo[RDX] = lo32(n - q * d); s.hi[RDX] = 0;
}

/** 64-bit DIV/IDIV: RDX:RAX / src. */
export function div1_64(s: CpuState, signed: number, bL: number, bH: number): void {
  const ub = big(bL, bH);
  const d = signed ? BigInt.asIntN(64, ub) : ub;
  if (d === 0n) throw new CpuFault(DE);
  const u = (big(s.lo[RDX]!, s.hi[RDX]!) << 64n) | big(s.lo[RAX]!, s.hi[RAX]!);
  const n = signed ? BigInt.asIntN(128, u) : u;
  const q = n / d;
  if (signed ? BigInt.asIntN(64, q) !== q : q >> 64n !== 0n) throw new CpuFault(DE);
  const r = n - q * d;
  s.lo[RAX] = lo32(q); s.hi[RAX] = hi32(q);
  s.lo[RDX] = lo32(r); s.hi[RDX] = hi32(r);
}
