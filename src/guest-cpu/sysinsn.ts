/**
 * System instructions called from compiled code (SDM Vol. 2 instruction
 * pages; privilege rules of Vol. 3A 2.8 and 5.9). Each helper performs its
 * checks in the SDM's priority order: invalid-opcode and privilege faults
 * first, then the VMX intercept (SDM Vol. 3C 26.1.1: those faults have
 * priority over VM exits), then operand checks, then the effect.
 */
import { Code } from "iced-x86";
import { getArith, setArith } from "./flags";
import { BR, CpuFault, GP, NM, NP, UD } from "./exceptions";
import { descAr, descBase, descLimit, fetchDescriptor } from "./descriptors";
import type { Insn } from "./insn";
import { CR_CLTS, CR_LMSW, OP } from "./intercept";
import { deliverEvent, EV_SW_INT } from "./interrupts";
import { A_IMPLICIT } from "./mmu";
import { MSR, readMsr, tscValue, writeMsr } from "./msrs";
import { AR, CR0, CR4, CS, EFER, FLAG, GS, LDTR, RAX, RCX, RDX, SS, TR } from "./registers";
import { writeCr } from "./system";
import type { CpuState } from "./state";

const TWO32 = 4294967296;

function cpl0(s: CpuState): void {
  if (s.cpl !== 0) throw new CpuFault(GP, 0);
}

/** Instructions that exist only in protected mode (#UD in real mode, SDM "Real-Address Mode Exceptions"). */
function protectedOnly(s: CpuState): void {
  if (!(s.cr0 & CR0.PE)) throw new CpuFault(UD);
}

/** CR4.UMIP: SGDT, SIDT, SLDT, SMSW, STR at CPL > 0 are #GP(0) (SDM Vol. 3A 2.5). */
function umip(s: CpuState): void {
  if (s.cr4 & CR4.UMIP && s.cpl > 0) throw new CpuFault(GP, 0);
}

function setEdxEax(s: CpuState, v: number): void {
  s.lo[RAX] = v % TWO32 | 0; s.hi[RAX] = 0;
  s.lo[RDX] = Math.floor(v / TWO32) | 0; s.hi[RDX] = 0;
}

const canonical = (v: number) => v >= -140737488355328 && v < 140737488355328;

// ---- control registers: CLTS, LMSW, SMSW (MOV CR/DR live in system.ts)

export function clts(s: CpuState, insn: Insn): void {
  cpl0(s);
  let v = s.cr0 & ~CR0.TS;
  if (s.icpt) v = s.icpt.writeCr(s, insn, 0, CR_CLTS, -1, v >>> 0);
  s.cr0 = (s.cr0 & ~CR0.TS) | (v & CR0.TS);
}

/** LMSW loads CR0 bits 3:0 (PE, MP, EM, TS) but cannot clear PE (SDM Vol. 2A LMSW). */
export function lmsw(s: CpuState, insn: Insn, src: number): void {
  cpl0(s);
  let v = (s.cr0 & ~0xe) | (src & 0xf) | (s.cr0 & CR0.PE);
  // The intercept gets the 16-bit source operand: the CR-access qualification reports all of it (Table 28-3).
  if (s.icpt) v = s.icpt.writeCr(s, insn, 0, CR_LMSW, -1, src & 0xffff);
  writeCr(s, 0, v >>> 0);
}

/** SMSW: CR0 (a register destination gets all of it, a memory one the low 16 bits); guest reads see the CR0 read shadow. */
export function smsw(s: CpuState, insn: Insn): number {
  umip(s);
  const v = s.icpt ? s.icpt.readCr(s, insn, 0, -1, s.cr0 >>> 0) : s.cr0;
  return v | 0;
}

// ---- descriptor tables (SDM Vol. 2A LGDT/LIDT, SGDT, SIDT, LLDT, LTR, SLDT, STR)

/** SGDT (which 0) / SIDT (1): limit then base (8 bytes of base in 64-bit mode, else 4). */
export function storeDt(s: CpuState, insn: Insn, which: number, lin: number): void {
  umip(s);
  s.icpt?.instruction(s, which ? OP.SIDT : OP.SGDT, insn);
  const base = which ? s.idtrBase : s.gdtrBase;
  const limit = which ? s.idtrLimit : s.gdtrLimit;
  s.mmu.write(lin, 2, limit, 0);
  if (s.bits === 64) s.mmu.write(lin + 2, 8, base % TWO32 | 0, Math.floor(base / TWO32) | 0);
  else s.mmu.write(lin + 2, 4, base | 0, 0);
}

