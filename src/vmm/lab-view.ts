/**
 * A Vm as a stepping session sees it (src/lab/target.ts `LabTarget`, which
 * this class satisfies structurally: vmm sits below lab and does not import
 * it). One step executes one guest instruction, entering the guest first
 * when it is not running and handling the exit it causes; registers, VMCS,
 * memory, disassembly, 2-D walks and TLB contents are read without side
 * effects on the run; save/restore are the VM's copy-on-write snapshots.
 */
import { disassemble } from "../asm/disasm";
import { hex } from "../common/u64";
import { formatTrace } from "../ept/trace-text";
import { createEptPhysicalMap } from "../ept/nested";
import { Translator2d } from "../ept/translate2d";
import { Qualification } from "../exits/qualification";
import { EXIT_REASON_INFO, isExitReason } from "../exits/reasons";
import { FIELDS } from "../vmcs/fields";
import { guestBits, type Vm, type VmEvent, type VmSnapshot } from "./vm";

export interface LabEventLike {
  kind: "exit" | "entry" | "userspace" | "stop";
  reason?: string;
  text: string;
}

export class VmLabView {
  constructor(readonly vm: Vm) {}

  step(): LabEventLike[] {
    return this.vm.step().map((e) => eventText(this.vm, e));
  }

  finished(): string | null {
    return this.vm.finished();
  }

  /** Guest registers: GPRs, rip, rflags, cr0, cr2, cr3, cr4 (live CPU state while the guest runs, else the VMCS). */
  regs(): Record<string, bigint> {
    const vm = this.vm;
    const out: Record<string, bigint> = {};
    const r = vm.regs();
    for (const [k, v] of Object.entries(r)) out[k] = BigInt(v);
    const s = vm.cpu.s;
    const live = vm.state.nonRoot;
    out.cr0 = live ? BigInt(s.cr0 >>> 0) : vm.vmcs.read("GUEST_CR0");
    out.cr2 = BigInt.asUintN(64, BigInt(s.cr2));
    out.cr3 = live ? BigInt.asUintN(64, BigInt(s.cr3)) : vm.vmcs.read("GUEST_CR3");
    out.cr4 = live ? BigInt(s.cr4 >>> 0) : vm.vmcs.read("GUEST_CR4");
    return out;
  }

  vmcs(): Record<string, bigint> | null {
    const v = this.vm.state.current;
    if (!v) return null;
    const out: Record<string, bigint> = {};
    for (const f of FIELDS) out[f.name] = v.get(f.slot);
    return out;
  }

