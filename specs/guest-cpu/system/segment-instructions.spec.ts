/**
 * SYSENTER/SYSEXIT (SDM Vol. 2B), LAR, LSL, VERR, VERW (Vol. 2A/2B: ZF reports
 * whether the selector is usable from the current privilege), ARPL and BOUND
 * (#BR) in 32-bit code.
 */
import { MSR } from "../../../src/guest-cpu/msrs";
import { L, runSys, SEL } from "../support/system-machine";

const wrmsr = (index: number, value: number) => `mov ecx, 0x${index.toString(16)}\nmov eax, 0x${value.toString(16)}\nxor edx, edx\nwrmsr`;

describe("SYSENTER and SYSEXIT", () => {
  it("SYSEXITQ to ring 3 (CS = SYSENTER_CS + 32), SYSENTER back to ring 0 at SYSENTER_EIP/ESP", () => {
    // SYSENTER_CS = 0x08 would put ring-3 CS at 0x28 (UCODE64) and SS at 0x30: use CS 0x08 with SS 0x10 for ring 0.
    const code = `
      ${wrmsr(MSR.IA32_SYSENTER_CS, 0x08)}
      ${wrmsr(MSR.IA32_SYSENTER_EIP, L.data + 0x1000)}
      ${wrmsr(MSR.IA32_SYSENTER_ESP, 0x44000)}
      lea rdx, [rip + user]
      mov rcx, ${L.userRsp}
      sysexitq
      user: mov rbx, rsp
      sysenter`;
    const r = runSys(code, { extra: "mov rsi, rsp\nhlt" });
    expect(r.stop).toBe("hlt");
    expect(r.reg("rbx")).toBe(BigInt(L.userRsp));
    expect(r.reg("rsi")).toBe(0x44000n);
    expect(r.cpu.s.cpl).toBe(0);
    expect(r.cpu.s.segSel[1]).toBe(0x08);
  });

  it("SYSENTER with IA32_SYSENTER_CS = 0 is #GP(0)", () => {
    expect(runSys("sysenter").faults).toEqual(["#GP(0x0)"]);
  });
});

describe("LAR, LSL, VERR, VERW", () => {
  type Row = [what: string, sel: number, user: boolean, lar: bigint | null, lsl: bigint | null, verr: boolean, verw: boolean];
  const rows: Row[] = [
    ["kernel data at CPL 0", SEL.KDATA, false, 0x00cf9300n, 0xffffffffn, true, true],
    ["kernel code at CPL 0", SEL.KCODE64, false, 0x00af9b00n, 0xffffffffn, true, false],
    ["kernel data at CPL 3 (DPL < CPL)", SEL.KDATA | 3, true, null, null, false, false],
    ["user data at CPL 3", SEL.UDATA, true, 0x00cff300n, 0xffffffffn, true, true],
    ["the TSS (system type 11 in IA-32e mode)", SEL.TSS, false, 0x00008b00n, 0xe8n, false, false], // limit 0xe8: TSS + 1024-port bitmap + 0xff,
    ["a null selector", 0, false, null, null, false, false],
    ["a selector beyond the GDT limit", 0x400, false, null, null, false, false],
    ["execute-only code", SEL.EXEC_ONLY, false, 0x00cf9900n, 0xffffffffn, false, false],
  ];
  it.each(rows)("%s", (_w, sel, user, lar, lsl, verr, verw) => {
    const code = `mov ax, ${sel}\nmov rbx, -1\nmov rcx, -1\nlar rbx, rax\nsetz dl\nlsl rcx, rax\nsetz dh\nverr ax\nsetz sil\nverw ax\nsetz dil\nint3`;
    const r = runSys(code, { user });
    expect(r.vector).toBe(3);
    const rdx = r.reg("rdx");
    expect([rdx & 0xffn, (rdx >> 8n) & 0xffn]).toEqual([lar === null ? 0n : 1n, lsl === null ? 0n : 1n]);
    // A failed LAR/LSL leaves the destination alone.
    expect(r.reg("rbx")).toBe(lar === null ? 0xffff_ffff_ffff_ffffn : lar);
    expect(r.reg("rcx")).toBe(lsl === null ? 0xffff_ffff_ffff_ffffn : lsl);
    expect([r.reg("rsi") & 0xffn, r.reg("rdi") & 0xffn]).toEqual([verr ? 1n : 0n, verw ? 1n : 0n]);
  });
});

describe("ARPL and BOUND (32-bit code)", () => {
  it("ARPL raises a lower RPL and sets ZF; otherwise clears ZF", () => {
    const r = runSys("mov ax, 0x10\nmov bx, 0x23\narpl ax, bx\nsetz cl\narpl ax, bx\nsetz ch", { mode: "protected32" });
    expect(r.reg("rax") & 0xffffn).toBe(0x13n);
    expect(r.reg("rcx") & 0xffffn).toBe(0x0001n);
  });

  it("BOUND is #BR when the index is outside [lower, upper] (signed)", () => {
    const setup = `mov dword ptr [${L.data}], -5\nmov dword ptr [${L.data + 4}], 10`;
    expect(runSys(`${setup}\nmov eax, -5\nbound eax, [${L.data}]\nmov eax, 10\nbound eax, [${L.data}]`, { mode: "protected32" }).faults).toEqual([]);
    const r = runSys(`${setup}\nmov eax, 11\nbound eax, [${L.data}]`, { mode: "protected32" });
    expect(r.faults).toEqual(["#BR"]);
    expect(r.vector).toBe(5);
  });
});