/** LGDT (0) / LIDT (1). With a 16-bit operand size only 24 bits of base are loaded; in 64-bit mode the base must be canonical. */
export function loadDt(s: CpuState, insn: Insn, which: number, lin: number): void {
  cpl0(s);
  s.icpt?.instruction(s, which ? OP.LIDT : OP.LGDT, insn);
  const limit = s.mmu.read(lin, 2) & 0xffff;
  let base: number;
  if (s.bits === 64) {
    const lo = s.mmu.read(lin + 2, 8);
    base = s.t[0]! * TWO32 + (lo >>> 0);
    if (!canonical(base)) throw new CpuFault(GP, 0);
  } else {
    base = s.mmu.read(lin + 2, 4) >>> 0;
    if (insn.code === Code.Lgdt_m1632_16 || insn.code === Code.Lidt_m1632_16) base &= 0xffffff;
  }
  if (which) { s.idtrBase = base; s.idtrLimit = limit; } else { s.gdtrBase = base; s.gdtrLimit = limit; }
}

/** SLDT (which 0) / STR (1): the selector. */
export function storeSel(s: CpuState, insn: Insn, which: number): number {
  protectedOnly(s);
  umip(s);
  s.icpt?.instruction(s, which ? OP.STR : OP.SLDT, insn);
  return s.segSel[which ? TR : LDTR]!;
}

/** Reads a system-segment descriptor from the GDT: 16 bytes in IA-32e mode (SDM Vol. 3A 7.2.3). */
function systemDescriptor(s: CpuState, sel: number) {
  if (sel & 4) throw new CpuFault(GP, sel & 0xfffc);
  const long = s.longMode;
  const d = fetchDescriptor(s, sel, GP, long);
  let base = descBase(d);
  if (long) {
    base += (d.base63 | 0) * TWO32;
    if (!canonical(base)) throw new CpuFault(GP, sel & 0xfffc);
  }
  return { d, base, ar: descAr(d), limit: descLimit(d) };
}

export function lldt(s: CpuState, insn: Insn, sel: number): void {
  protectedOnly(s);
  cpl0(s);
  s.icpt?.instruction(s, OP.LLDT, insn);
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0) {
    // A null selector makes LDTR unusable; later LDT references are #GP.
    s.segSel[LDTR] = sel; s.segBase[LDTR] = 0; s.segLimit[LDTR] = 0; s.segAr[LDTR] = AR.UNUSABLE;
    return;
  }
  const { base, ar, limit } = systemDescriptor(s, sel);
  if (ar & AR.S || (ar & 0xf) !== 2) throw new CpuFault(GP, sel & 0xfffc);
  if (!(ar & AR.P)) throw new CpuFault(NP, sel & 0xfffc);
  s.segSel[LDTR] = sel; s.segBase[LDTR] = base; s.segLimit[LDTR] = limit; s.segAr[LDTR] = ar;
}

/** LTR: an available TSS (type 9, or 1 outside IA-32e mode); the descriptor is marked busy in memory. */
export function ltr(s: CpuState, insn: Insn, sel: number): void {
  protectedOnly(s);
  cpl0(s);
  s.icpt?.instruction(s, OP.LTR, insn);
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0) throw new CpuFault(GP, 0);
  const { d, base, ar, limit } = systemDescriptor(s, sel);
  const type = ar & 0xf;
  if (ar & AR.S || !(type === 9 || (type === 1 && !s.longMode))) throw new CpuFault(GP, sel & 0xfffc);
  if (!(ar & AR.P)) throw new CpuFault(NP, sel & 0xfffc);
  s.mmu.write(s.gdtrBase + (sel & ~7) + 4, 4, d.hi | 0x200, 0, A_IMPLICIT);
  s.segSel[TR] = sel; s.segBase[TR] = base; s.segLimit[TR] = limit; s.segAr[TR] = ar | 2;
}

// ---- TLB control

