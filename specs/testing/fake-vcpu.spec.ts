import { fakeVcpu, FakeVcpu, vmxlabMatchers } from "../../src/testing";

describe("fakeVcpu builds an exit without running a guest", () => {
  it("from typed fields: reason and decoded qualification", () => {
    const v = fakeVcpu({ exit: { reason: "IO_INSTRUCTION", qualification: { io: { port: 0x3f8, direction: "out", size: 1 } } } });
    expect(v.exit.reason).toBe("IO_INSTRUCTION");
    expect(v.exit.basicReason).toBe(30);
    expect(v.vmread("EXIT_QUALIFICATION")).toBe(0x3f8_0000n);
    expect(v.exit.qualification.io).toMatchObject({ port: 0x3f8, direction: "out", size: 1 });
    expect(v.exit.instructionLength).toBe(1);
  });

  it("from raw values: a reason number and a raw qualification", () => {
    const v = fakeVcpu({ exit: { reason: 28, qualification: 0x113n } });
    expect(v.exit.reason).toBe("CR_ACCESS");
    expect(v.exit.qualification.cr).toEqual({ cr: 3, access: "mov-from-cr", lmswOperand: "register", gpr: "rcx", lmswSource: 0 });
  });

  it("puts RSP/RIP/RFLAGS/CRs in the VMCS and the other registers in the vCPU", () => {
    const v = fakeVcpu({ regs: { rip: 0x1234, rsp: 0x8000, rax: 1, cr2: 5 } });
    expect(v.vmread("GUEST_RIP")).toBe(0x1234n);
    expect(v.vmread("GUEST_RSP")).toBe(0x8000n);
    expect(v.regs.rax).toBe(1n);
    expect(v.regs.cr2).toBe(5n);
  });

  it("truncates VMWRITEs to the field width and supports _HIGH halves", () => {
    const v = fakeVcpu({ vmcs: { GUEST_ES_SELECTOR: 0x12345n, TSC_OFFSET: 0x1_0000_0002n } });
    expect(v.vmread("GUEST_ES_SELECTOR")).toBe(0x2345n);
    expect(v.vmread("TSC_OFFSET_HIGH")).toBe(1n);
    v.vmwrite("TSC_OFFSET_HIGH", 7n);
    expect(v.vmread("TSC_OFFSET")).toBe(0x7_0000_0002n);
  });

  it("records VMWRITEs, register writes and memory writes the handler makes (not the set-up)", () => {
    const v = fakeVcpu({ regs: { rax: 1 }, memory: { 0x1000: [0, 0] } });
    expect(v.record).toMatchObject({ vmwrites: [], regWrites: [], memoryWrites: [] });
    v.regs.rbx = 2n;
    v.writeGuest(0x1000n, Uint8Array.of(9));
    expect(v.record.regWrites).toEqual([{ name: "rbx", value: 2n }]);
    expect(v.record.memoryWrites[0]).toMatchObject({ address: 0x1000n, space: "linear" });
    expect(Array.from(v.physical(0x1000, 2))).toEqual([9, 0]);
  });

  it.each([
    [{ vmcs: { GUEST_RIPP: 1 } } as never, /'GUEST_RIPP' is not a VMCS field name/],
    [{ regs: { rxx: 1 } } as never, /'rxx' is not a register/],
    [{ exit: "CPUDI" }, /'CPUDI' is not an exit reason; did you mean 'CPUID'/],
    [{ exit: "EXCEPTION_NMI" }, /needs `interruption: \{ vector \}`/],
    [{ exit: { reason: "CPUID", qualification: { io: { port: 1 } } } }, /qualification.io does not fit a CPUID exit/],
  ])("rejects bad set-ups clearly (%#)", (opts, message) => {
    expect(() => fakeVcpu(opts)).toThrow(message);
  });

  it("reads of unmapped guest memory fail with the address", () => {
    const v = fakeVcpu();
    expect(() => v.readGuest(0x9000n, 4)).toThrow(/guest-physical address 0x9000 is not backed/);
    const paged = fakeVcpu({ translate: () => undefined });
    expect(() => paged.readGuest(0x9000n, 4)).toThrow(/linear address 0x9000 is not mapped/);
  });

  it("a handler reading the wrong qualification view fails with the reason", () => {
    const v = fakeVcpu({ exit: "HLT" });
    expect(() => v.handle((vcpu) => void vcpu.exit.qualification.ept)).toThrow(/exit.qualification.ept read on a HLT exit/);
  });

  it("advanceRip in 32-bit mode wraps at 4 GiB and clears STI blocking", () => {
    const v = fakeVcpu({ mode: "protected32", exit: "CPUID", regs: { rip: 0xffff_ffff }, vmcs: { GUEST_INTERRUPTIBILITY_INFO: 1 } });
    v.advanceRip();
    expect(v.rip).toBe(1n);
    expect(v.vmread("GUEST_INTERRUPTIBILITY_INFO")).toBe(0n);
  });
});

describe("matchers explain their failures", () => {
  const msg = (r: { message: () => string }) => r.message();

  it("toHaveAdvancedRip", () => {
    const v = fakeVcpu({ exit: "CPUID" });
    expect(msg(vmxlabMatchers.toHaveAdvancedRip(v))).toMatch(/expected RIP to be advanced by 2 \(the exit's VM_EXIT_INSTRUCTION_LEN\), but advanceRip\(\) was not called/);
    v.advanceRip(1);
    expect(msg(vmxlabMatchers.toHaveAdvancedRip(v))).toMatch(/but it moved by 1/);
  });

  it("toHaveInjected", () => {
    const v = fakeVcpu();
    expect(msg(vmxlabMatchers.toHaveInjected(v, { vector: "GP", errorCode: 0 }))).toBe(
      "expected the handler to inject #GP error code 0x0, but it injected nothing (VM_ENTRY_INTR_INFO_FIELD valid bit clear)",
    );
    v.inject({ vector: "UD" });
    expect(msg(vmxlabMatchers.toHaveInjected(v, { vector: "GP" }))).toMatch(/but it injected #UD \(hardware-exception\)/);
  });

  it("toHaveWrittenVmcs", () => {
    const v = fakeVcpu();
    v.vmwrite("GUEST_CR3", 0x2000n);
    expect(msg(vmxlabMatchers.toHaveWrittenVmcs(v, "GUEST_CR0"))).toMatch(/not written \(written: GUEST_CR3\)/);
    expect(msg(vmxlabMatchers.toHaveWrittenVmcs(v, "GUEST_CR3", 0x1000n))).toMatch(/written with 0x1000, but its last write was 0x2000/);
  });

  it("toHaveExitedToUserspace / toHaveResumed / toHaveStopped", () => {
    const v = fakeVcpu();
    v.toUserspace("hlt", {});
    expect(msg(vmxlabMatchers.toHaveExitedToUserspace(v, "io"))).toMatch(/expected a 'io' userspace exit, but got a userspace exit \{"kind":"hlt"\}/);
    expect(msg(vmxlabMatchers.toHaveResumed(v))).toMatch(/but it decided a userspace exit/);
    expect(msg(vmxlabMatchers.toHaveStopped(v))).toMatch(/expected the handler to stop the run/);
  });

  it("refuse what is not a fake vCPU", () => {
    expect(() => vmxlabMatchers.toHaveResumed({})).toThrow(/expected a vCPU from fakeVcpu\(\)/);
    expect(fakeVcpu()).toBeInstanceOf(FakeVcpu);
  });
});
