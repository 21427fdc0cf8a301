/**
 * Helpers for system instructions that the compiled code calls: privilege
 * checks, VMX interception points, control-register loads with their mode
 * and TLB effects. Families in insn/ emit calls to these.
 */
import { getCF as cfOf, testCondition, updateArith } from "./flags";
import { CpuFault, DB, GP, UD } from "./exceptions";
import { loadSegment } from "./descriptors";
import type { Insn } from "./insn";
import { CR_MOV_FROM, CR_MOV_TO, OP } from "./intercept";
import { A_W } from "./mmu";
import { CR0, CR4, CS, EFER, RSP } from "./registers";
import { loadPdptes } from "./paging-formats";
import { HLT, type CpuState } from "./state";
import { addSp, peek, pop16, pop32, pop64 } from "./stack";

export function cond(s: CpuState, tttn: number): boolean {
  return testCondition(s.f, tttn);
}

export function getCF(s: CpuState): number {
  return cfOf(s.f);
}

export function updateFlags(s: CpuState, mask: number, bits: number): void {
  updateArith(s.f, mask, bits);
}

export function ud(_s: CpuState): never {
  throw new CpuFault(UD);
}

/** Outside 64-bit mode a branch target beyond the CS limit is #GP(0) (SDM Vol. 2A JMP). */
export function checkCsLimit(s: CpuState, target: number): void {
  if (target > s.segLimit[CS]!) throw new CpuFault(GP, 0);
}

function requireCpl0(s: CpuState): void {
  if (s.cpl !== 0) throw new CpuFault(GP, 0);
}

export function hlt(s: CpuState, insn: Insn): void {
  requireCpl0(s);
  s.icpt?.instruction(s, OP.HLT, insn);
  s.activity = HLT;
}

export function pause(s: CpuState, insn: Insn): void {
  s.icpt?.instruction(s, OP.PAUSE, insn);
}

export function cpuid(s: CpuState, insn: Insn): void {
  s.icpt?.instruction(s, OP.CPUID, insn);
  const [a, b, c, d] = s.cpuidModel.query(s.lo[0]!, s.lo[1]!);
  s.lo[0] = a; s.lo[3] = b; s.lo[1] = c; s.lo[2] = d;
  s.hi[0] = 0; s.hi[3] = 0; s.hi[1] = 0; s.hi[2] = 0;
}

export function loadSeg(s: CpuState, seg: number, sel: number): void {
  loadSegment(s, seg, sel);
}

export function popSeg(s: CpuState, seg: number, size: number): void {
  const sel = peek(s, size) & 0xffff;
  loadSegment(s, seg, sel);
  addSp(s, size);
}

/** Near RET: the return address is checked before RSP moves, so a #GP leaves the stack intact. */
export function retNear(s: CpuState, size: number, imm: number): void {
  let target: number;
  if (size === 8) {
    const lo = peek(s, 8);
    target = s.t[0]! * 4294967296 + (lo >>> 0);
    if (target < -140737488355328 || target >= 140737488355328) throw new CpuFault(GP, 0);
    pop64(s);
  } else {
    target = size === 4 ? peek(s, 4) >>> 0 : peek(s, 2) & 0xffff;
    if (target > s.segLimit[CS]!) throw new CpuFault(GP, 0);
    if (size === 4) pop32(s);
    else pop16(s);
  }
  if (imm) addSp(s, imm);
  s.rip = target;
}

// ---- control registers (SDM Vol. 2B MOV—Move to/from Control Registers; Vol. 3A 2.5)

const CR0_RESERVED_HI = 0xffff_ffff; // bits 63:32 must be zero (writes are 64-bit in 64-bit mode)

function gpr64(s: CpuState, r: number): [number, number] {
  return [s.lo[r]!, s.hi[r]!];
}

export function movFromCr(s: CpuState, insn: Insn, cr: number, gpr: number): void {
  requireCpl0(s);
  let v: number;
  switch (cr) {
    // CR0/CR4 may be held as signed int32 (CR0.PG is bit 31): read them zero-extended.
    case 0: v = s.cr0 >>> 0; break;
    case 2: v = s.cr2; break;
    case 3: v = s.cr3; break;
    case 4: v = s.cr4 >>> 0; break;
    case 8: v = s.cr8; break;
    default: throw new CpuFault(UD);
  }
  if (s.icpt) v = s.icpt.readCr(s, insn, cr, gpr, v);
  if (v < 0) v = v >>> 0;
  if (s.bits === 64) {
    s.lo[gpr] = v % 4294967296 | 0;
    s.hi[gpr] = Math.floor(v / 4294967296) | 0;
  } else {
    s.lo[gpr] = v | 0;
    s.hi[gpr] = 0;
  }
  void CR_MOV_FROM;
}

