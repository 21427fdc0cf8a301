/**
 * MSR access for VM entry/exit (guest/host MSR fields and the MSR-load and
 * MSR-store areas, SDM Vol. 3C 27.4, 28.4, 28.6). MSRs with architectural
 * state in CpuState (EFER, FS/GS base) map to it; the rest live in
 * `s.msrs`, as the CPU's RDMSR/WRMSR see them.
 */
import type { CpuState } from "../guest-cpu/state";
import { FS, GS } from "../guest-cpu/registers";

export const MSR = {
  SYSENTER_CS: 0x174, SYSENTER_ESP: 0x175, SYSENTER_EIP: 0x176, DEBUGCTL: 0x1d9, PAT: 0x277,
  PERF_GLOBAL_CTRL: 0x38f, SMM_MONITOR_CTL: 0x9b, BIOS_UPDT_TRIG: 0x79, SMBASE: 0x9e, EFER: 0xc000_0080,
  FS_BASE: 0xc000_0100, GS_BASE: 0xc000_0101, KERNEL_GS_BASE: 0xc000_0102, TSC: 0x10,
} as const;

/** Power-on IA32_PAT (SDM Vol. 3A 13.12.4). */
export const PAT_DEFAULT = 0x0007_0406_0007_0406n;

export function readMsr(s: CpuState, index: number): bigint {
  switch (index) {
    case MSR.EFER: return BigInt(s.efer >>> 0);
    case MSR.FS_BASE: return BigInt.asUintN(64, BigInt(s.segBase[FS]!));
    case MSR.GS_BASE: return BigInt.asUintN(64, BigInt(s.segBase[GS]!));
    case MSR.PAT: return s.msrs.get(index) ?? PAT_DEFAULT;
    default: return s.msrs.get(index) ?? 0n;
  }
}

export function writeMsr(s: CpuState, index: number, v: bigint): void {
  switch (index) {
    case MSR.EFER: s.efer = Number(v & 0xffff_ffffn); return;
    case MSR.FS_BASE: s.segBase[FS] = Number(BigInt.asIntN(64, v)); return;
    case MSR.GS_BASE: s.segBase[GS] = Number(BigInt.asIntN(64, v)); return;
    default: s.msrs.set(index, BigInt.asUintN(64, v));
  }
}

/** An MSR kept as a number (SYSENTER_*: 32-bit or canonical values) without allocating a BigInt when it is unchanged. */
export function setMsrNum(s: CpuState, index: number, v: number): void {
  const cur = s.msrs.get(index);
  // Number(bigint) allocates nothing: compare that way when v is not negative.
  if (cur !== undefined && (v >= 0 ? Number(cur) === v : Number(BigInt.asIntN(64, cur)) === v)) return;
  s.msrs.set(index, BigInt.asUintN(64, BigInt(v)));
}

/** An MSR as a signed double (exact for 32-bit and canonical values). */
export function msrNum(s: CpuState, index: number): number {
  const cur = s.msrs.get(index);
  if (cur === undefined) return 0;
  const n = Number(cur);
  return n < 2 ** 63 ? n : Number(BigInt.asIntN(64, cur));
}

/**
 * Why an MSR-load area entry cannot be loaded (SDM Vol. 3C 27.4, 28.6), or
 * null: FS/GS base, x2APIC MSRs, SMM MSRs, microcode update, reserved
 * bits 63:32 of the entry's first quadword, or a value WRMSR would reject.
 */
export function msrLoadProblem(index: number, reserved: number, value: bigint): string | null {
  if (reserved !== 0) return "bits 63:32 of the entry are reserved and not 0";
  if (index === MSR.FS_BASE || index === MSR.GS_BASE) return "IA32_FS_BASE and IA32_GS_BASE cannot be loaded from an MSR-load area";
  if (index >>> 8 === 0x8) return "x2APIC MSRs (800H–8FFH) cannot be loaded from an MSR-load area";
  if (index === MSR.SMM_MONITOR_CTL || index === MSR.SMBASE || index === MSR.BIOS_UPDT_TRIG) return "the MSR cannot be loaded from an MSR-load area";
  if (index === MSR.EFER && (value & ~0xd01n) !== 0n) return "WRMSR would #GP: reserved IA32_EFER bits set";
  return null;
}
