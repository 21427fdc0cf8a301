/**
 * Far control transfers: JMP/CALL far, RET far, IRET (SDM Vol. 2A CALL, JMP,
 * IRET; Vol. 2B RET; Vol. 3A 5.8). Real mode loads CS as selector × 16.
 * Protected and IA-32e mode check the code-segment descriptor; RET and IRET
 * to an outer privilege level pop SS:rSP and null data segments the new CPL
 * may not use. All checks run before any register or RSP changes.
 * Not modelled (documented): call gates, task gates and task switches
 * (a selector naming one is #GP(selector); IRET with NT = 1 is #GP(0)),
 * virtual-8086 mode.
 */
import { CpuFault, GP, NP, SS as SS_FAULT } from "./exceptions";
import { descAr, descBase, descLimit, fetchDescriptor } from "./descriptors";
import { popf } from "./sysinsn";
import { AR, CR0, CS, DS, ES, FLAG, FS, GS, RSP, SS } from "./registers";
import { getSp, peek, push, setSp } from "./stack";
import type { CpuState } from "./state";

const TWO32 = 4294967296;
const canonical = (v: number) => v >= -140737488355328 && v < 140737488355328;

interface CodeTarget {
  sel: number;
  base: number;
  limit: number;
  ar: number;
}

/**
 * Checks a code-segment selector for a transfer at privilege `cpl` (JMP/CALL:
 * same privilege; RET/IRET: `rpl` ≥ CPL with `outer` allowed). Returns the
 * hidden parts to load (RPL set to the new CPL).
 */
function codeSegment(s: CpuState, sel: number, kind: "jmp" | "ret"): CodeTarget {
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0) throw new CpuFault(GP, 0);
  const err = sel & 0xfffc;
  const d = fetchDescriptor(s, sel, GP);
  const ar = descAr(d);
  const rpl = sel & 3;
  const dpl = (ar >> AR.DPL_SHIFT) & 3;
  // Only code segments: a call gate, task gate or TSS would need what vmxlab does not model.
  if (!(ar & AR.S) || !(ar & 8)) throw new CpuFault(GP, err);
  const conforming = (ar & 4) !== 0;
  let newCpl: number;
  if (kind === "jmp") {
    if (conforming ? dpl > s.cpl : rpl > s.cpl || dpl !== s.cpl) throw new CpuFault(GP, err);
    newCpl = s.cpl;
  } else {
    if (rpl < s.cpl) throw new CpuFault(GP, err);
    if (conforming ? dpl > rpl : dpl !== rpl) throw new CpuFault(GP, err);
    newCpl = rpl;
  }
  // In IA-32e mode a code segment with L = 1 and D = 1 is reserved.
  if (s.longMode && ar & AR.L && ar & AR.DB) throw new CpuFault(GP, err);
  if (!(ar & AR.P)) throw new CpuFault(NP, err);
  return { sel: (sel & 0xfffc) | newCpl, base: descBase(d), limit: descLimit(d), ar: ar | 1 };
}

function is64(s: CpuState, t: CodeTarget): boolean {
  return s.longMode && (t.ar & AR.L) !== 0;
}

/** The target offset must be canonical (64-bit code) or within the CS limit. */
function checkTarget(s: CpuState, t: CodeTarget, off: number): void {
  if (is64(s, t)) {
    if (!canonical(off)) throw new CpuFault(GP, 0);
  } else if (off > t.limit) {
    throw new CpuFault(GP, 0);
  }
}

function loadCs(s: CpuState, t: CodeTarget): void {
  s.segSel[CS] = t.sel;
  s.segBase[CS] = is64(s, t) ? 0 : t.base;
  s.segLimit[CS] = t.limit;
  s.segAr[CS] = t.ar;
  s.updateMode();
}

function realCs(s: CpuState, sel: number): void {
  sel &= 0xffff;
  s.segSel[CS] = sel;
  s.segBase[CS] = sel << 4;
  s.updateMode();
}

function protectedMode(s: CpuState): boolean {
  return (s.cr0 & CR0.PE) !== 0;
}

