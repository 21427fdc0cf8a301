/**
 * One short phrase per VM exit for the report — the exit qualification and
 * exit-information fields decoded (src/exits/qualification), e.g.
 * "CR3 write from rax", "out port 0x3f8, 1 byte", "write at gpa 0x200000, page r-x".
 */
import { hex } from "../common/u64";
import { VECTOR_NAMES } from "../guest-cpu/exceptions";
import { isExitReason } from "../exits/reasons";
import { Qualification } from "../exits/qualification";
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

function perms(r: boolean, w: boolean, x: boolean): string {
  return `${r ? "r" : "-"}${w ? "w" : "-"}${x ? "x" : "-"}`;
}

export function describeExit(f: ExitFacts): string | undefined {
  if (!isExitReason(f.reason)) return undefined;
  const vec = f.intrInfo !== undefined ? decodeInterruptionInfo(f.intrInfo) : undefined;
  const q = new Qualification(f.reason, f.qualification, vec?.valid ? vec.vector : undefined);
  try {
    switch (q.kind) {
      case "cr-access": {
        const c = q.cr;
        const val = f.regs?.[c.gpr];
        const v = val !== undefined ? `, ${c.gpr}=${hex(val)}` : "";
        if (c.access === "mov-to-cr") return `CR${c.cr} write${v || ` from ${c.gpr}`}`;
        if (c.access === "mov-from-cr") return `CR${c.cr} read into ${c.gpr}`;
        if (c.access === "clts") return "CLTS";
        return `LMSW ${hex(c.lmswSource)}`;
      }
      case "io":
      case "io-smi": {
        const io = q.io;
        return `${io.direction} port ${hex(io.port)}, ${io.size} byte${io.size === 1 ? "" : "s"}${io.string ? ", string" : ""}${io.rep ? ", rep" : ""}`;
      }
      case "ept-violation": {
        const e = q.ept;
        const access = e.write ? "write" : e.fetch ? "fetch" : "read";
        const gpa = f.guestPhysicalAddress !== undefined ? ` at gpa ${hex(f.guestPhysicalAddress)}` : "";
        return `${access}${gpa}, page ${perms(e.readable, e.writable, e.executable)}`;
      }
      case "entry-failure":
        return q.entryFailure.meaning;
      default:
        break;
    }
  } catch {
    return undefined;
  }
  if (f.reason === "EXCEPTION_NMI" && vec?.valid) {
    const name = VECTOR_NAMES[vec.vector] ?? String(vec.vector);
    const ec = vec.errorCodeValid && f.intrErrorCode !== undefined ? `(${hex(f.intrErrorCode)})` : "";
    const cr2 = vec.vector === 14 ? `, address ${hex(f.qualification)}` : "";
    return `#${name}${ec}${cr2}`;
  }
  if (f.reason === "EPT_MISCONFIG" && f.guestPhysicalAddress !== undefined) return `gpa ${hex(f.guestPhysicalAddress)}`;
  if (f.reason === "EXTERNAL_INTERRUPT" && vec?.valid) return `vector ${hex(vec.vector)}`;
  return undefined;
}