  vmcsGroups(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const f of FIELDS) (out[f.group] ??= []).push(f.name);
    return out;
  }

  /** Guest-physical bytes; what no RAM backs reads as 0xff (open bus). */
  readMemory(gpa: bigint, len: number): Uint8Array {
    const out = new Uint8Array(len).fill(0xff);
    for (let i = 0; i < len; ) {
      const a = gpa + BigInt(i);
      const n = Math.min(len - i, 4096 - Number(a & 0xfffn));
      try {
        out.set(this.vm.vcpu.readGuest(a, n, "physical"), i);
      } catch {
        // unmapped: stays 0xff
      }
      i += n;
    }
    return out;
  }

  disasm(gla: bigint, count: number): string[] {
    const vm = this.vm;
    let bytes: Uint8Array;
    try {
      bytes = vm.vcpu.readGuest(gla, Math.min(count * 15, 4096 - Number(gla & 0xfffn)));
    } catch {
      return [`${hex(gla)}: not mapped by the guest's page tables and EPT`];
    }
    return disassemble(bytes, Number(gla), guestBits(vm), count).map((l) => `${hex(l.address)}  ${l.text}`);
  }

  walk(gla: bigint): string[] {
    const vm = this.vm;
    const v = vm.vmcs;
    const s = vm.cpu.s;
    const live = vm.state.nonRoot;
    const nested = vm.eptEnabled() ? createEptPhysicalMap(vm.mem, v.read("EPT_POINTER")) : null;
    const t = new Translator2d(vm.mem, nested);
    const efer = live ? s.efer : (v.read("VM_ENTRY_CONTROLS") >> 9n) & 1n ? 0x500 : 0;
    t.setGuest({
      cr0: live ? s.cr0 : Number(v.read("GUEST_CR0")),
      cr3: live ? s.cr3 : Number(v.read("GUEST_CR3")),
      cr4: live ? s.cr4 : Number(v.read("GUEST_CR4")),
      efer,
    });
    const r = t.run(Number(BigInt.asIntN(64, gla)), "read", { trace: true });
    const lines = formatTrace(r.trace);
    lines.push(r.fault ? `fault: ${JSON.stringify(r.fault)}` : `${hex(gla)} → guest-physical ${hex(r.gpa ?? 0)} → host-physical ${hex(r.hpa ?? 0)}`);
    return lines;
  }

  tlb(): string[] {
    const out: string[] = [];
    for (const t of this.vm.cpu.mmu.contexts()) {
      const entries = t.entries();
      out.push(`context ${t.tag}: ${entries.length} entr${entries.length === 1 ? "y" : "ies"}`);
      for (const e of entries) {
        out.push(`  ${hex(e.lin)} → gpa ${hex(e.gpa)} hpa ${hex(e.hpa)}  ${e.r ? "r" : "-"}${e.w ? "w" : "-"}${e.x ? "x" : "-"}${e.user ? " user" : ""}${e.global ? " global" : ""}`);
      }
    }
    return out.length ? out : ["(empty)"];
  }

  explainExit(): string[] {
    const rec = this.vm.exits.at(-1);
    if (!rec) return ["no VM exit yet"];
    const lines = [`#${rec.n} ${rec.reason} (basic exit reason ${rec.basicReason}) at guest RIP ${hex(rec.guestRip)}`];
    if (isExitReason(rec.reason)) {
      const info = EXIT_REASON_INFO[rec.reason];
      lines.push(`${info.description} — ${info.sdm}`);
      lines.push(`cause: ${info.cause}`);
      try {
        const d = new Qualification(rec.reason, rec.qualification, rec.intrInfo !== undefined ? rec.intrInfo & 0xff : undefined).describe();
        if (d !== null) lines.push(`qualification ${hex(rec.qualification)}: ${typeof d === "bigint" ? hex(d) : JSON.stringify(d, (_k, x) => (typeof x === "bigint" ? hex(x) : x))}`);
      } catch {
        lines.push(`qualification ${hex(rec.qualification)}`);
      }
    }
    if (rec.instructionLength) lines.push(`instruction length ${rec.instructionLength}`);
    if (rec.guestPhysicalAddress !== undefined) lines.push(`guest-physical address ${hex(rec.guestPhysicalAddress)}`);
    if (rec.entryFailure) lines.push(`VM-entry check ${rec.entryFailure.id} (${rec.entryFailure.sdm}): ${rec.entryFailure.explain}`);
    return lines;
  }

  save(): unknown {
    return this.vm.snapshot();
  }

  restore(snapshot: unknown): void {
    this.vm.restore(snapshot as VmSnapshot);
  }
}

function eventText(vm: Vm, e: VmEvent): LabEventLike {
  switch (e.kind) {
    case "entry":
      return { kind: "entry", text: `${e.launch ? "VMLAUNCH" : "VMRESUME"} → guest at ${vm.regs().rip}` };
    case "exit": {
      const r = e.record;
      return { kind: "exit", reason: r.reason, text: `#${r.n} ${r.reason}  rip ${hex(r.guestRip)}  qualification ${hex(r.qualification)}` };
    }
    case "userspace": {
      const x = e.exit;
      const data = Object.entries(x).filter(([k]) => k !== "kind").map(([k, v]) => `${k}=${typeof v === "bigint" || typeof v === "number" ? hex(v) : Array.isArray(v) ? `[${v.map((n) => hex(n as number)).join(",")}]` : String(v)}`);
      return { kind: "userspace", reason: x.kind, text: `userspace ${x.kind} ${data.join(" ")}`.trim() };
    }
    case "stop":
      return { kind: "stop", reason: e.reason, text: `stop: ${e.reason}${e.detail ? ` (${e.detail})` : ""}` };
  }
}