export function movToCr(s: CpuState, insn: Insn, cr: number, gpr: number): void {
  requireCpl0(s);
  const [lo, hi] = gpr64(s, gpr);
  let v = s.bits === 64 ? hi * 4294967296 + (lo >>> 0) : lo >>> 0;
  if (cr !== 0 && cr !== 2 && cr !== 3 && cr !== 4 && cr !== 8) throw new CpuFault(UD);
  if (s.icpt) v = s.icpt.writeCr(s, insn, cr, CR_MOV_TO, gpr, v);
  else if ((cr === 0 || cr === 4) && s.vmx?.crAllowed && !s.vmx.crAllowed(cr, v)) throw new CpuFault(GP, 0);
  // CR3: bit 63 (PCID no-flush) is taken from the register itself, since a double cannot hold it next to low bits.
  if (cr === 3 && s.bits === 64) writeCr3(s, (hi & 0x7fff_ffff) * 4294967296 + (lo >>> 0), hi < 0);
  else writeCr(s, cr, v);
}

/** Loads a control register with the checks and side effects of MOV to CR. */
export function writeCr(s: CpuState, cr: number, v: number): void {
  switch (cr) {
    case 0: return writeCr0(s, v);
    case 2: s.cr2 = v; return;
    case 3: return writeCr3(s, v);
    case 4: return writeCr4(s, v);
    case 8:
      if (v > 15 || v < 0) throw new CpuFault(GP, 0);
      s.cr8 = v;
      return;
  }
}

/** PAE paging is (or would be) active: CR0.PG, CR4.PAE, EFER.LME = 0 (SDM Vol. 3A 4.1.1). */
function paePaging(cr0: number, cr4: number, efer: number): boolean {
  return (cr0 & CR0.PG) !== 0 && (cr4 & CR4.PAE) !== 0 && !(efer & EFER.LME);
}

/**
 * Loads the PDPTE registers for a control-register write that enters PAE paging
 * or changes CR3 under it (SDM Vol. 3A 4.4.1); #GP(0) before anything changes
 * when a PDPTE has reserved bits set.
 */
function reloadPdptes(s: CpuState, cr0: number, cr3: number, cr4: number): void {
  if (!paePaging(cr0, cr4, s.efer)) return;
  const old = s.cr3;
  s.cr3 = cr3;
  try {
    loadPdptes(s);
  } finally {
    s.cr3 = old;
  }
}

function writeCr0(s: CpuState, v: number): void {
  if (v < 0 || v > 0xffff_ffff) throw new CpuFault(GP, 0);
  void CR0_RESERVED_HI;
  const n = v | 0;
  if (n & CR0.PG && !(n & CR0.PE)) throw new CpuFault(GP, 0);
  if (n & CR0.NW && !(n & CR0.CD)) throw new CpuFault(GP, 0);
  const old = s.cr0;
  if (n & CR0.PG && !(old & CR0.PG) && s.efer & EFER.LME) {
    // Activating IA-32e mode needs CR4.PAE (SDM Vol. 3A 10.8.5).
    if (!(s.cr4 & CR4.PAE)) throw new CpuFault(GP, 0);
  }
  if (!(n & CR0.PG) && old & CR0.PG && s.bits === 64) throw new CpuFault(GP, 0);
  if ((n ^ old) & (CR0.PG | CR0.CD | CR0.NW)) reloadPdptes(s, n, s.cr3, s.cr4);
  s.cr0 = (n | CR0.ET) & ~(0x1ffaffc0 & ~0); // bits 28:19, 17, 15:6 are reserved (read as 0)
  if ((n & CR0.PG) !== 0 && s.efer & EFER.LME) s.efer |= EFER.LMA;
  else if (!(n & CR0.PG)) s.efer &= ~EFER.LMA;
  if ((old ^ s.cr0) & (CR0.PG | CR0.WP | CR0.PE)) s.mmu.flushCurrentVpid();
  s.updateMode();
}

/**
 * MOV to CR3: with CR4.PCIDE, bit 63 of the source means "keep this PCID's
 * translations" and is not stored; in IA-32e mode bits 62:MAXPHYADDR are
 * reserved (#GP(0)). The TLB switches to the new PCID's context and drops its
 * non-global entries (SDM Vol. 3A 4.10.4.1).
 */