export function invlpg(s: CpuState, insn: Insn, lin: number): void {
  cpl0(s);
  s.icpt?.instruction(s, OP.INVLPG, insn, lin);
  s.mmu.invlpg(lin);
}

/** INVPCID (SDM Vol. 2A): type in a register, a 16-byte descriptor {PCID, linear address} in memory. */
export function invpcid(s: CpuState, insn: Insn, typeLo: number, typeHi: number, lin: number): void {
  cpl0(s);
  s.icpt?.instruction(s, OP.INVPCID, insn);
  const d0 = s.mmu.read(lin, 8);
  const d0h = s.t[0]!;
  const aLo = s.mmu.read(lin + 8, 8);
  const addr = s.t[0]! * TWO32 + (aLo >>> 0);
  const type = typeHi !== 0 ? 4 : typeLo >>> 0;
  if (type > 3) throw new CpuFault(GP, 0);
  // Descriptor bits 63:12 are reserved.
  if (d0h !== 0 || d0 & ~0xfff) throw new CpuFault(GP, 0);
  const pcid = d0 & 0xfff;
  if (type === 0 && !canonical(addr)) throw new CpuFault(GP, 0);
  if (type <= 1 && pcid !== 0 && !(s.cr4 & CR4.PCIDE)) throw new CpuFault(GP, 0);
  s.mmu.invpcid(type, pcid, addr);
}

// ---- MSRs, time stamp counter, performance counters

export function rdmsr(s: CpuState, insn: Insn): void {
  cpl0(s);
  const index = s.lo[RCX]! >>> 0;
  s.icpt?.msr(s, insn, index, false);
  const v = readMsr(s, index);
  s.lo[RAX] = Number(v & 0xffff_ffffn) | 0; s.hi[RAX] = 0;
  s.lo[RDX] = Number(v >> 32n) | 0; s.hi[RDX] = 0;
}

export function wrmsr(s: CpuState, insn: Insn): void {
  cpl0(s);
  const index = s.lo[RCX]! >>> 0;
  s.icpt?.msr(s, insn, index, true);
  writeMsr(s, index, (BigInt(s.lo[RDX]! >>> 0) << 32n) | BigInt(s.lo[RAX]! >>> 0));
}

/** CR4.TSD restricts RDTSC/RDTSCP to CPL 0 (SDM Vol. 2B RDTSC). */
function tscAllowed(s: CpuState): void {
  if (s.cr4 & CR4.TSD && s.cpl > 0 && s.cr0 & CR0.PE) throw new CpuFault(GP, 0);
}

export function rdtsc(s: CpuState, insn: Insn): void {
  tscAllowed(s);
  s.icpt?.instruction(s, OP.RDTSC, insn);
  const v = tscValue(s);
  setEdxEax(s, s.icpt ? s.icpt.tsc(s, v) : v);
}

/** RDTSCP also loads ECX with IA32_TSC_AUX. */
export function rdtscp(s: CpuState, insn: Insn): void {
  tscAllowed(s);
  s.icpt?.instruction(s, OP.RDTSCP, insn);
  const v = tscValue(s);
  setEdxEax(s, s.icpt ? s.icpt.tsc(s, v) : v);
  s.lo[RCX] = Number(readMsr(s, MSR.IA32_TSC_AUX) & 0xffff_ffffn) | 0;
  s.hi[RCX] = 0;
}

/**
 * RDPMC: CPL 0 unless CR4.PCE; ECX selects a general counter (0–3) or, with
 * bit 30, a fixed one (0–2); others are #GP(0). vmxlab models no events: every
 * counter reads 0 (documented).
 */
export function rdpmc(s: CpuState, insn: Insn): void {
  if (!(s.cr4 & CR4.PCE) && s.cpl > 0 && s.cr0 & CR0.PE) throw new CpuFault(GP, 0);
  const ecx = s.lo[RCX]! >>> 0;
  const n = ecx & 0x3fff_ffff;
  const ok = ecx & 0x4000_0000 ? (ecx & ~0x4000_0000) >>> 0 <= 2 : ecx <= 3;
  void n;
  s.icpt?.instruction(s, OP.RDPMC, insn);
  if (!ok) throw new CpuFault(GP, 0);
  setEdxEax(s, 0);
}

// ---- port I/O (SDM Vol. 1 19.5: IOPL and the TSS I/O permission bitmap)

