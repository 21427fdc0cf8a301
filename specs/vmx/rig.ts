/**
 * A VMX set-up for engine specs: the bare long-mode machine of `vmxlab exec`
 * in root operation, a VMCS whose guest state is that same flat 64-bit
 * environment (guest code at 0x10000, identity paging), host state the
 * current root state, and the minimal valid controls of the profile. Every
 * field written here passes every entry check, so a spec that changes one
 * field sees exactly one failure.
 */
import { assemble } from "../../src/asm/assemble";
import { RSP } from "../../src/guest-cpu/registers";
import type { Cpu } from "../../src/guest-cpu/cpu";
import type { VmxCapabilities } from "../../src/vmcs/capabilities";
import { controlMask, type ControlNames, type ControlWord, CONTROL_WORDS } from "../../src/vmcs/controls";
import { getProfile } from "../../src/vmcs/profiles";
import { Vmcs } from "../../src/vmcs/vmcs";
import { VmxEngine } from "../../src/vmx/engine";
import { prepareRoot, writeFlatVmcs } from "../../src/vmx/testbed";
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
  /** Attach the VMX unit too (VMX instructions in machine code) and choose stopOnExit (default true). */
  unit?: boolean;
  stopOnExit?: boolean;
}

export function rig(o: RigOptions = {}): Rig {
  const caps = getProfile(o.profile ?? "default");
  const code = typeof o.code === "string" ? assemble(o.code, { org: GUEST_CODE }).bytes : (o.code ?? new Uint8Array([0xf4]));
  const cpu = createBareMachine(code, { memory: o.memory ?? 4 << 20, mode: "long64", load: GUEST_CODE });
  prepareRoot(cpu);
  cpu.mem.writeBytes(HOST_CODE, new Uint8Array([0xf4]));
  const vmcs = new Vmcs(VMCS_ADDR, caps.revisionId);
  const engine = o.unit
    ? VmxEngine.attach(cpu, { profile: caps, stopOnExit: o.stopOnExit ?? true })
    : new VmxEngine(cpu, { caps, stopOnExit: o.stopOnExit ?? true });
  engine.state.inVmxOperation = true;
  engine.state.current = vmcs;
  const set = (name: string, v: bigint | number) => vmcs.write(name, BigInt.asUintN(64, BigInt(v)));
  const word = (w: ControlWord, v: bigint) => set(CONTROL_WORDS[w].field, caps.withRequired(w, v));
  writeFlatVmcs(cpu, vmcs, caps);
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