/** MAXPHYADDR as CPUID leaf 0x80000008 reports it. */
function maxPhysAddr(s: CpuState): number {
  return (s.cpuidModel.query(0x8000_0008, 0)[0] & 0xff) || 36;
}

function writeCr3(s: CpuState, v: number, bit63 = v < 0): void {
  let noFlush = false;
  if (bit63) {
    if (!(s.cr4 & CR4.PCIDE)) throw new CpuFault(GP, 0);
    noFlush = true;
    if (v < 0) v += 2 ** 63;
  }
  if (s.efer & EFER.LMA && v >= 2 ** maxPhysAddr(s)) throw new CpuFault(GP, 0);
  reloadPdptes(s, s.cr0, v, s.cr4);
  s.cr3 = v;
  s.mmu.movCr3(noFlush);
}

const CR4_KNOWN = 0x7f7fff;

function writeCr4(s: CpuState, v: number): void {
  if (v < 0 || v > 0xffff_ffff || (v & ~CR4_KNOWN) !== 0) throw new CpuFault(GP, 0);
  if (s.efer & EFER.LMA && !(v & CR4.PAE)) throw new CpuFault(GP, 0);
  const old = s.cr4;
  // PCIDE can be set only in IA-32e mode with CR3[11:0] = 0; LA57 cannot change in IA-32e mode (SDM Vol. 2B MOV CR).
  if (v & CR4.PCIDE && !(old & CR4.PCIDE) && (!(s.efer & EFER.LMA) || s.cr3 % 4096 !== 0)) throw new CpuFault(GP, 0);
  if ((old ^ v) & CR4.LA57 && s.efer & EFER.LMA) throw new CpuFault(GP, 0);
  if ((old ^ v) & (CR4.PAE | CR4.PGE | CR4.PSE | CR4.SMEP | CR4.SMAP)) reloadPdptes(s, s.cr0, s.cr3, v);
  s.cr4 = v;
  if ((old ^ v) & (CR4.PGE | CR4.PAE | CR4.PSE | CR4.PCIDE | CR4.SMEP | CR4.SMAP | CR4.LA57)) s.mmu.flushCurrentVpid();
}

/**
 * Debug-register number after the CR4.DE rule: DR4/DR5 are #UD with DE = 1,
 * aliases of DR6/DR7 otherwise (SDM Vol. 3B 18.2.2). With DR7.GD any MOV DR is
 * a #DB fault with DR6.BD set and GD cleared (18.2.4). Both come before a VM exit.
 */
function drIndex(s: CpuState, dr: number): number {
  requireCpl0(s);
  if (dr > 7) throw new CpuFault(UD);
  if (dr === 4 || dr === 5) {
    if (s.cr4 & CR4.DE) throw new CpuFault(UD);
    dr += 2;
  }
  if (s.dr[7]! & DR7_GD) {
    s.dr[6] = (s.dr[6]! | DR6_BD) >>> 0;
    s.dr[7] = s.dr[7]! - DR7_GD;
    throw new CpuFault(DB);
  }
  return dr;
}

const DR7_GD = 1 << 13, DR6_BD = 1 << 13;

export function movToDr(s: CpuState, insn: Insn, dr: number, gpr: number): void {
  const n = drIndex(s, dr);
  s.icpt?.movDr(s, insn, dr, gpr, true);
  const [lo, hi] = gpr64(s, gpr);
  if (n >= 6) {
    // DR6/DR7 bits 63:32 are reserved: #GP(0) (64-bit mode); fixed bits read back as the SDM gives them.
    if (s.bits === 64 && hi !== 0) throw new CpuFault(GP, 0);
    s.dr[n] = n === 6 ? ((lo & 0x0000_e00f) | 0xffff_0ff0) >>> 0 : ((lo & ~0xd800) | 0x400) >>> 0;
    return;
  }
  s.dr[n] = s.bits === 64 ? hi * 4294967296 + (lo >>> 0) : lo >>> 0;
}

export function movFromDr(s: CpuState, insn: Insn, dr: number, gpr: number): void {
  const n = drIndex(s, dr);
  s.icpt?.movDr(s, insn, dr, gpr, false);
  const v = s.dr[n]!;
  s.lo[gpr] = v % 4294967296 | 0;
  s.hi[gpr] = s.bits === 64 ? Math.floor(v / 4294967296) | 0 : 0;
}

export { A_W, RSP };