function iopl(s: CpuState): number {
  return (s.rflagsRest >> 12) & 3;
}

/** Protected mode with CPL > IOPL: every bit of the port range in the TSS I/O bitmap must be 0. */
export function ioPermission(s: CpuState, port: number, size: number): void {
  if (!(s.cr0 & CR0.PE) || s.cpl <= iopl(s)) return;
  const type = s.segAr[TR]! & 0xf;
  const limit = s.segLimit[TR]!;
  if ((type !== 9 && type !== 11) || limit < 0x67) throw new CpuFault(GP, 0);
  const tss = s.segBase[TR]!;
  const base = s.mmu.read(tss + 0x66, 2, A_IMPLICIT) & 0xffff;
  for (let p = port; p < port + size; p++) {
    const off = base + (p >> 3);
    if (off > limit) throw new CpuFault(GP, 0);
    if (s.mmu.read(tss + off, 1, A_IMPLICIT) & (1 << (p & 7))) throw new CpuFault(GP, 0);
  }
}

export function portIn(s: CpuState, insn: Insn, port: number, size: number): void {
  port &= 0xffff;
  ioPermission(s, port, size);
  s.icpt?.io(s, insn, port, size, true, false, false);
  const v = s.io.read(port, size as 1 | 2 | 4);
  if (size === 1) s.lo[RAX] = (s.lo[RAX]! & -256) | (v & 0xff);
  else if (size === 2) s.lo[RAX] = (s.lo[RAX]! & -65536) | (v & 0xffff);
  else { s.lo[RAX] = v | 0; s.hi[RAX] = 0; }
}

export function portOut(s: CpuState, insn: Insn, port: number, size: number): void {
  port &= 0xffff;
  ioPermission(s, port, size);
  s.icpt?.io(s, insn, port, size, false, false, false);
  const a = s.lo[RAX]!;
  s.io.write(port, size as 1 | 2 | 4, size === 1 ? a & 0xff : size === 2 ? a & 0xffff : a >>> 0);
}

// ---- interrupt flag (SDM Vol. 2A CLI, Vol. 2B STI; VME/PVI virtual-interrupt forms are not modelled)

function ifAllowed(s: CpuState): void {
  if (s.cr0 & CR0.PE && iopl(s) < s.cpl) throw new CpuFault(GP, 0);
}

export function cli(s: CpuState): void {
  ifAllowed(s);
  s.rflagsRest &= ~FLAG.IF;
}

/** STI: when IF was 0, interrupts stay blocked until after the next instruction (SDM Vol. 3A 6.8.3). */
export function sti(s: CpuState): void {
  ifAllowed(s);
  if (!(s.rflagsRest & FLAG.IF)) s.inhibit = 1;
  s.rflagsRest |= FLAG.IF;
}

// ---- software interrupts

/** INT n: a software interrupt; the gate DPL must be ≥ CPL. A fault while delivering is a fault of INT n itself. */
export function softInt(s: CpuState, vector: number, nextRip: number): void {
  deliverEvent(s, { vector, type: EV_SW_INT, errorCode: -1, returnRip: nextRip });
}

// ---- SYSCALL / SYSRET / SWAPGS (SDM Vol. 2B; IA32_STAR layout Vol. 3A 5.8.8)

const CODE64_AR = AR.P | AR.S | 0xb | AR.L | AR.G;
const DATA_AR = AR.P | AR.S | 0x3 | AR.DB | AR.G;
const CODE32_AR = AR.P | AR.S | 0xb | AR.DB | AR.G;

export function syscall(s: CpuState, nextRip: number): void {
  if (!s.longMode || !(s.efer & EFER.SCE) || s.bits !== 64) throw new CpuFault(UD);
  const star = readMsr(s, MSR.IA32_STAR);
  const lstar = Number(BigInt.asIntN(64, readMsr(s, MSR.IA32_LSTAR)));
  const fmask = Number(readMsr(s, MSR.IA32_FMASK) & 0xffff_ffffn);
  const sel = Number((star >> 32n) & 0xfffcn);
  s.lo[RCX] = nextRip % TWO32 | 0; s.hi[RCX] = Math.floor(nextRip / TWO32) | 0;
  const fl = s.rflags & ~FLAG.RF;
  s.lo[11] = fl; s.hi[11] = 0;
  const nf = fl & ~fmask & ~FLAG.RF;
  s.rflags = nf;
  s.segSel[CS] = sel; s.segBase[CS] = 0; s.segLimit[CS] = 0xffff_ffff; s.segAr[CS] = CODE64_AR;
  s.segSel[SS] = sel + 8; s.segBase[SS] = 0; s.segLimit[SS] = 0xffff_ffff; s.segAr[SS] = DATA_AR;
  s.updateMode();
  s.rip = lstar;
}

