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
  return text || undefined;
}
