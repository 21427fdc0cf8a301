/** One-line, SDM-worded summaries of a decoded qualification (exit lists, lab timelines, reports). */
import { hex } from "../../common/u64";
import type { Qualification } from "./index";

const up = (s: string) => s.toUpperCase();

export function summarizeQualification(q: Qualification): string {
  switch (q.kind) {
    case "none":
      return "";
    case "cr-access": {
      const c = q.cr;
      if (c.access === "mov-to-cr") return `MOV CR${c.cr}, ${up(c.gpr)}`;
      if (c.access === "mov-from-cr") return `MOV ${up(c.gpr)}, CR${c.cr}`;
      if (c.access === "clts") return "CLTS";
      return `LMSW ${hex(c.lmswSource)} (${c.lmswOperand} operand)`;
    }
    case "dr-access": {
      const d = q.dr;
      return d.direction === "to-dr" ? `MOV DR${d.dr}, ${up(d.gpr)}` : `MOV ${up(d.gpr)}, DR${d.dr}`;
    }
    case "io":
    case "io-smi": {
      const i = q.io;
      const insn = i.string ? (i.direction === "in" ? "INS" : "OUTS") : i.direction === "in" ? "IN" : "OUT";
      const unit = i.size === 1 ? "byte" : i.size === 2 ? "word" : "dword";
      return `${i.rep ? "REP " : ""}${insn} ${unit} ${i.direction === "in" ? "from" : "to"} port ${hex(i.port)} (${i.operand === "dx" ? "DX" : "immediate"})`;
    }
    case "ept-violation": {
      const e = q.ept;
      const access = e.write ? "write" : e.fetch ? "instruction fetch" : "read";
      const allowed = `${e.readable ? "r" : "-"}${e.writable ? "w" : "-"}${e.executable ? "x" : "-"}`;
      const where = !e.glaValid ? "no linear address" : e.translated ? "linear address translated" : "guest paging-structure access";
      return `${access}; EPT allowed ${allowed === "---" ? "nothing (not present)" : allowed}; ${where}${e.nmiUnblocking ? "; NMI unblocking" : ""}`;
    }
    case "task-switch": {
      const t = q.taskSwitch;
      return `${t.source === "task-gate" ? "task gate in IDT" : up(t.source)} to TSS selector ${hex(t.selector)}`;
    }
    case "exception":
      if (q.exceptionVector === 1) {
        const d = q.debug;
        const parts = [...[0, 1, 2, 3].filter((n) => d.breakpoints & (1 << n)).map((n) => `B${n}`), d.bd ? "BD" : "", d.bs ? "BS" : "", d.rtm ? "RTM" : ""].filter(Boolean);
        return `#DB ${parts.join(" ") || "(no condition bits)"}`;
      }
      return q.exceptionVector === 14 ? `#PF at linear address ${hex(q.raw)}` : q.raw ? hex(q.raw) : "";
    case "linear-address":
      return `linear address ${hex(q.raw)}`;
    case "displacement":
      return `displacement ${hex(q.raw)}`;
    case "apic-access": {
      const a = q.apicAccess;
      return `${a.access} at APIC offset ${hex(a.offset)}${a.asynchronous ? " (asynchronous)" : ""}`;
    }
    case "sipi-vector":
    case "eoi-vector":
      return `vector ${hex(q.vector)}`;
    case "apic-write-offset":
      return `APIC offset ${hex(q.apicWriteOffset)}`;
    case "entry-failure":
      return q.entryFailure.meaning;
    case "msr-load-index":
      return `MSR-load entry ${q.msrLoadIndex}`;
    case "nmi-unblocking":
      return q.nmiUnblocking.nmiUnblocking ? "NMI unblocking due to IRET" : "";
    case "notify":
      return q.notify.contextInvalid ? "VM context invalid" : "VM context valid";
  }
}