/** SYSRET: to 64-bit code with REX.W (CS = STAR[63:48] + 16), else to compatibility mode (CS = STAR[63:48]). */
export function sysret(s: CpuState, to64: number): void {
  if (!s.longMode || !(s.efer & EFER.SCE) || s.bits !== 64) throw new CpuFault(UD);
  cpl0(s);
  const rcx = s.hi[RCX]! * TWO32 + (s.lo[RCX]! >>> 0);
  if (to64 && !canonical(rcx)) throw new CpuFault(GP, 0);
  const star = readMsr(s, MSR.IA32_STAR);
  const base = Number((star >> 48n) & 0xffffn);
  s.rflags = (s.lo[11]! & 0x3c7fd7) | 2;
  const cs = ((to64 ? base + 16 : base) & 0xfffc) | 3;
  s.segSel[CS] = cs; s.segBase[CS] = 0; s.segLimit[CS] = 0xffff_ffff;
  s.segAr[CS] = (to64 ? CODE64_AR : CODE32_AR) | (3 << AR.DPL_SHIFT);
  s.segSel[SS] = ((base + 8) & 0xfffc) | 3;
  s.segAr[SS] = DATA_AR | (3 << AR.DPL_SHIFT);
  s.segBase[SS] = 0; s.segLimit[SS] = 0xffff_ffff;
  s.updateMode();
  s.rip = to64 ? rcx : s.lo[RCX]! >>> 0;
}

export function swapgs(s: CpuState): void {
  if (s.bits !== 64) throw new CpuFault(UD);
  cpl0(s);
  const k = Number(BigInt.asIntN(64, readMsr(s, MSR.IA32_KERNEL_GS_BASE)));
  s.msrs.set(MSR.IA32_KERNEL_GS_BASE, BigInt.asUintN(64, BigInt(s.segBase[GS]!)));
  s.segBase[GS] = k;
}

// ---- caches, XSETBV, MONITOR/MWAIT, random numbers

export function wbinvd(s: CpuState, insn: Insn, invd: number): void {
  cpl0(s);
  s.icpt?.instruction(s, invd ? OP.INVD : OP.WBINVD, insn);
}

/** XCR0 bits this CPU supports: x87 (bit 0, must be 1) and SSE (bit 1); CPUID reports no AVX. */
export const XCR0_SUPPORTED = 0x3;

export function xsetbv(s: CpuState, insn: Insn): void {
  if (!(s.cr4 & CR4.OSXSAVE)) throw new CpuFault(UD);
  cpl0(s);
  s.icpt?.instruction(s, OP.XSETBV, insn);
  const ecx = s.lo[RCX]! >>> 0;
  const lo = s.lo[RAX]! >>> 0;
  const hi = s.lo[RDX]! >>> 0;
  if (ecx !== 0 || hi !== 0 || lo & ~XCR0_SUPPORTED || !(lo & 1)) throw new CpuFault(GP, 0);
  s.xcr0 = lo;
}

export function xgetbv(s: CpuState): void {
  if (!(s.cr4 & CR4.OSXSAVE)) throw new CpuFault(UD);
  if ((s.lo[RCX]! >>> 0) !== 0) throw new CpuFault(GP, 0);
  setEdxEax(s, s.xcr0);
}

/** MONITOR/MWAIT at CPL > 0 are #UD (SDM Vol. 2B MONITOR). The monitored range is remembered; MWAIT then waits for nothing (no other agents write memory) and continues. */
export function monitor(s: CpuState, insn: Insn): void {
  if (s.cpl > 0) throw new CpuFault(UD);
  s.icpt?.instruction(s, OP.MONITOR, insn);
}

