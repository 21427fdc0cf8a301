import {
  decodeCrAccess, encodeCrAccess, decodeIo, encodeIo, decodeDrAccess, encodeDrAccess, decodeEptViolation, encodeEptViolation,
  decodeTaskSwitch, encodeTaskSwitch, decodeDebugException, encodeDebugException, decodeApicAccess, encodeApicAccess,
  decodeInterruptionInfo, encodeInterruptionInfo, decodeExitReasonField, encodeExitReasonField, decodeInstructionInfo,
  encodeInstructionInfo, encodeQualification, Qualification, vectorNumber, vectorName,
} from "../../src/exits/qualification";
import { eptViolationQualification, EPT_QUAL } from "../../src/ept/qualification";
import { P_R } from "../../src/ept/format";

// Raw values are hand-assembled from the SDM's tables.
describe("CR-access qualification (SDM Vol. 3C Table 28-3)", () => {
  it.each([
    ["MOV CR0, RAX", 0x0n, { cr: 0, access: "mov-to-cr", gpr: "rax" }],
    ["MOV CR4, RBX", 0x304n, { cr: 4, access: "mov-to-cr", gpr: "rbx" }],
    ["MOV RCX, CR3", 0x113n, { cr: 3, access: "mov-from-cr", gpr: "rcx" }],
    ["MOV CR8, R12", 0xc08n, { cr: 8, access: "mov-to-cr", gpr: "r12" }],
    ["CLTS", 0x20n, { cr: 0, access: "clts" }],
    ["LMSW AX=1", 0x1_0030n, { access: "lmsw", lmswOperand: "register", lmswSource: 1 }],
    ["LMSW [mem]=0xfff1", 0xfff1_0070n, { access: "lmsw", lmswOperand: "memory", lmswSource: 0xfff1 }],
  ] as const)("%s ⇄ %s", (_what, raw, fields) => {
    expect(decodeCrAccess(raw)).toMatchObject(fields);
    expect(encodeCrAccess(fields)).toBe(raw);
  });
});

describe("MOV-DR qualification (Table 28-4)", () => {
  it("MOV RDX, DR7 is 0x217; MOV DR0, R9 is 0x900", () => {
    expect(decodeDrAccess(0x217n)).toEqual({ dr: 7, direction: "from-dr", gpr: "rdx" });
    expect(encodeDrAccess({ dr: 7, direction: "from-dr", gpr: "rdx" })).toBe(0x217n);
    expect(encodeDrAccess({ dr: 0, direction: "to-dr", gpr: "r9" })).toBe(0x900n);
  });
});

describe("I/O-instruction qualification (Table 28-5)", () => {
  it.each([
    ["OUT DX, AL to 0x3f8", 0x3f8_0000n, { size: 1, direction: "out", string: false, rep: false, operand: "dx", port: 0x3f8 }],
    ["IN AL, 0x60", 0x60_0048n, { size: 1, direction: "in", operand: "immediate", port: 0x60 }],
    ["REP OUTSW to DX=0x1f0", 0x1f0_0031n, { size: 2, direction: "out", string: true, rep: true, port: 0x1f0 }],
    ["IN EAX, DX=0xcfc", 0xcfc_000bn, { size: 4, direction: "in", port: 0xcfc }],
  ] as const)("%s", (_what, raw, fields) => {
    expect(decodeIo(raw)).toMatchObject(fields);
    expect(encodeIo(fields)).toBe(raw);
  });

  it("rejects bits 2:0 = 2, which is not a size", () => {
    expect(() => decodeIo(2n)).toThrow(/bits 2:0 = 2 is not an access size/);
  });
});

describe("EPT-violation qualification (Table 28-7) over src/ept's bit table", () => {
  it("a write to a not-present page through a linear address is 0x182", () => {
    const q = decodeEptViolation(0x182n);
    expect(q).toMatchObject({ write: true, read: false, readable: false, glaValid: true, translated: true });
    expect(encodeEptViolation({ write: true, glaValid: true, translated: true })).toBe(0x182n);
  });

  it("agrees with the EPT layer's own encoder", () => {
    const raw = eptViolationQualification({ access: EPT_QUAL.FETCH, eptPerms: P_R, mbec: false, glaValid: true, translated: true, advanced: null });
    expect(decodeEptViolation(BigInt(raw))).toMatchObject({ fetch: true, readable: true, writable: false, executable: false });
  });
});

describe("other qualifications", () => {
  it("task switch by JMP to TSS 0x28 (Table 28-2)", () => {
    expect(decodeTaskSwitch(0x8000_0028n)).toEqual({ selector: 0x28, source: "jmp" });
    expect(encodeTaskSwitch({ selector: 0x28, source: "jmp" })).toBe(0x8000_0028n);
  });
  it("#DB single step and DR1 hit (Table 28-1)", () => {
    expect(decodeDebugException(0x4002n)).toMatchObject({ breakpoints: 2, bs: true, bd: false });
    expect(encodeDebugException({ breakpoints: 2, bs: true })).toBe(0x4002n);
  });
  it("APIC access: linear write to offset 0xb0 (EOI) (Table 28-6)", () => {
    expect(decodeApicAccess(0x10b0n)).toEqual({ offset: 0xb0, access: "linear-write", asynchronous: false });
    expect(encodeApicAccess({ offset: 0xb0, access: "linear-write" })).toBe(0x10b0n);
  });
});

