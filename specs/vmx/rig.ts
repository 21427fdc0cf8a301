/**
 * A VMX set-up for engine specs: the bare long-mode machine of `vmxlab exec`
 * in root operation, a VMCS whose guest state is that same flat 64-bit
 * environment (guest code at 0x10000, identity paging), host state the
 * current root state, and the minimal valid controls of the profile. Every
 * field written here passes every entry check, so a spec that changes one
 * field sees exactly one failure.
 */
import { assemble } from "../../src/asm/assemble";
import { CS, DS, ES, FS, GS, RSP, SS } from "../../src/guest-cpu/registers";
import type { Cpu } from "../../src/guest-cpu/cpu";
import type { VmxCapabilities } from "../../src/vmcs/capabilities";
import { controlMask, type ControlNames, type ControlWord, CONTROL_WORDS } from "../../src/vmcs/controls";
import { getProfile } from "../../src/vmcs/profiles";
import { Vmcs } from "../../src/vmcs/vmcs";
import { VmxEngine } from "../../src/vmx/engine";
import { createBareMachine } from "../../src/vmm/bare";

export const GUEST_CODE = 0x10000, HOST_CODE = 0x20000, VMCS_ADDR = 0x30000;
export const GUEST_STACK = 0x80000, HOST_STACK = 0x90000;
export const IO_A = 0x40000, IO_B = 0x41000, MSR_BITMAP = 0x42000;

export interface Rig {
  cpu: Cpu;
  engine: VmxEngine;
  vmcs: Vmcs;
  caps: VmxCapabilities;
  set(name: string, v: bigint | number): void;
  get(name: string): bigint;
  /** Sets control bits by name (keeping the word's must-be-1 bits). */
  controls<W extends ControlWord>(word: W, names: ControlNames[W][]): void;
  /** Puts the VMCS back as rig() left it (specs that share one machine). */
  restore(): void;
  /** Enters (VMLAUNCH) and runs the guest until the first exit (or maxSteps). */
  launch(maxSteps?: number): ReturnType<Cpu["run"]> & { entry: ReturnType<VmxEngine["enter"]> };
}

export interface RigOptions {
  profile?: string;
  /** Guest code in Intel syntax (assembled at GUEST_CODE) or raw bytes. */
  code?: string | Uint8Array;
  memory?: number;
}

export function rig(o: RigOptions = {}): Rig {
  const caps = getProfile(o.profile ?? "default");
  const code = typeof o.code === "string" ? assemble(o.code, { org: GUEST_CODE }).bytes : (o.code ?? new Uint8Array([0xf4]));
  const cpu = createBareMachine(code, { memory: o.memory ?? 4 << 20, mode: "long64", load: GUEST_CODE });
  const s = cpu.s;
  // Root operation needs CR0.NE and CR4.VMXE (fixed bits); the bare machine sets neither.
  s.cr0 |= 0x20;
  s.cr4 |= 0x2000;
  cpu.mem.writeBytes(HOST_CODE, new Uint8Array([0xf4]));
  const vmcs = new Vmcs(VMCS_ADDR, caps.revisionId);
  const engine = new VmxEngine(cpu, { caps, stopOnExit: true });
  engine.state.inVmxOperation = true;
  engine.state.current = vmcs;
  const set = (name: string, v: bigint | number) => vmcs.write(name, BigInt.asUintN(64, BigInt(v)));
  const word = (w: ControlWord, v: bigint) => set(CONTROL_WORDS[w].field, caps.withRequired(w, v));
  word("pin", 0n);
  word("primary", controlMask("primary", ["activate-secondary-controls"]));
  word("secondary", 0n);
  word("exit", controlMask("exit", ["host-address-space-size"]));
  word("entry", controlMask("entry", ["ia32e-mode-guest"]));
  set("VMCS_LINK_POINTER", -1);
  set("CR3_TARGET_COUNT", 0);
  // Guest: the flat long-mode environment of the bare machine.
  set("GUEST_CR0", s.cr0 >>> 0);
  set("GUEST_CR3", s.cr3);
  set("GUEST_CR4", s.cr4);
  set("GUEST_DR7", 0x400);
  set("GUEST_RFLAGS", 2);
  set("GUEST_RIP", GUEST_CODE);
  set("GUEST_RSP", GUEST_STACK);
  const segs: [string, number][] = [["ES", ES], ["CS", CS], ["SS", SS], ["DS", DS], ["FS", FS], ["GS", GS]];
  for (const [n, i] of segs) {
    set(`GUEST_${n}_SELECTOR`, s.segSel[i]!);
    set(`GUEST_${n}_BASE`, 0);
    set(`GUEST_${n}_LIMIT`, 0xffff_ffff);
    set(`GUEST_${n}_AR_BYTES`, s.segAr[i]! | 1);
  }
  set("GUEST_LDTR_AR_BYTES", 0x1_0000);
  set("GUEST_TR_SELECTOR", 0);
  set("GUEST_TR_LIMIT", 0x67);
  set("GUEST_TR_AR_BYTES", 0x8b);
  set("GUEST_GDTR_BASE", s.gdtrBase);
  set("GUEST_GDTR_LIMIT", s.gdtrLimit);
  set("GUEST_IDTR_BASE", 0);
  set("GUEST_IDTR_LIMIT", 0);
  set("GUEST_IA32_PAT", 0x0007_0406_0007_0406n);
  set("GUEST_IA32_EFER", s.efer);
  // Host: the current root-mode state.
  set("HOST_CR0", s.cr0 >>> 0);
  set("HOST_CR3", s.cr3);
  set("HOST_CR4", s.cr4);
  set("HOST_CS_SELECTOR", 0x08);
  for (const n of ["SS", "DS", "ES", "FS", "GS"]) set(`HOST_${n}_SELECTOR`, 0x10);
  set("HOST_TR_SELECTOR", 0x20);
  set("HOST_GDTR_BASE", s.gdtrBase);
  set("HOST_RIP", HOST_CODE);
  set("HOST_RSP", HOST_STACK);
  set("HOST_IA32_PAT", 0x0007_0406_0007_0406n);
  set("HOST_IA32_EFER", s.efer);
  set("IO_BITMAP_A", IO_A);
  set("IO_BITMAP_B", IO_B);
  set("MSR_BITMAP", MSR_BITMAP);
  void RSP;
  const baseLo = vmcs.lo.slice(), baseHi = vmcs.hi.slice();
  return {
    cpu, engine, vmcs, caps, set,
    get: (name) => vmcs.read(name),
    controls(w, names) {
      const extra = w === "primary" ? ["activate-secondary-controls"] : w === "exit" ? ["host-address-space-size"] : w === "entry" ? ["ia32e-mode-guest"] : [];
      word(w, controlMask(w, [...extra, ...(names as string[])]));
    },
    restore() {
      vmcs.lo.set(baseLo);
      vmcs.hi.set(baseHi);
      vmcs.markAllChanged();
    },
    launch(maxSteps = 10_000) {
      const entry = engine.enter(vmcs, true);
      if (entry.kind !== "entered") return { stop: "exit", steps: 0, entry };
      return { ...cpu.run(maxSteps), entry };
    },
  };
}