export function mwait(s: CpuState, insn: Insn): void {
  if (s.cpl > 0) throw new CpuFault(UD);
  s.icpt?.instruction(s, OP.MWAIT, insn);
  if ((s.lo[RCX]! >>> 0) > 1) throw new CpuFault(GP, 0); // only the "interrupt as break event" extension exists
}

/**
 * RDRAND/RDSEED: CF=1 with a value (OF SF ZF AF PF cleared). Values come from
 * a deterministic generator seeded at reset, so runs are reproducible.
 */
export function rdrand(s: CpuState, insn: Insn, seed: number): number {
  s.icpt?.instruction(s, seed ? OP.RDSEED : OP.RDRAND, insn);
  let x = s.rng | 0 || 0x2545f491;
  x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
  s.rng = x;
  let y = x ^ 0x5851f42d;
  y ^= y << 13; y ^= y >>> 17; y ^= y << 5;
  s.t[0] = y;
  setArith(s.f, FLAG.CF);
  return x;
}

// ---- RFLAGS: PUSHF/POPF, LAHF/SAHF

/** PUSHF image: VM and RF read as 0 (SDM Vol. 2B PUSHF). */
export function pushfValue(s: CpuState): number {
  return s.rflags & ~(FLAG.VM | FLAG.RF);
}

/**
 * POPF: which bits may change depends on CPL and IOPL (SDM Vol. 2B POPF):
 * CPL 0 all but VM/VIP/VIF/RF; CPL ≤ IOPL not IOPL; CPL > IOPL neither IOPL nor IF.
 * A 16-bit POPF changes only the low 16 bits.
 */
export function popf(s: CpuState, v: number, size: number): void {
  let mask = FLAG.CF | FLAG.PF | FLAG.AF | FLAG.ZF | FLAG.SF | FLAG.TF | FLAG.DF | FLAG.OF | FLAG.NT | FLAG.AC | FLAG.ID | FLAG.IF | FLAG.IOPL;
  if (s.cr0 & CR0.PE) {
    if (s.cpl > 0) mask &= ~FLAG.IOPL;
    if (s.cpl > iopl(s)) mask &= ~FLAG.IF;
  }
  if (size === 2) mask &= 0xffff;
  s.rflags = (s.rflags & ~mask) | (v & mask);
}

export function sahf(s: CpuState): void {
  const ah = (s.lo[RAX]! >> 8) & 0xff;
  const m = FLAG.CF | FLAG.PF | FLAG.AF | FLAG.ZF | FLAG.SF;
  setArith(s.f, (getArith(s.f) & ~m) | (ah & m));
}

export function lahf(s: CpuState): void {
  const f = (getArith(s.f) & 0xd5) | 2;
  s.lo[RAX] = (s.lo[RAX]! & -65281) | (f << 8);
}

// ---- CLAC/STAC, traps, VMX instructions

/** CLAC (0) / STAC (1): CPL 0 only (#UD otherwise, SDM Vol. 2A CLAC). */
export function setAc(s: CpuState, on: number): void {
  if (s.cpl > 0) throw new CpuFault(UD);
  if (on) s.rflagsRest |= FLAG.AC;
  else s.rflagsRest &= ~FLAG.AC;
}

/** INT3, INT1, INTO: trap-like exceptions, delivered with RIP after the instruction. */
export function trap(_s: CpuState, vector: number): never {
  throw new CpuFault(vector, -1, 0, true);
}

/**
 * VMX instructions (and GETSEC): in VMX non-root operation they exit (the
 * intercept decides); otherwise the VMX unit executes them, or #UD on a CPU
 * without one. RIP is already the next instruction's.
 */
export function vmxInsn(s: CpuState, insn: Insn, op: number): void {
  if (s.icpt) s.icpt.instruction(s, op as never, insn);
  if (!s.vmx) throw new CpuFault(UD);
  s.vmx.execute(s, insn, op);
}

// ---- SYSENTER / SYSEXIT (SDM Vol. 2B; IA32_SYSENTER_CS/ESP/EIP)

