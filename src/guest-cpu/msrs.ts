/**
 * The processor's own model-specific registers (SDM Vol. 4 Table 2-2,
 * "IA-32 Architectural MSRs") and RDMSR/WRMSR semantics: an index the CPU
 * does not implement, or a reserved bit set in a written value, is #GP(0).
 * Providers (hooks.ts MsrProvider: IA32_VMX_* capabilities, devices) are
 * asked first.
 */
import { CpuFault, GP } from "./exceptions";
import { CR0, EFER, FS, GS } from "./registers";
import type { CpuState } from "./state";

export const MSR = {
  IA32_TIME_STAMP_COUNTER: 0x10,
  IA32_APIC_BASE: 0x1b,
  IA32_FEATURE_CONTROL: 0x3a,
  IA32_TSC_ADJUST: 0x3b,
  IA32_SYSENTER_CS: 0x174,
  IA32_SYSENTER_ESP: 0x175,
  IA32_SYSENTER_EIP: 0x176,
  IA32_MISC_ENABLE: 0x1a0,
  IA32_PAT: 0x277,
  IA32_DEBUGCTL: 0x1d9,
  IA32_EFER: 0xc000_0080,
  IA32_STAR: 0xc000_0081,
  IA32_LSTAR: 0xc000_0082,
  IA32_CSTAR: 0xc000_0083,
  IA32_FMASK: 0xc000_0084,
  IA32_FS_BASE: 0xc000_0100,
  IA32_GS_BASE: 0xc000_0101,
  IA32_KERNEL_GS_BASE: 0xc000_0102,
  IA32_TSC_AUX: 0xc000_0103,
} as const;

/** Power-on values of the MSRs kept in CpuState.msrs (SDM Vol. 3A 10.1.1 Table 10-1, Vol. 4). */
export const MSR_RESET: ReadonlyMap<number, bigint> = new Map([
  [MSR.IA32_APIC_BASE, 0xfee0_0900n], // xAPIC enabled (bit 11), bootstrap processor (bit 8)
  [MSR.IA32_PAT, 0x0007_0406_0007_0406n],
  [MSR.IA32_MISC_ENABLE, 0x1n], // fast-strings enable
]);

const M64 = (1n << 64n) - 1n;
const canonical = (v: bigint) => BigInt.asIntN(48, v) === BigInt.asIntN(64, v);
const num = (v: bigint) => Number(BigInt.asIntN(64, v));

/** PAT entries must hold a valid memory type: 0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC- (SDM Vol. 3A 13.12.2). */
function validPat(v: bigint): boolean {
  for (let i = 0n; i < 8n; i++) {
    const t = Number((v >> (i * 8n)) & 0xffn);
    if (t !== 0 && t !== 1 && t !== 4 && t !== 5 && t !== 6 && t !== 7) return false;
  }
  return true;
}

export function tscValue(s: CpuState): number {
  return s.icount + s.tscAdjust;
}

/** RDMSR's value, or #GP(0) for an index the processor does not have. */
export function readMsr(s: CpuState, index: number): bigint {
  for (const p of s.msrProviders) {
    const v = p.read(s, index);
    if (v !== undefined) return v & M64;
  }
  switch (index) {
    case MSR.IA32_TIME_STAMP_COUNTER: return BigInt(tscValue(s)) & M64;
    case MSR.IA32_EFER: return BigInt(s.efer);
    case MSR.IA32_FS_BASE: return BigInt(s.segBase[FS]!) & M64;
    case MSR.IA32_GS_BASE: return BigInt(s.segBase[GS]!) & M64;
    case MSR.IA32_TSC_ADJUST: return BigInt(s.tscAdjust) & M64;
  }
  if (KNOWN.has(index)) return s.msrs.get(index) ?? MSR_RESET.get(index) ?? 0n;
  throw new CpuFault(GP, 0);
}

/** Stored MSRs with the bits a write may set (others reserved → #GP), or a validity test. */
const KNOWN = new Map<number, (v: bigint) => boolean>([
  [MSR.IA32_APIC_BASE, (v) => (v & ~0xf_ffff_fd00n) === 0n], // base 51:12 (MAXPHYADDR 46 is checked below), EN, EXTD, BSP
  [MSR.IA32_FEATURE_CONTROL, (v) => (v & ~0x1_ff07n) === 0n],
  [MSR.IA32_SYSENTER_CS, (v) => (v >> 32n) === 0n],
  [MSR.IA32_SYSENTER_ESP, canonical],
  [MSR.IA32_SYSENTER_EIP, canonical],
  [MSR.IA32_MISC_ENABLE, () => true],
  [MSR.IA32_PAT, validPat],
  [MSR.IA32_DEBUGCTL, (v) => (v & ~0x3n) === 0n],
  [MSR.IA32_STAR, () => true],
  [MSR.IA32_LSTAR, canonical],
  [MSR.IA32_CSTAR, canonical],
  [MSR.IA32_FMASK, (v) => (v >> 32n) === 0n],
  [MSR.IA32_KERNEL_GS_BASE, canonical],
  [MSR.IA32_TSC_AUX, (v) => (v >> 32n) === 0n],
]);

/** EFER bits software may write: SCE, LME, NXE (LMA is set by the processor; SDM Vol. 3A 2.2.1). */
const EFER_WRITABLE = EFER.SCE | EFER.LME | EFER.NXE;

/** WRMSR (the value is EDX:EAX); #GP(0) for unknown indices and reserved bits. */
export function writeMsr(s: CpuState, index: number, value: bigint): void {
  value &= M64;
  for (const p of s.msrProviders) if (p.write(s, index, value)) return;
  switch (index) {
    case MSR.IA32_TIME_STAMP_COUNTER:
      s.tscAdjust = num(value) - s.icount;
      return;
    case MSR.IA32_TSC_ADJUST:
      s.tscAdjust = num(value);
      return;
    case MSR.IA32_EFER: {
      const v = Number(value & 0xffff_ffffn);
      if (value >> 32n || v & ~(EFER_WRITABLE | EFER.LMA)) throw new CpuFault(GP, 0);
      // LME cannot change while paging is on (SDM Vol. 3A 10.8.5); LMA is read-only.
      if (s.cr0 & CR0.PG && (v ^ s.efer) & EFER.LME) throw new CpuFault(GP, 0);
      const old = s.efer;
      s.efer = (v & EFER_WRITABLE) | (s.efer & EFER.LMA);
      if ((old ^ s.efer) & EFER.NXE) s.mmu.flushCurrentVpid();
      return;
    }
    case MSR.IA32_FS_BASE:
    case MSR.IA32_GS_BASE:
      if (!canonical(value)) throw new CpuFault(GP, 0);
      s.segBase[index === MSR.IA32_FS_BASE ? FS : GS] = num(value);
      return;
  }
  const ok = KNOWN.get(index);
  if (!ok || !ok(value)) throw new CpuFault(GP, 0);
  if (index === MSR.IA32_APIC_BASE && value >> 46n) throw new CpuFault(GP, 0);
  // IA32_FEATURE_CONTROL is read-only once its lock bit is set (SDM Vol. 3C 24.7).
  if (index === MSR.IA32_FEATURE_CONTROL && (s.msrs.get(index) ?? 0n) & 1n) throw new CpuFault(GP, 0);
  s.msrs.set(index, value);
}