/** JMP ptr16:16/32 or m16:16/32/64 to a code segment at the same privilege. */
export function farJump(s: CpuState, sel: number, off: number): void {
  if (!protectedMode(s)) {
    if (off > s.segLimit[CS]!) throw new CpuFault(GP, 0);
    realCs(s, sel);
    s.rip = off;
    return;
  }
  const t = codeSegment(s, sel, "jmp");
  checkTarget(s, t, off);
  loadCs(s, t);
  s.rip = off;
}

/** CALL far: pushes CS and the return offset at the operand size, then jumps. */
export function farCall(s: CpuState, sel: number, off: number, size: number, nextRip: number): void {
  const t = protectedMode(s) ? codeSegment(s, sel, "jmp") : undefined;
  if (t) checkTarget(s, t, off);
  else if (off > s.segLimit[CS]!) throw new CpuFault(GP, 0);
  const sp0 = getSp(s);
  try {
    push(s, size, s.segSel[CS]!, 0);
    push(s, size, nextRip % TWO32 | 0, Math.floor(nextRip / TWO32) | 0);
  } catch (e) {
    setSp(s, sp0);
    throw e;
  }
  if (t) loadCs(s, t);
  else realCs(s, sel);
  s.rip = off;
}

/** Reads `size` bytes at stack depth `depth` as a number (64-bit values exact below 2^53, sign kept). */
function stackAt(s: CpuState, size: number, depth: number): number {
  const lo = peek(s, size, depth);
  if (size === 8) return s.t[0]! * TWO32 + (lo >>> 0);
  return size === 4 ? lo >>> 0 : lo & 0xffff;
}

/** SS for a return to an outer privilege level (SDM Vol. 2B RET, IRET "RETURN-TO-OUTER-PRIVILEGE-LEVEL"). */
function outerStack(s: CpuState, ssSel: number, newCpl: number, to64: boolean) {
  ssSel &= 0xffff;
  if ((ssSel & 0xfffc) === 0) {
    // A null SS is allowed returning to 64-bit code at CPL < 3.
    if (to64 && newCpl !== 3) return { sel: ssSel, base: 0, limit: 0, ar: AR.UNUSABLE | (newCpl << AR.DPL_SHIFT) };
    throw new CpuFault(GP, 0);
  }
  const err = ssSel & 0xfffc;
  if ((ssSel & 3) !== newCpl) throw new CpuFault(GP, err);
  const d = fetchDescriptor(s, ssSel, GP);
  const ar = descAr(d);
  if (!(ar & AR.S) || ar & 8 || !(ar & 2) || ((ar >> AR.DPL_SHIFT) & 3) !== newCpl) throw new CpuFault(GP, err);
  if (!(ar & AR.P)) throw new CpuFault(SS_FAULT, err);
  return { sel: ssSel, base: descBase(d), limit: descLimit(d), ar: ar | 1 };
}

/** After a return to an outer level, data segments more privileged than the new CPL become null (SDM Vol. 2B RET). */
function nullInaccessibleSegments(s: CpuState): void {
  for (const seg of [ES, DS, FS, GS]) {
    const ar = s.segAr[seg]!;
    if (ar & AR.UNUSABLE) continue;
    const dpl = (ar >> AR.DPL_SHIFT) & 3;
    const dataOrNonConforming = !(ar & 8) || !(ar & 4);
    if (dataOrNonConforming && dpl < s.cpl) {
      s.segSel[seg] = 0;
      s.segAr[seg] = AR.UNUSABLE;
      if (seg !== FS && seg !== GS) s.segBase[seg] = 0;
    }
  }
}

function setRsp(s: CpuState, v: number, ssBig: boolean, to64: boolean): void {
  if (to64) {
    s.lo[RSP] = v % TWO32 | 0;
    s.hi[RSP] = Math.floor(v / TWO32) | 0;
  } else if (ssBig) {
    s.lo[RSP] = v | 0;
  } else {
    s.lo[RSP] = (s.lo[RSP]! & -65536) | (v & 0xffff);
  }
}

