/**
 * One short phrase per VM exit for the report: the exits helper's
 * qualification summary (src/exits/qualification/summary.ts) plus what only
 * the run knows — the register value of a CR write, the guest-physical
 * address of an EPT exit, the vector of an exception or interrupt.
 */
import { hex } from "../common/u64";
import { VECTOR_NAMES } from "../guest-cpu/exceptions";
import { isExitReason } from "../exits/reasons";
import { Qualification, summarizeQualification } from "../exits/qualification";
import { decodeInterruptionInfo } from "../exits/qualification/interruption-info";
import { findHypercall } from "../exits/handlers/vmcall";

/** MSR names for report lines (the architectural ones a lab touches; SDM Vol. 4 Table 2-2). */
const MSR_NAMES: Record<number, string> = {
  0x10: "IA32_TIME_STAMP_COUNTER", 0x1b: "IA32_APIC_BASE", 0x3a: "IA32_FEATURE_CONTROL", 0x174: "IA32_SYSENTER_CS",
  0x175: "IA32_SYSENTER_ESP", 0x176: "IA32_SYSENTER_EIP", 0x277: "IA32_PAT", 0xc0000080: "IA32_EFER", 0xc0000081: "IA32_STAR",
  0xc0000082: "IA32_LSTAR", 0xc0000084: "IA32_FMASK", 0xc0000100: "IA32_FS_BASE", 0xc0000101: "IA32_GS_BASE",
  0xc0000102: "IA32_KERNEL_GS_BASE", 0xc0000103: "IA32_TSC_AUX",
};
function msrName(i: number): string | undefined {
  return MSR_NAMES[i];
}

export interface ExitFacts {
  reason: string;
  qualification: bigint;
  intrInfo?: number;
  intrErrorCode?: number;
  guestPhysicalAddress?: bigint;
  guestLinearAddress?: bigint;
  /** Register values at the exit (for "CR3 write, rax=0x2000"), when the machine knows them. */
  regs?: Partial<Record<string, bigint>>;
}

export function describeExit(f: ExitFacts): string | undefined {
  if (!isExitReason(f.reason)) return undefined;
  const vec = f.intrInfo !== undefined ? decodeInterruptionInfo(f.intrInfo) : undefined;
  const q = new Qualification(f.reason, f.qualification, vec?.valid ? vec.vector : undefined);
  let text: string;
  try {
    text = summarizeQualification(q);
    if (q.kind === "cr-access" && q.cr.access === "mov-to-cr" && f.regs?.[q.cr.gpr] !== undefined) {
      // The issue's wording: "CR3 write, rax=0x2000" — the value only the machine knows.
      text = `CR${q.cr.cr} write, ${q.cr.gpr}=${hex(f.regs[q.cr.gpr]!)}`;
    }
  } catch {
    return undefined;
  }
  if (f.reason === "EXCEPTION_NMI" && vec?.valid) {
    const name = VECTOR_NAMES[vec.vector] ?? String(vec.vector);
    const ec = vec.errorCodeValid && f.intrErrorCode !== undefined ? `(${hex(f.intrErrorCode)})` : "";
    text = vec.vector === 14 ? `#PF${ec} at linear address ${hex(f.qualification)}` : vec.vector === 1 ? text : `#${name}${ec}`;
  }
  if ((f.reason === "EPT_VIOLATION" || f.reason === "EPT_MISCONFIG") && f.guestPhysicalAddress !== undefined) text = `gpa ${hex(f.guestPhysicalAddress)}${text ? `, ${text}` : ""}`;
  if (f.reason === "EXTERNAL_INTERRUPT" && vec?.valid) text = `vector ${hex(vec.vector)}`;
  const r = f.regs;
  if ((f.reason === "MSR_READ" || f.reason === "MSR_WRITE") && r?.rcx !== undefined) {
    const idx = Number(r.rcx & 0xffff_ffffn);
    const name = msrName(idx);
    text = `MSR ${hex(idx)}${name ? ` ${name}` : ""}`;
    if (f.reason === "MSR_WRITE" && r.rax !== undefined && r.rdx !== undefined) text += ` = ${hex(((r.rdx & 0xffff_ffffn) << 32n) | (r.rax & 0xffff_ffffn))}`;
  }
  if (f.reason === "VMCALL" && r?.rax !== undefined) {
    const hc = findHypercall(r.rax);
    text = `hypercall ${r.rax}${hc ? ` ${hc.name}` : ""}`;
  }
  if (q.kind === "entry-failure" && f.qualification === 0n) return undefined; // "default": nothing to add
  return text || undefined;
}
