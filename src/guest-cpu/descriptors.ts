/**
 * Segment descriptors: reading them from the GDT/LDT and loading segment
 * registers with the protected-mode checks of SDM Vol. 2B MOV/POP (segment
 * register forms) and Vol. 3A 5.4–5.8. Hidden parts are kept in the VMCS
 * access-rights format (registers.ts AR).
 */
import { CpuFault, GP, NP, SS as SS_FAULT } from "./exceptions";
import { A_IMPLICIT, A_R } from "./mmu";
import { AR, CS, CR0, DS, ES, FS, GS, LDTR, SS, TR } from "./registers";
import type { CpuState } from "./state";

export interface Descriptor {
  lo: number; // bytes 0-3
  hi: number; // bytes 4-7
  /** For 16-byte system descriptors in long mode: bits 95:64 (base 63:32). */
  base63: number;
}

/** Base, limit (scaled by G) and access rights of a descriptor. */
export function descBase(d: Descriptor): number {
  return ((d.lo >>> 16) | ((d.hi & 0xff) << 16) | (d.hi & 0xff000000)) >>> 0;
}

export function descLimit(d: Descriptor): number {
  const raw = (d.lo & 0xffff) | (d.hi & 0xf0000);
  return d.hi & 0x800000 ? raw * 4096 + 0xfff : raw;
}

export function descAr(d: Descriptor): number {
  return (d.hi >>> 8) & 0xf0ff;
}

/** Reads 4 bytes of a descriptor table with a supervisor (implicit) access. */
function readSys32(s: CpuState, lin: number): number {
  return s.mmu.read(lin, 4, A_IMPLICIT) | 0;
}

/** Fetches the descriptor for `sel`; #GP(sel & ~3) when it is outside its table. */
export function fetchDescriptor(s: CpuState, sel: number, errVector = GP, wide = false): Descriptor {
  const ti = (sel & 4) !== 0;
  const index = sel & ~7;
  let base: number, limit: number;
  if (ti) {
    if (s.segAr[LDTR]! & AR.UNUSABLE || (s.segSel[LDTR]! & ~3) === 0) throw new CpuFault(errVector, sel & 0xfffc);
    base = s.segBase[LDTR]!;
    limit = s.segLimit[LDTR]!;
  } else {
    base = s.gdtrBase;
    limit = s.gdtrLimit;
  }
  if (index + (wide ? 15 : 7) > limit) throw new CpuFault(errVector, sel & 0xfffc);
  const lo = readSys32(s, base + index);
  const hi = readSys32(s, base + index + 4);
  const base63 = wide ? readSys32(s, base + index + 8) : 0;
  void A_R;
  return { lo, hi, base63 };
}

/** Sets the accessed bit of a descriptor (the CPU writes it on first load, SDM Vol. 3A 3.4.5.1). */
function setAccessed(s: CpuState, sel: number, d: Descriptor): void {
  if (d.hi & 0x100) return;
  const base = sel & 4 ? s.segBase[LDTR]! : s.gdtrBase;
  d.hi |= 0x100;
  s.mmu.write(base + (sel & ~7) + 4, 4, d.hi, 0, A_IMPLICIT);
}

/** Loads hidden parts directly (real mode, VM entry/exit, tests). */
export function setSegment(s: CpuState, seg: number, sel: number, base: number, limit: number, ar: number): void {
  s.segSel[seg] = sel & 0xffff;
  s.segBase[seg] = base;
  s.segLimit[seg] = limit;
  s.segAr[seg] = ar;
  if (seg === CS || seg === SS) s.updateMode();
}

/**
 * MOV/POP to DS, ES, FS, GS, SS (SDM Vol. 2B MOV, "Operation" for segment
 * registers). In real mode only the selector and base change.
 */
export function loadSegment(s: CpuState, seg: number, sel: number): void {
  sel &= 0xffff;
  if (!(s.cr0 & CR0.PE)) {
    s.segSel[seg] = sel;
    s.segBase[seg] = sel << 4;
    // Real mode keeps limit and attributes; a data segment stays usable.
    s.segAr[seg] = (s.segAr[seg]! & ~AR.UNUSABLE) | AR.P;
    return;
  }
  const rpl = sel & 3;
  if ((sel & ~3) === 0) {
    // Null selector: SS only in 64-bit mode at CPL < 3 with RPL = CPL (SDM Vol. 3A 5.4.1.1).
    if (seg === SS && !(s.bits === 64 && s.cpl !== 3 && rpl === s.cpl)) throw new CpuFault(GP, 0);
    s.segSel[seg] = sel;
    s.segBase[seg] = seg === FS || seg === GS ? s.segBase[seg]! : 0;
    s.segAr[seg] = AR.UNUSABLE | (seg === SS ? s.cpl << AR.DPL_SHIFT : 0);
    if (seg === SS) s.updateMode();
    return;
  }
  const d = fetchDescriptor(s, sel);
  const ar = descAr(d);
  const type = ar & 0xf;
  const dpl = (ar >> AR.DPL_SHIFT) & 3;
  const errc = sel & 0xfffc;
  if (!(ar & AR.S)) throw new CpuFault(GP, errc);
  if (seg === SS) {
    // writable data, RPL = CPL = DPL
    if (type & 8 || !(type & 2) || rpl !== s.cpl || dpl !== s.cpl) throw new CpuFault(GP, errc);
    if (!(ar & AR.P)) throw new CpuFault(SS_FAULT, errc);
  } else {
    // data or readable code; for data and non-conforming code, DPL >= max(CPL, RPL)
    if ((type & 0xa) === 8) throw new CpuFault(GP, errc); // execute-only code
    const conforming = (type & 0xc) === 0xc;
    if (!conforming && dpl < Math.max(s.cpl, rpl)) throw new CpuFault(GP, errc);
    if (!(ar & AR.P)) throw new CpuFault(NP, errc);
  }
  setAccessed(s, sel, d);
  s.segSel[seg] = sel;
  s.segBase[seg] = seg === FS || seg === GS || s.bits !== 64 ? descBase(d) : descBase(d);
  s.segLimit[seg] = descLimit(d);
  s.segAr[seg] = descAr(d);
  if (seg === SS) s.updateMode();
}

export const DATA_SEGMENTS = [ES, DS, FS, GS] as const;
export { TR };