/** RET far [imm16]: pops offset and CS at the operand size; to an outer level also SS:rSP. */
export function retFar(s: CpuState, size: number, imm: number): void {
  const off = stackAt(s, size, 0);
  const sel = stackAt(s, size, size) & 0xffff;
  if (!protectedMode(s)) {
    if (off > s.segLimit[CS]!) throw new CpuFault(GP, 0);
    setSp(s, wrapSp(s, getSp(s) + 2 * size + imm));
    realCs(s, sel);
    s.rip = off;
    return;
  }
  const t = codeSegment(s, sel, "ret");
  const to64 = is64(s, t);
  const target = off;
  checkTarget(s, t, target);
  const newCpl = t.sel & 3;
  if (newCpl === s.cpl) {
    setSp(s, wrapSp(s, getSp(s) + 2 * size + imm));
    loadCs(s, t);
    s.rip = target;
    return;
  }
  const newSp = stackAt(s, size, 2 * size + imm);
  const ssSel = stackAt(s, size, 3 * size + imm);
  const ss = outerStack(s, ssSel, newCpl, to64);
  loadCs(s, t);
  s.segSel[SS] = ss.sel; s.segBase[SS] = ss.base; s.segLimit[SS] = ss.limit; s.segAr[SS] = ss.ar;
  s.updateMode();
  setRsp(s, size === 8 ? newSp + imm : (newSp + imm) % (size === 4 ? TWO32 : 65536), (ss.ar & AR.DB) !== 0, to64 || size === 8);
  nullInaccessibleSegments(s);
  s.rip = target;
}

function wrapSp(s: CpuState, v: number): number {
  if (s.bits === 64) return v;
  return s.segAr[SS]! & AR.DB ? v >>> 0 : v & 0xffff;
}

/**
 * IRET/IRETD/IRETQ. Real mode pops IP, CS, FLAGS. Protected mode pops
 * rIP, CS, rFLAGS and, returning to an outer level, rSP and SS; in 64-bit
 * mode rSP and SS are always popped (SDM Vol. 2A IRET, "IA-32e mode").
 * The flags image is applied with POPF's CPL/IOPL rules (at the old CPL),
 * VM cannot be set. NMI blocking ends (SDM Vol. 3A 6.7.1).
 */
export function iret(s: CpuState, size: number): void {
  const ip = stackAt(s, size, 0);
  const sel = stackAt(s, size, size) & 0xffff;
  const flags = stackAt(s, size, 2 * size);
  if (!protectedMode(s)) {
    if (ip > s.segLimit[CS]!) throw new CpuFault(GP, 0);
    setSp(s, wrapSp(s, getSp(s) + 3 * size));
    realCs(s, sel);
    popf(s, flags, size);
    s.rip = ip;
    s.nmiBlocked = false;
    return;
  }
  if (s.rflagsRest & FLAG.NT && !s.longMode) throw new CpuFault(GP, 0); // task return: not modelled
  const t = codeSegment(s, sel, "ret");
  const to64 = is64(s, t);
  checkTarget(s, t, ip);
  const newCpl = t.sel & 3;
  const popStack = s.bits === 64 || newCpl !== s.cpl;
  let ss: ReturnType<typeof outerStack> | undefined;
  let newSp = 0;
  if (popStack) {
    newSp = stackAt(s, size, 3 * size);
    ss = outerStack(s, stackAt(s, size, 4 * size), newCpl, to64);
  }
  // Flags with the old CPL's rules; VM, VIF, VIP are not loaded (no virtual-8086 mode).
  popf(s, flags & ~(FLAG.VM | 0x180000), size);
  if (size >= 4) s.rflags = (s.rflags & ~FLAG.RF) | (flags & FLAG.RF);
  const oldBits = s.bits;
  const oldCpl = s.cpl;
  loadCs(s, t);
  if (ss) {
    s.segSel[SS] = ss.sel; s.segBase[SS] = ss.base; s.segLimit[SS] = ss.limit; s.segAr[SS] = ss.ar;
    s.updateMode();
    setRsp(s, newSp, (ss.ar & AR.DB) !== 0, to64 || oldBits === 64);
    if (newCpl > oldCpl) nullInaccessibleSegments(s);
  } else {
    // Same privilege outside 64-bit mode: SS:rSP stay, the frame is released.
    s.updateMode();
    setSp(s, wrapSp(s, getSp(s) + 3 * size));
  }
  s.rip = ip;
  s.nmiBlocked = false;
}
