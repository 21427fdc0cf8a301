import { fakeVcpu } from "../../../src/testing";

const hexBytes = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

describe("descriptor-table exits (descriptor-table-exiting; SDM Vol. 3C Tables 28-10, 28-11)", () => {
  it("SGDT [RBX+8] stores the 10-byte pseudo-descriptor in 64-bit mode", () => {
    const v = fakeVcpu({
      exit: { reason: "GDTR_IDTR", qualification: { displacement: 8 }, instructionInfo: { base: "rbx", addressSize: 64, segment: "ds", identity: 0 } },
      regs: { rbx: 0x3000 },
      vmcs: { GUEST_GDTR_BASE: 0xffff_8000_0000_7ce8n, GUEST_GDTR_LIMIT: 0x1f },
      memory: { 0x3000: new Uint8Array(32) },
    });
    v.handle();
    expect(hexBytes(v.physical(0x3008, 10))).toBe("1f 00 e8 7c 00 00 00 80 ff ff");
    expect(v).toHaveAdvancedRip(3);
  });

  it("LIDT [RAX+RCX*4] loads IDTR base and limit", () => {
    const v = fakeVcpu({
      exit: { reason: "GDTR_IDTR", instructionInfo: { base: "rax", index: "rcx", scale: 4, identity: 3 } },
      regs: { rax: 0x3000, rcx: 2 },
      memory: { 0x3008: [0xff, 0x0f, 0x00, 0x50, 0, 0, 0, 0, 0, 0] },
    });
    v.handle();
    expect(v).toHaveWrittenVmcs("GUEST_IDTR_LIMIT", 0xfffn);
    expect(v).toHaveWrittenVmcs("GUEST_IDTR_BASE", 0x5000n);
  });

  it("SIDT in 32-bit mode adds the segment base and stores a 4-byte base", () => {
    const v = fakeVcpu({
      mode: "protected32",
      exit: { reason: "GDTR_IDTR", qualification: { displacement: 0x10 }, instructionInfo: { segment: "fs", addressSize: 32, identity: 1 } },
      vmcs: { GUEST_FS_BASE: 0x2000, GUEST_IDTR_BASE: 0x1234_5678, GUEST_IDTR_LIMIT: 0x7ff },
      memory: { 0x2010: new Uint8Array(6) },
    });
    v.handle();
    expect(hexBytes(v.physical(0x2010, 6))).toBe("ff 07 78 56 34 12");
  });

  it("STR EAX puts the TR selector in the register", () => {
    const v = fakeVcpu({ exit: { reason: "LDTR_TR", instructionInfo: { registerOperand: true, reg1: "rax", identity: 1 } }, regs: { rax: -1n }, vmcs: { GUEST_TR_SELECTOR: 0x28 } });
    v.handle();
    expect(v.regs.rax).toBe(0x28n);
    expect(v).toHaveAdvancedRip();
  });

  it("SLDT [RDI] stores the LDTR selector", () => {
    const v = fakeVcpu({ exit: { reason: "LDTR_TR", instructionInfo: { base: "rdi", identity: 0 } }, regs: { rdi: 0x4000 }, vmcs: { GUEST_LDTR_SELECTOR: 0x30 }, memory: { 0x4000: [0, 0] } });
    v.handle();
    expect(Array.from(v.physical(0x4000, 2))).toEqual([0x30, 0]);
  });

  it("LTR is left to a custom handler", () => {
    const v = fakeVcpu({ exit: { reason: "LDTR_TR", instructionInfo: { registerOperand: true, identity: 3 } } });
    v.handle();
    expect(v).toHaveExitedToUserspace("internal-error", { reason: "LDTR_TR" });
  });

  it("SGDT to an unmapped page is a #PF (write) for the guest", () => {
    const v = fakeVcpu({ exit: { reason: "GDTR_IDTR", instructionInfo: { base: "rbx", identity: 0 } }, regs: { rbx: 0x9000 }, translate: () => undefined });
    v.handle();
    expect(v).toHaveInjected({ vector: "PF", errorCode: 2 });
    expect(v.regs.cr2).toBe(0x9000n);
    expect(v).not.toHaveAdvancedRip();
  });
});