export function sysenter(s: CpuState): void {
  const cs = Number(readMsr(s, MSR.IA32_SYSENTER_CS) & 0xfffcn);
  if (!(s.cr0 & CR0.PE) || cs === 0) throw new CpuFault(GP, 0);
  const esp = Number(BigInt.asIntN(64, readMsr(s, MSR.IA32_SYSENTER_ESP)));
  const eip = Number(BigInt.asIntN(64, readMsr(s, MSR.IA32_SYSENTER_EIP)));
  s.rflagsRest &= ~(FLAG.VM | FLAG.IF | FLAG.RF);
  const long = s.longMode;
  s.segSel[CS] = cs; s.segBase[CS] = 0; s.segLimit[CS] = 0xffff_ffff; s.segAr[CS] = long ? CODE64_AR : CODE32_AR;
  s.segSel[SS] = cs + 8; s.segBase[SS] = 0; s.segLimit[SS] = 0xffff_ffff; s.segAr[SS] = DATA_AR;
  s.updateMode();
  if (long) {
    s.lo[4] = esp % TWO32 | 0; s.hi[4] = Math.floor(esp / TWO32) | 0;
    s.rip = eip;
  } else {
    s.lo[4] = esp | 0;
    s.rip = eip >>> 0;
  }
}

/** SYSEXIT: to 64-bit code with REX.W (CS = SYSENTER_CS + 32), else 32-bit (CS + 16); RIP ← rDX, RSP ← rCX. */
export function sysexit(s: CpuState, to64: number): void {
  const base = Number(readMsr(s, MSR.IA32_SYSENTER_CS) & 0xfffcn);
  if (!(s.cr0 & CR0.PE) || base === 0) throw new CpuFault(GP, 0);
  cpl0(s);
  const rdx = s.hi[RDX]! * TWO32 + (s.lo[RDX]! >>> 0);
  const rcx = s.hi[RCX]! * TWO32 + (s.lo[RCX]! >>> 0);
  if (to64 && (!canonical(rdx) || !canonical(rcx))) throw new CpuFault(GP, 0);
  const dpl3 = 3 << AR.DPL_SHIFT;
  s.segSel[CS] = (base + (to64 ? 32 : 16)) | 3; s.segBase[CS] = 0; s.segLimit[CS] = 0xffff_ffff;
  s.segAr[CS] = (to64 ? CODE64_AR : CODE32_AR) | dpl3;
  s.segSel[SS] = (base + (to64 ? 40 : 24)) | 3; s.segBase[SS] = 0; s.segLimit[SS] = 0xffff_ffff; s.segAr[SS] = DATA_AR | dpl3;
  s.updateMode();
  if (to64) {
    s.lo[4] = s.lo[RCX]!; s.hi[4] = s.hi[RCX]!;
    s.rip = rdx;
  } else {
    s.lo[4] = s.lo[RCX]!; s.hi[4] = 0;
    s.rip = s.lo[RDX]! >>> 0;
  }
}

// ---- LAR, LSL, VERR, VERW, ARPL, BOUND (SDM Vol. 2A/2B)

/**
 * The descriptor a selector names if LAR/LSL/VERR/VERW may look at it: inside
 * its table, and (unless conforming code) DPL ≥ CPL and DPL ≥ RPL; otherwise
 * undefined (ZF = 0). These instructions never fault on a bad selector.
 */
function inspect(s: CpuState, sel: number): { hi: number; lo: number; ar: number; limit: number } | undefined {
  protectedOnly(s);
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0) return undefined;
  const ti = (sel & 4) !== 0;
  const limit = ti ? s.segLimit[LDTR]! : s.gdtrLimit;
  if (ti && s.segAr[LDTR]! & AR.UNUSABLE) return undefined;
  if ((sel | 7) > limit) return undefined;
  const d = fetchDescriptor(s, sel, GP);
  const ar = descAr(d);
  const dpl = (ar >> AR.DPL_SHIFT) & 3;
  const conformingCode = ar & AR.S && (ar & 0xc) === 0xc;
  if (!conformingCode && (dpl < s.cpl || dpl < (sel & 3))) return undefined;
  return { hi: d.hi, lo: d.lo, ar, limit: descLimit(d) };
}

/** System descriptor types LAR (0) / LSL (1) accept (SDM Vol. 2A LAR, LSL tables; IA-32e mode has fewer). */
function systemTypeOk(s: CpuState, type: number, lsl: number): boolean {
  if (s.longMode) return type === 2 || type === 9 || type === 11 || (!lsl && type === 12);
  return [1, 2, 3, 9, 11].includes(type) || (!lsl && [4, 5, 12].includes(type));
}

