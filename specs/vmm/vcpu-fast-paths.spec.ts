/**
 * RealVcpu's numeric fast paths (issue 6 performance) give what the generic
 * bigint routes of VcpuBase give: 64-bit RIP wraps at 2^64 and EIP at 2^32
 * (KVM's kvm_rip_write), STI/MOV-SS blocking ends, GPR writes truncate to 64
 * bits; the lazily decoded exit view still reports what the exit wrote.
 */
import type { Vcpu } from "../../src/exits/vcpu";
import { Vm } from "../../src/vmm/vm";

function atCpuid(mode: "long64" | "protected32", check: (vcpu: Vcpu) => void): void {
  let ran = false;
  const vm = new Vm({
    mode, memory: 1 << 20, asm: "cpuid\nhlt",
    handlers: { CPUID: (vcpu) => { check(vcpu); ran = true; vcpu.stop("checked"); } },
  });
  const r = vm.run();
  expect(r.stopReason).toBe("stopped");
  expect(ran).toBe(true);
}

describe("RealVcpu fast paths agree with the bigint routes", () => {
  it("advanceRip wraps RIP at 2^64 in 64-bit mode and ends STI blocking", () => {
    atCpuid("long64", (v) => {
      expect(v.exit.instructionLength).toBe(2);
      v.rip = 0xffff_ffff_ffff_ffffn;
      v.vmwrite("GUEST_INTERRUPTIBILITY_INFO", 1n);
      v.advanceRip();
      expect(v.rip).toBe(1n);
      expect(v.vmread("GUEST_INTERRUPTIBILITY_INFO")).toBe(0n);
      v.rip = 0xffff_8000_ffff_fffen;
      v.advanceRip(5);
      expect(v.rip).toBe(0xffff_8001_0000_0003n);
    });
  });

  it("advanceRip wraps EIP at 2^32 outside 64-bit mode", () => {
    atCpuid("protected32", (v) => {
      v.rip = 0xffff_ffffn;
      v.advanceRip(3);
      expect(v.rip).toBe(2n);
    });
  });

  it("GPR writes keep bits 63:0 (negative values two's complement), RSP stays in the VMCS", () => {
    atCpuid("long64", (v) => {
      v.setReg("rbx", -1n);
      expect(v.getReg("rbx")).toBe(0xffff_ffff_ffff_ffffn);
      v.setReg("rcx", (1n << 64n) | 0x1234_5678_9abc_def0n);
      expect(v.regs.rcx).toBe(0x1234_5678_9abc_def0n);
      v.setReg("rsp", 0x8000n);
      expect(v.vmread("GUEST_RSP")).toBe(0x8000n);
      expect(() => v.setReg("rdx", 5 as unknown as bigint)).toThrow(TypeError);
    });
  });

  it("the lazy exit view reports what the exit wrote, even after a VMWRITE to an exit-information field", () => {
    atCpuid("long64", (v) => {
      const exit = v.exit;
      v.vmwrite("EXIT_QUALIFICATION", 0x55n);
      expect(exit.qualification.raw).toBe(0n);
      expect(exit.idtVectoring.valid).toBe(false);
      expect(exit).toMatchObject({ reason: "CPUID", basicReason: 10, entryFailure: false, interruptionErrorCode: undefined });
    });
  });
});
