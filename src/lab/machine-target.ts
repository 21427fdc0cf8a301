/**
 * What every lab target shows the same way, whatever machine it steps: the
 * VMCS by field name and group, memory, disassembly through the current
 * translation, the 2-D walk, the TLB contexts and the last VM exit explained.
 */
import { disassemble, hexBytes } from "../asm/disasm";
import { createEptPhysicalMap } from "../ept/nested";
import { translate2d, type GuestPaging } from "../ept/translate2d";
import { formatTrace } from "../ept/trace-text";
import { explainExitReason } from "../exits/explain";
import type { Cpu } from "../guest-cpu/cpu";
import { FIELDS, type FieldName } from "../vmcs/fields";
import type { Vmcs } from "../vmcs/vmcs";
import type { ExitRecord } from "../vmx/engine";
import type { LabEvent, LabTarget } from "./target";

export function hex(v: bigint | number): string {
  return "0x" + v.toString(16);
}

export function exitLine(x: ExitRecord): string {
  return `#${x.n} ${x.reason}  rip ${hex(x.guestRip)}  qualification ${hex(x.qualification)}${x.instructionLength ? `  length ${x.instructionLength}` : ""}`;
}

export abstract class MachineLabTarget implements LabTarget {
  protected abstract readonly cpu: Cpu;
  abstract step(): LabEvent[];
  abstract finished(): string | null;
  abstract regs(): Record<string, bigint>;
  abstract save(): unknown;
  abstract restore(snapshot: unknown): void;
  /** The current VMCS, or null outside VMX operation. */
  protected abstract currentVmcs(): Vmcs | null;
  protected abstract exitRecords(): readonly ExitRecord[];
  /** EPTP of the nested translation that applies to addresses the student gives, or null for none. */
  protected abstract nestedEptp(): bigint | null;
  protected abstract codeBits(): 16 | 32 | 64;

  vmcs(): Record<string, bigint> | null {
    const v = this.currentVmcs();
    if (!v) return null;
    const out: Record<string, bigint> = {};
    for (const f of FIELDS) out[f.name] = v.read(f.name as FieldName);
    return out;
  }

  vmcsGroups(): Record<string, string[]> {
    const g: Record<string, string[]> = {};
    for (const f of FIELDS) (g[f.group] ??= []).push(f.name);
    return g;
  }

  readMemory(gpa: bigint, len: number): Uint8Array {
    const mem = this.cpu.mem;
    const a = Number(gpa);
    const out = new Uint8Array(len).fill(0xff);
    for (let i = 0; i < len; i++) if (mem.inRam(a + i, 1)) out[i] = mem.bytes[a + i]!;
    return out;
  }

  private paging(): GuestPaging {
    const r = this.regs();
    return { cr0: Number(r.cr0), cr3: Number(r.cr3), cr4: Number(r.cr4), efer: Number(r.efer) };
  }

  private nested() {
    const eptp = this.nestedEptp();
    return eptp === null ? null : createEptPhysicalMap(this.cpu.mem, eptp);
  }

  disasm(gla: bigint, count: number): string[] {
    const t = translate2d(this.cpu.mem, this.paging(), this.nested(), Number(gla), "fetch", { trace: false });
    if (t.hpa === null) return [`${hex(gla)}: not mapped (${t.fault?.kind ?? "fault"})`];
    const bytes = this.readMemory(BigInt(t.hpa), 15 * count);
    return disassemble(bytes, Number(gla), this.codeBits(), count).map(
      (l) => `${l.address.toString(16).padStart(8, "0")}  ${hexBytes(l.bytes).padEnd(30)} ${l.text}`,
    );
  }

  walk(gla: bigint): string[] {
    const t = translate2d(this.cpu.mem, this.paging(), this.nested(), Number(gla), "read", { trace: true });
    const lines = formatTrace(t.trace);
    if (t.fault) lines.push(`fault: ${t.fault.kind}`);
    else lines.push(`guest-linear ${hex(gla)} → guest-physical ${hex(t.gpa!)} → host-physical ${hex(t.hpa!)}`);
    return lines;
  }

  tlb(): string[] {
    const lines: string[] = [];
    for (const t of this.cpu.mmu.contexts()) {
      const entries: string[] = [];
      for (let i = 0; i < t.hpage.length; i++) {
        if (Number.isNaN(t.hpage[i]!)) continue;
        const vpn = [t.tagR[i], t.tagW[i], t.tagX[i]].find((x) => !Number.isNaN(x!));
        if (vpn === undefined) continue;
        const perms = (Number.isNaN(t.tagR[i]!) ? "-" : "r") + (Number.isNaN(t.tagW[i]!) ? "-" : "w") + (Number.isNaN(t.tagX[i]!) ? "-" : "x");
        entries.push(`  ${hex(vpn! * 4096).padEnd(12)} → gpa ${hex(t.gpage[i]!).padEnd(10)} hpa ${hex(t.hpage[i]!).padEnd(10)} ${perms}${i >= t.hpage.length / 2 ? " user" : ""}`);
      }
      lines.push(`context ${t.tag}: ${entries.length} entr${entries.length === 1 ? "y" : "ies"}`, ...entries);
    }
    return lines;
  }

  explainExit(): string[] {
    const records = this.exitRecords();
    const x = records[records.length - 1];
    if (!x) return ["no VM exit yet"];
    const text = explainExitReason(`${x.reason} ${hex(x.qualification)}`) ?? explainExitReason(x.reason) ?? x.reason;
    return [exitLine(x), ...text.split("\n")];
  }
}