describe("event information fields (SDM Vol. 3C 25.8.3, 25.9.2, 25.9.3)", () => {
  it.each([
    ["#UD hardware exception", 0x8000_0306n, { vector: 6, type: "hardware-exception", errorCodeValid: false }],
    ["#GP with error code", 0x8000_0b0dn, { vector: 13, type: "hardware-exception", errorCodeValid: true }],
    ["INT3 software exception", 0x8000_0603n, { vector: 3, type: "software-exception" }],
    ["external interrupt 0x20", 0x8000_0020n, { vector: 0x20, type: "external-interrupt" }],
    ["NMI", 0x8000_0202n, { vector: 2, type: "nmi" }],
  ] as const)("%s is %s", (_w, raw, f) => {
    expect(decodeInterruptionInfo(raw)).toMatchObject({ valid: true, ...f });
    expect(encodeInterruptionInfo(f)).toBe(raw);
  });

  it("names vectors both ways", () => {
    expect(vectorNumber("#GP")).toBe(13);
    expect(vectorNumber("ud")).toBe(6);
    expect(vectorNumber(0x20)).toBe(0x20);
    expect(vectorName(14)).toBe("#PF");
    expect(() => vectorNumber("XX")).toThrow(/not an exception name/);
  });
});

describe("exit-reason field (25.9.1) and instruction information (28.2.5)", () => {
  it("0x80000021 is a VM-entry failure with INVALID_GUEST_STATE", () => {
    expect(decodeExitReasonField(0x8000_0021n)).toMatchObject({ basic: 33, name: "INVALID_GUEST_STATE", entryFailure: true });
    expect(encodeExitReasonField({ basic: 33, entryFailure: true })).toBe(0x8000_0021n);
  });

  it("VMWRITE RDX, RAX: reg1 = RAX (register operand), reg2 = RDX, 64-bit addressing", () => {
    const i = decodeInstructionInfo(0x2000_0500n);
    expect(i).toMatchObject({ reg1: "rax", registerOperand: true, reg2: "rdx", addressSize: 64 });
  });

  it("round-trips a memory operand [RBX + RCX*8] in GS", () => {
    const f = { scale: 8, addressSize: 64, segment: "gs", index: "rcx", base: "rbx", reg2: "r10" } as const;
    expect(decodeInstructionInfo(encodeInstructionInfo(f))).toMatchObject(f);
  });
});

describe("Qualification views by exit reason", () => {
  it("gives the view that fits the reason", () => {
    const q = new Qualification("IO_INSTRUCTION", encodeQualification("IO_INSTRUCTION", { io: { port: 0xf4, direction: "out", size: 4 } }));
    expect(q.io.port).toBe(0xf4);
    expect(q.io.size).toBe(4);
  });

  it("refuses a view that does not fit, naming both", () => {
    const q = new Qualification("CPUID", 0n);
    expect(() => q.io).toThrow(/exit.qualification.io read on a CPUID exit/);
    expect(() => encodeQualification("CPUID", { cr: { cr: 0 } })).toThrow(/does not fit a CPUID exit/);
  });

  it("#PF exits carry the linear address; #DB exits the debug bits", () => {
    expect(new Qualification("EXCEPTION_NMI", 0xdead000n, 14).linearAddress).toBe(0xdead000n);
    expect(new Qualification("EXCEPTION_NMI", 0x4000n, 1).debug.bs).toBe(true);
    expect(() => new Qualification("EXCEPTION_NMI", 0n, 14).debug).toThrow(/only #DB/);
  });
});

describe("one-line summaries", () => {
  it.each([
    ["CR_ACCESS", 0x113n, undefined, "MOV RCX, CR3"],
    ["CR_ACCESS", 0x0n, undefined, "MOV CR0, RAX"],
    ["CR_ACCESS", 0x20n, undefined, "CLTS"],
    ["DR_ACCESS", 0x217n, undefined, "MOV RDX, DR7"],
    ["IO_INSTRUCTION", 0x3f8_0000n, undefined, "OUT byte to port 0x3f8 (DX)"],
    ["IO_INSTRUCTION", 0x1f0_0031n, undefined, "REP OUTS word to port 0x1f0 (DX)"],
    ["EPT_VIOLATION", 0x182n, undefined, "write; EPT allowed nothing (not present); linear address translated"],
    ["EPT_VIOLATION", 0x18cn, undefined, "instruction fetch; EPT allowed r--; linear address translated"],
    ["TASK_SWITCH", 0x8000_0028n, undefined, "JMP to TSS selector 0x28"],
    ["EXCEPTION_NMI", 0xdead_0000n, 14, "#PF at linear address 0xdead0000"],
    ["EXCEPTION_NMI", 0x4002n, 1, "#DB B1 BS"],
    ["INVLPG", 0x1000n, undefined, "linear address 0x1000"],
    ["CPUID", 0n, undefined, ""],
  ] as const)("%s %s", (reason, raw, vector, text) => {
    expect(new Qualification(reason, raw, vector).summary()).toBe(text);
  });
});
