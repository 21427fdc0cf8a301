/** A bare root-mode processor with VMX attached, ready for VMXON (CR0.NE and CR4.VMXE set), for instruction specs. */
import { CpuFault } from "../../../src/guest-cpu/exceptions";
import { CR0, CR4 } from "../../../src/guest-cpu/registers";
import { createBareMachine } from "../../../src/vmm/bare";
import type { VmxResult } from "../../../src/vmx/instructions/common";
import { attachVmx, type VmxUnitImpl } from "../../../src/vmx/vmx-unit";

export const VMXON_REGION = 0x20_0000;
export const VMCS_A = 0x20_1000;
export const VMCS_B = 0x20_2000;

export function rig(profile = "default") {
  const cpu = createBareMachine(new Uint8Array([0xf4]), { memory: 4 << 20, mode: "long64", load: 0x10000 });
  const vmx: VmxUnitImpl = attachVmx(cpu, profile);
  cpu.s.cr0 |= CR0.NE;
  cpu.s.cr4 |= CR4.VMXE;
  const rev = vmx.caps.revisionId;
  for (const a of [VMXON_REGION, VMCS_A, VMCS_B]) cpu.mem.write32(a, rev);
  return { cpu, s: cpu.s, mem: cpu.mem, vmx, st: vmx.state, rev };
}

/** Runs `f` and returns the fault name it raised (#UD, #GP), or the result. */
export function outcome(f: () => VmxResult): string {
  try {
    const r = f();
    return r.kind === "failValid" ? `failValid(${r.error})` : r.kind;
  } catch (e) {
    if (e instanceof CpuFault) return e.name;
    throw e;
  }
}
