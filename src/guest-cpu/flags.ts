/**
 * Lazy arithmetic flags. An instruction that sets flags records what it did in
 * `f` (an Int32Array on CpuState); a flag is computed only when read. Layout:
 *   f[0] op = kind * 4 + size index (0: 8-bit, 1: 16, 2: 32, 3: 64)
 *   f[1] result lo, f[2] result hi (64-bit ops only)
 *   f[3] first operand lo,  f[4] hi
 *   f[5] second operand lo, f[6] hi
 *   f[7] aux: carry-in (ADC/SBB), old CF (INC/DEC), or CF|OF<<1|AF<<2 (CO kind)
 * Sizes below 64 bits keep values masked to their width in f[1], f[3], f[5],
 * and f[2] = 0 so that ZF is one test for every size.
 * Kind RAW holds the six flags as RFLAGS bits in f[1].
 */
import { FLAG } from "./registers";

export const K_RAW = 0, K_ADD = 1, K_ADC = 2, K_SUB = 3, K_SBB = 4, K_LOGIC = 5, K_INC = 6, K_DEC = 7, K_CO = 8;
export const FLAGS_LEN = 8;

/** Parity of the low 8 bits: PF=1 when the number of set bits is even (SDM Vol. 1 3.4.3.1). */
const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let b = i, p = 1;
  while (b) { p ^= b & 1; b >>= 1; }
  PARITY[i] = p;
}

function signOf(f: Int32Array, lo: number, hi: number): number {
  switch (f[0]! & 3) {
    case 0: return (lo >> 7) & 1;
    case 1: return (lo >> 15) & 1;
    case 2: return (lo >>> 31);
    default: return (hi >>> 31);
  }
}

function eq(f: Int32Array, aL: number, aH: number, bL: number, bH: number): boolean {
  return aL === bL && ((f[0]! & 3) !== 3 || aH === bH);
}

/** Unsigned a < b for the op's width (values are masked, so lo compare suffices below 64 bits). */
function ult(f: Int32Array, aL: number, aH: number, bL: number, bH: number): boolean {
  if ((f[0]! & 3) !== 3) return (aL >>> 0) < (bL >>> 0);
  return (aH >>> 0) < (bH >>> 0) || (aH === bH && (aL >>> 0) < (bL >>> 0));
}

export function getCF(f: Int32Array): number {
  const kind = f[0]! >> 2;
  switch (kind) {
    case K_RAW: return f[1]! & FLAG.CF;
    case K_ADD: return ult(f, f[1]!, f[2]!, f[3]!, f[4]!) ? 1 : 0;
    case K_ADC: return ult(f, f[1]!, f[2]!, f[3]!, f[4]!) || (f[7] !== 0 && eq(f, f[1]!, f[2]!, f[3]!, f[4]!)) ? 1 : 0;
    case K_SUB: return ult(f, f[3]!, f[4]!, f[5]!, f[6]!) ? 1 : 0;
    case K_SBB: return ult(f, f[3]!, f[4]!, f[5]!, f[6]!) || (f[7] !== 0 && eq(f, f[3]!, f[4]!, f[5]!, f[6]!)) ? 1 : 0;
    case K_LOGIC: return 0;
    case K_INC: case K_DEC: return f[7]! & 1;
    default: return f[7]! & 1;
  }
}

export function getZF(f: Int32Array): number {
  if (f[0]! >> 2 === K_RAW) return (f[1]! & FLAG.ZF) ? 1 : 0;
  return (f[1]! | f[2]!) === 0 ? 1 : 0;
}

export function getSF(f: Int32Array): number {
  if (f[0]! >> 2 === K_RAW) return (f[1]! & FLAG.SF) ? 1 : 0;
  return signOf(f, f[1]!, f[2]!);
}

export function getPF(f: Int32Array): number {
  if (f[0]! >> 2 === K_RAW) return (f[1]! & FLAG.PF) ? 1 : 0;
  return PARITY[f[1]! & 0xff]!;
}

export function getAF(f: Int32Array): number {
  switch (f[0]! >> 2) {
    case K_RAW: return (f[1]! & FLAG.AF) ? 1 : 0;
    case K_LOGIC: return 0;
    case K_CO: return (f[7]! >> 2) & 1;
    default: return ((f[1]! ^ f[3]! ^ f[5]!) >> 4) & 1;
  }
}

export function getOF(f: Int32Array): number {
  switch (f[0]! >> 2) {
    case K_RAW: return (f[1]! & FLAG.OF) ? 1 : 0;
    case K_ADD: case K_ADC: case K_INC:
      return signOf(f, (f[3]! ^ f[1]!) & (f[5]! ^ f[1]!), (f[4]! ^ f[2]!) & (f[6]! ^ f[2]!));
    case K_SUB: case K_SBB: case K_DEC:
      return signOf(f, (f[3]! ^ f[5]!) & (f[3]! ^ f[1]!), (f[4]! ^ f[6]!) & (f[4]! ^ f[2]!));
    case K_LOGIC: return 0;
    default: return (f[7]! >> 1) & 1;
  }
}

/** The six status flags as RFLAGS bits. */
export function getArith(f: Int32Array): number {
  if (f[0]! >> 2 === K_RAW) return f[1]!;
  return getCF(f) | (getPF(f) << 2) | (getAF(f) << 4) | (getZF(f) << 6) | (getSF(f) << 7) | (getOF(f) << 11);
}

/** Replaces all six status flags (POPF, SAHF, IRET, flag-setting system instructions). */
export function setArith(f: Int32Array, bits: number): void {
  f[0] = K_RAW << 2;
  f[1] = bits & (FLAG.CF | FLAG.PF | FLAG.AF | FLAG.ZF | FLAG.SF | FLAG.OF);
}

/** Changes some status flags and keeps the others (CLC/STC/CMC, BT, partial updates). */
export function updateArith(f: Int32Array, mask: number, bits: number): void {
  const cur = getArith(f);
  setArith(f, (cur & ~mask) | (bits & mask));
}

/** Condition codes in the order of the x86 encoding (tttn, SDM Vol. 1 Appendix B). */
export function testCondition(f: Int32Array, tttn: number): boolean {
  let r: boolean;
  switch (tttn >> 1) {
    case 0: r = getOF(f) !== 0; break; // O
    case 1: r = getCF(f) !== 0; break; // B
    case 2: r = getZF(f) !== 0; break; // E
    case 3: r = (getCF(f) | getZF(f)) !== 0; break; // BE
    case 4: r = getSF(f) !== 0; break; // S
    case 5: r = getPF(f) !== 0; break; // P
    case 6: r = getSF(f) !== getOF(f); break; // L
    default: r = getZF(f) !== 0 || getSF(f) !== getOF(f); break; // LE
  }
  return (tttn & 1) !== 0 ? !r : r;
}
