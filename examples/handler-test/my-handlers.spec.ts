/**
 * Testing your own exit handlers with vmxlab's harness: build an exit with
 * fakeVcpu (no guest runs), call the handler, assert with the matchers.
 * (Outside this repository: `import { fakeVcpu } from "vmxlab/testing"`.)
 */
import { fakeVcpu } from "../../src/testing";
import { cpuidWithoutRdrand, deterministicRdtsc, postCodeLogger } from "./my-handlers";

const RDRAND = 1n << 30n;

describe("cpuidWithoutRdrand", () => {
  it("hides RDRAND and keeps the rest of the default answer", () => {
    const vcpu = fakeVcpu({ exit: "CPUID", regs: { rax: 1 } });
    vcpu.handle(cpuidWithoutRdrand);
    expect(vcpu.regs.rcx & RDRAND).toBe(0n);
    expect(vcpu.regs.rcx & (1n << 31n)).toBe(1n << 31n); // the default's "hypervisor present" bit
    expect(vcpu).toHaveAdvancedRip(2); // CPUID is 0F A2
    expect(vcpu).toHaveResumed();
  });

  it("leaves other leaves alone", () => {
    const vcpu = fakeVcpu({ exit: "CPUID", regs: { rax: 0 } });
    vcpu.handle(cpuidWithoutRdrand);
    expect(vcpu.regs.rax).toBe(0xdn);
  });
});

describe("deterministicRdtsc", () => {
  it("counts up by the step on every exit", () => {
    const handler = deterministicRdtsc(0x8000_0000n);
    const first = fakeVcpu({ exit: "RDTSC" });
    first.handle(handler);
    const second = fakeVcpu({ exit: "RDTSC" });
    second.handle(handler);
    expect([second.regs.rdx, second.regs.rax]).toEqual([1n, 0n]);
    expect(second).toHaveAdvancedRip(2);
  });
});

describe("postCodeLogger", () => {
  it("swallows OUT 0x80 in the hypervisor", () => {
    const log: number[] = [];
    const vcpu = fakeVcpu({
      exit: { reason: "IO_INSTRUCTION", instructionLength: 2, qualification: { io: { port: 0x80, direction: "out", size: 1, operand: "immediate" } } },
      regs: { rax: 0x55 },
    });
    vcpu.handle(postCodeLogger(log));
    expect(log).toEqual([0x55]);
    expect(vcpu).toHaveAdvancedRip(2);
    expect(vcpu).toHaveResumed();
  });

  it("sends every other port to userspace through the default", () => {
    const vcpu = fakeVcpu({ exit: { reason: "IO_INSTRUCTION", qualification: { io: { port: 0x3f8, direction: "out", size: 1 } } }, regs: { rax: 0x41 } });
    vcpu.handle(postCodeLogger([]));
    expect(vcpu).toHaveExitedToUserspace("io", { port: 0x3f8, value: 0x41 });
  });

  it("does not inject anything", () => {
    const vcpu = fakeVcpu({ exit: { reason: "IO_INSTRUCTION", qualification: { io: { port: 0x80 } } } });
    vcpu.handle(postCodeLogger([]));
    expect(vcpu).not.toHaveInjected({ vector: "GP" });
    expect(vcpu).not.toHaveWrittenVmcs("VM_ENTRY_INTR_INFO_FIELD");
  });
});
