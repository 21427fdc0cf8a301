/**
 * A LabTarget over the TypeScript VMM: one lab step is one retired guest
 * instruction (`vm.run({maxSteps: 1})`), with the VM exits and userspace
 * exits that happened on the way as events. Views read what a hypervisor
 * could see: the guest's live registers while it runs in non-root
 * operation, the VMCS as last written (guest-state fields are saved only by
 * VM exits, SDM Vol. 3C 28.3).
 */
import { disassemble, hexBytes } from "../asm/disasm";
import { createEptPhysicalMap } from "../ept/nested";
import { translate2d, type GuestPaging } from "../ept/translate2d";
import { formatTrace } from "../ept/trace-text";
import { explainExitReason } from "../exits/explain";
import { FIELDS, type FieldName } from "../vmcs/fields";
import type { ExitRecord } from "../vmx/engine";
import { guestBits, type Vm, type VmSnapshot } from "../vmm/vm";
import { REG_ORDER } from "../vmm/exec";
import type { LabEvent, LabTarget } from "./target";

/** Userspace-exit fields that are counts, printed in decimal. */
const COUNTS = new Set(["size", "count"]);

const GPRS = REG_ORDER.filter((r) => r !== "rip" && r !== "rflags" && r !== "rsp");

function hex(v: bigint | number): string {
  return "0x" + v.toString(16);
}

export function exitLine(x: ExitRecord): string {
  return `#${x.n} ${x.reason}  rip ${hex(x.guestRip)}  qualification ${hex(x.qualification)}${x.instructionLength ? `  length ${x.instructionLength}` : ""}`;
}

export class VmLabTarget implements LabTarget {
  constructor(readonly vm: Vm) {}

  /** One VMM cycle: a guest instruction, or a VM entry/exit with its handling (Vm.step). */
  step(): LabEvent[] {
    const events: LabEvent[] = [];
    for (const e of this.vm.step()) {
      if (e.kind === "exit") events.push({ kind: "exit", reason: e.record.reason, text: exitLine(e.record) });
      else if (e.kind === "entry") events.push({ kind: "entry", text: e.launch ? "VM entry (VMLAUNCH)" : "VM entry (VMRESUME)" });
      else if (e.kind === "userspace") {
        const u = e.exit;
        const data = Object.entries(u).filter(([k]) => k !== "kind").map(([k, v]) => `${k}=${(typeof v === "bigint" || typeof v === "number") && !COUNTS.has(k) ? hex(v) : String(v)}`);
        events.push({ kind: "userspace", reason: u.kind, text: `userspace exit: ${u.kind}${data.length ? " " + data.join(" ") : ""}` });
      } else events.push({ kind: "stop", reason: e.reason, text: `stopped: ${e.reason}${e.detail ? ` (${e.detail})` : ""}` });
    }
    return events;
  }

  finished(): string | null {
    return this.vm.finished();
  }

  regs(): Record<string, bigint> {
    const vm = this.vm;
    const s = vm.cpu.s;
    const live = vm.state.nonRoot;
    const v = vm.vmcs;
    const out: Record<string, bigint> = {};
    const gprs = vm.regs();
    for (const r of GPRS) out[r] = BigInt(gprs[r]);
    out.rsp = live ? BigInt(s.hi[4]! >>> 0) << 32n | BigInt(s.lo[4]! >>> 0) : v.read("GUEST_RSP");
    out.rip = live ? BigInt(s.rip) : v.read("GUEST_RIP");
    out.rflags = live ? BigInt(s.rflags >>> 0) : v.read("GUEST_RFLAGS");
    out.cr0 = live ? BigInt(s.cr0 >>> 0) : v.read("GUEST_CR0");
    out.cr3 = live ? BigInt(s.cr3) : v.read("GUEST_CR3");
    out.cr4 = live ? BigInt(s.cr4 >>> 0) : v.read("GUEST_CR4");
    out.efer = live ? BigInt(s.efer >>> 0) : v.read("GUEST_IA32_EFER");
    return out;
  }

  vmcs(): Record<string, bigint> {
    const v = this.vm.vmcs;
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
    const mem = this.vm.mem;
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
    const vm = this.vm;
    return vm.eptEnabled() ? createEptPhysicalMap(vm.mem, vm.vmcs.read("EPT_POINTER")) : null;
  }

  disasm(gla: bigint, count: number): string[] {
    const t = translate2d(this.vm.mem, this.paging(), this.nested(), Number(gla), "fetch", { trace: false });
    if (t.hpa === null) return [`${hex(gla)}: not mapped (${t.fault?.kind ?? "fault"})`];
    const bytes = this.readMemory(BigInt(t.hpa), 15 * count);
    return disassemble(bytes, Number(gla), guestBits(this.vm), count).map(
      (l) => `${l.address.toString(16).padStart(8, "0")}  ${hexBytes(l.bytes).padEnd(30)} ${l.text}`,
    );
  }

  walk(gla: bigint): string[] {
    const t = translate2d(this.vm.mem, this.paging(), this.nested(), Number(gla), "read", { trace: true });
    const lines = formatTrace(t.trace);
    if (t.fault) lines.push(`fault: ${t.fault.kind}`);
    else lines.push(`guest-linear ${hex(gla)} → guest-physical ${hex(t.gpa!)} → host-physical ${hex(t.hpa!)}`);
    return lines;
  }

  tlb(): string[] {
    const lines: string[] = [];
    for (const t of this.vm.cpu.mmu.contexts()) {
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
    const x = this.vm.exits[this.vm.exits.length - 1];
    if (!x) return ["no VM exit yet"];
    const text = explainExitReason(`${x.reason} ${hex(x.qualification)}`) ?? explainExitReason(x.reason) ?? x.reason;
    return [exitLine(x), ...text.split("\n")];
  }

  save(): unknown {
    return this.vm.snapshot("lab");
  }

  restore(snapshot: unknown): void {
    this.vm.restore(snapshot as VmSnapshot);
  }
}
