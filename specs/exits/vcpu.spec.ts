import { readExitInfo, MsrStore } from "../../src/exits/vcpu";
import { fakeVcpu } from "../../src/testing";

describe("readExitInfo: the typed exit view from the VM-exit information fields (SDM Vol. 3C 25.9)", () => {
  const fields: Record<string, bigint> = {
    VM_EXIT_REASON: 0x30n, EXIT_QUALIFICATION: 0x181n, VM_EXIT_INSTRUCTION_LEN: 0n, VMX_INSTRUCTION_INFO: 0n,
    GUEST_LINEAR_ADDRESS: 0xffff_8000_0000_1000n, GUEST_PHYSICAL_ADDRESS: 0x1000n, VM_EXIT_INTR_INFO: 0n,
    IDT_VECTORING_INFO_FIELD: 0x8000_0b0en, IDT_VECTORING_ERROR_CODE: 2n, GUEST_RIP: 0x10000n,
  };
  const e = readExitInfo((f) => fields[f] ?? 0n);

  it("names the reason and decodes its qualification", () => {
    expect(e).toMatchObject({ reason: "EPT_VIOLATION", basicReason: 48, entryFailure: false, guestPhysicalAddress: 0x1000n });
    expect(e.qualification.ept).toMatchObject({ read: true, glaValid: true, translated: true, write: false });
  });

  it("decodes IDT-vectoring information with its error code", () => {
    expect(e.idtVectoring).toMatchObject({ valid: true, vector: 14, type: "hardware-exception", errorCodeValid: true });
    expect(e.idtVectoringErrorCode).toBe(2);
    expect(e.interruption.valid).toBe(false);
    expect(e.interruptionErrorCode).toBeUndefined();
  });

  it("refuses basic reasons the SDM does not define", () => {
    expect(() => readExitInfo((f) => (f === "VM_EXIT_REASON" ? 35n : 0n))).toThrow(/basic exit reason 35, which the SDM does not define/);
  });
});

describe("inject: VM-entry event injection (SDM Vol. 3C 27.6, entry checks 27.2.1.3)", () => {
  it.each([
    [{ vector: "UD" }, 0x8000_0306n, undefined, undefined],
    [{ vector: "GP", errorCode: 0x18 }, 0x8000_0b0dn, 0x18n, undefined],
    [{ vector: "PF" }, 0x8000_0b0en, 0n, undefined], // #PF always pushes an error code: default 0
    [{ vector: 2 }, 0x8000_0202n, undefined, undefined],
    [{ vector: 0x20 }, 0x8000_0020n, undefined, undefined],
    [{ vector: 0x80, type: "software-interrupt", instructionLength: 2 }, 0x8000_0480n, undefined, 2n],
    [{ vector: "BP" }, 0x8000_0603n, undefined, 3n], // INT3: software exception, length of the exiting instruction (the fake's VMCALL: 3)
    [{ vector: "UD", errorCode: 5 }, 0x8000_0306n, undefined, undefined], // #UD has no error code: ignored
  ] as const)("%j → VM_ENTRY_INTR_INFO_FIELD %s", (ev, info, code, len) => {
    const v = fakeVcpu({ exit: "VMCALL" });
    v.inject(ev);
    expect(v.vmread("VM_ENTRY_INTR_INFO_FIELD")).toBe(info);
    if (code === undefined) expect(v).not.toHaveWrittenVmcs("VM_ENTRY_EXCEPTION_ERROR_CODE");
    else expect(v).toHaveWrittenVmcs("VM_ENTRY_EXCEPTION_ERROR_CODE", code);
    if (len === undefined) expect(v).not.toHaveWrittenVmcs("VM_ENTRY_INSTRUCTION_LEN");
    else expect(v).toHaveWrittenVmcs("VM_ENTRY_INSTRUCTION_LEN", len);
  });

  it("rejects an unknown exception name or event type", () => {
    const v = fakeVcpu();
    expect(() => v.inject({ vector: "XX" })).toThrow(/'XX' is not an exception name/);
    expect(() => v.inject({ vector: 1, type: "interrupt" as never })).toThrow(/'interrupt' is not an event type/);
  });
});

describe("registers and MSRs", () => {
  it("the regs record reads and writes through getReg/setReg, 64-bit unsigned", () => {
    const v = fakeVcpu();
    v.regs.r15 = -1n;
    expect(v.regs.r15).toBe(0xffff_ffff_ffff_ffffn);
    expect(Object.keys(v.regs)).toContain("xcr0");
    v.rip = 0x2000n;
    expect(v.vmread("GUEST_RIP")).toBe(0x2000n);
  });

  it("MsrStore keeps 64-bit values by 32-bit index", () => {
    const m = new MsrStore({ 0x10: 5 });
    m.set(0xc000_0080, -1n);
    expect(m.get(0xc000_0080)).toBe(0xffff_ffff_ffff_ffffn);
    expect(m.entries().map(([k]) => k)).toEqual([0x10, 0xc000_0080]);
  });
});
