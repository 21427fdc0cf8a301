import { fakeVcpu } from "../../../src/testing";
import { HYPERVISOR_SIGNATURE } from "../../../src/exits/handlers/cpuid";

const VMX = 1n << 5n, HYPERVISOR = 1n << 31n, OSXSAVE = 1n << 27n;

describe("CPUID exit (unconditional, SDM Vol. 3C 26.1.2)", () => {
  it("answers leaf 0 with the vendor string and advances RIP by 2", () => {
    const v = fakeVcpu({ exit: "CPUID", regs: { rax: 0, rcx: 0, rbx: 0xffff_ffff_0000_0000n } });
    v.handle();
    const s = [v.regs.rbx, v.regs.rdx, v.regs.rcx].map((r) => Buffer.from(Uint32Array.of(Number(r)).buffer).toString("latin1")).join("");
    expect(s).toBe("GenuineIntel");
    expect(v.regs.rbx >> 32n).toBe(0n); // 32-bit results zero-extend
    expect(v).toHaveAdvancedRip(2);
    expect(v.rip).toBe(0x10002n);
    expect(v).toHaveResumed();
  });

  it.each([
    [false, 0n],
    [true, VMX],
  ])("leaf 1 shows VMX only with nested virtualization (nested=%s)", (nested, bit) => {
    const v = fakeVcpu({ exit: "CPUID", regs: { rax: 1 }, vm: { nested } });
    v.handle();
    expect(v.regs.rcx & VMX).toBe(bit);
    expect(v.regs.rcx & HYPERVISOR).toBe(HYPERVISOR);
  });

  it("mirrors the guest's CR4.OSXSAVE in leaf 1 ECX bit 27", () => {
    const off = fakeVcpu({ exit: "CPUID", regs: { rax: 1 } });
    off.handle();
    expect(off.regs.rcx & OSXSAVE).toBe(0n);
    const on = fakeVcpu({ exit: "CPUID", regs: { rax: 1 }, vmcs: { CR4_READ_SHADOW: 0x40020n, GUEST_CR4: 0x42020n } });
    on.handle();
    expect(on.regs.rcx & OSXSAVE).toBe(OSXSAVE);
  });

  it("reports the hypervisor leaf 0x40000000", () => {
    const v = fakeVcpu({ exit: "CPUID", regs: { rax: 0x4000_0000 } });
    v.handle();
    expect(v.regs.rax).toBe(0x4000_0001n);
    const sig = [v.regs.rbx, v.regs.rcx, v.regs.rdx].map((r) => Buffer.from(Uint32Array.of(Number(r)).buffer).toString("latin1")).join("");
    expect(sig).toBe(HYPERVISOR_SIGNATURE);
  });

  it("takes the base values from the VM's CPU profile when it has one", () => {
    const v = fakeVcpu({ exit: "CPUID", regs: { rax: 7, rcx: 0 }, vm: { cpuid: () => [1, 2, 3, 4] } });
    v.handle();
    expect([v.regs.rax, v.regs.rbx, v.regs.rcx, v.regs.rdx]).toEqual([1n, 2n, 3n, 4n]);
  });
});