/** LAR (kind 0) / LSL (1): returns the value for the destination, or -1 (ZF = 0, destination unchanged). */
export function larLsl(s: CpuState, sel: number, kind: number): number {
  const d = inspect(s, sel);
  const ok = d !== undefined && (d.ar & AR.S ? true : systemTypeOk(s, d.ar & 0xf, kind));
  updateZf(s, ok);
  if (!ok) return -1;
  // LAR: descriptor bits 63:32 masked by 00FxFF00H; the undefined bits 19:16 (limit 19:16) are returned as stored.
  return kind ? d!.limit : d!.hi & 0x00ffff00;
}

/** VERR (write 0) / VERW (1): ZF = 1 when the segment is readable / writable from here. */
export function verify(s: CpuState, sel: number, write: number): void {
  const d = inspect(s, sel);
  let ok = d !== undefined && (d.ar & AR.S) !== 0;
  if (ok) {
    const code = (d!.ar & 8) !== 0;
    ok = write ? !code && (d!.ar & 2) !== 0 : !code || (d!.ar & 2) !== 0;
  }
  updateZf(s, ok);
}

function updateZf(s: CpuState, on: boolean): void {
  setArith(s.f, (getArith(s.f) & ~FLAG.ZF) | (on ? FLAG.ZF : 0));
}

/** ARPL: raises the destination selector's RPL to the source's (ZF = 1), else ZF = 0. */
export function arpl(s: CpuState, dst: number, src: number): number {
  protectedOnly(s);
  const raise = (dst & 3) < (src & 3);
  updateZf(s, raise);
  return raise ? (dst & ~3) | (src & 3) : dst;
}

/** BOUND: #BR unless lower ≤ index ≤ upper (signed, at the operand size). */
export function bound(s: CpuState, index: number, lin: number, size: number): void {
  const lo = s.mmu.read(lin, size);
  const hi = s.mmu.read(lin + size, size);
  const sx = (v: number) => (size === 2 ? (v << 16) >> 16 : v | 0);
  const i = sx(index);
  if (i < sx(lo) || i > sx(hi)) throw new CpuFault(BR);
}

// ---- RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE (SDM Vol. 2B): 64-bit mode with CR4.FSGSBASE, else #UD

export function rdFsGsBase(s: CpuState, seg: number): number {
  if (s.bits !== 64 || !(s.cr4 & CR4.FSGSBASE)) throw new CpuFault(UD);
  const v = s.segBase[seg]!;
  s.t[0] = Math.floor(v / TWO32) | 0;
  return v % TWO32 | 0;
}

export function wrFsGsBase(s: CpuState, seg: number, lo: number, hi: number): void {
  if (s.bits !== 64 || !(s.cr4 & CR4.FSGSBASE)) throw new CpuFault(UD);
  const v = hi * TWO32 + (lo >>> 0);
  if (!canonical(v)) throw new CpuFault(GP, 0);
  s.segBase[seg] = v;
}

// ---- x87 / SIMD availability (SDM Vol. 3A 2.5 CR0.EM/MP/TS, Table 2-2; Vol. 1 13.1 OSFXSR, XSAVE)

/**
 * For an x87 (1) or SIMD/FXSR (2) instruction vmxlab does not execute: the
 * architectural checks first — x87: CR0.EM or CR0.TS → #NM; SIMD: CR0.EM or
 * CR4.OSFXSR = 0 → #UD, CR0.TS → #NM — and then #UD (not modelled, documented).
 */
export function fpuUnavailable(s: CpuState, kind: number): never {
  if (kind === 1) {
    if (s.cr0 & (CR0.EM | CR0.TS)) throw new CpuFault(NM);
  } else {
    if (s.cr0 & CR0.EM || !(s.cr4 & CR4.OSFXSR)) throw new CpuFault(UD);
    if (s.cr0 & CR0.TS) throw new CpuFault(NM);
  }
  throw new CpuFault(UD);
}

/** WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set; otherwise nothing to wait for. */
export function fwait(s: CpuState): void {
  if (s.cr0 & CR0.MP && s.cr0 & CR0.TS) throw new CpuFault(NM);
}
