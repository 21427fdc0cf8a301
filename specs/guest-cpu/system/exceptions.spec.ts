/**
 * Exceptions with their error codes and saved RIP (SDM Vol. 3A 6.13, 6.15
 * "Exception and Interrupt Reference"), double fault per Table 6-5, and the
 * triple fault that shuts the processor down.
 */
import { L, runSys, SEL, VEC } from "../support/system-machine";

type Row = [what: string, code: string, vector: number, fault: string, opts: Parameters<typeof runSys>[1]];

const rows: Row[] = [
  ["DIV by zero", "xor ebx, ebx\ndiv ebx", VEC.DE, "#DE", {}],
  ["UD2", "ud2", VEC.UD, "#UD", {}],
  ["MOV to a segment register with a selector beyond the GDT limit", "mov ax, 0x100\nmov ds, ax", VEC.GP, "#GP(0x100)", {}],
  ["MOV DS with a not-present descriptor", `mov ax, ${SEL.NOT_PRESENT}\nmov ds, ax`, VEC.NP, `#NP(0x${SEL.NOT_PRESENT.toString(16)})`, {}],
  ["MOV SS with a read-only data segment", `mov ax, ${SEL.READ_ONLY}\nmov ss, ax`, VEC.GP, `#GP(0x${SEL.READ_ONLY.toString(16)})`, {}],
  ["MOV DS with an execute-only code segment", `mov ax, ${SEL.EXEC_ONLY}\nmov ds, ax`, VEC.GP, `#GP(0x${SEL.EXEC_ONLY.toString(16)})`, {}],
  ["MOV DS with a DPL-0 segment at CPL 3", `mov ax, ${SEL.KDATA | 3}\nmov ds, ax`, VEC.GP, `#GP(0x${SEL.KDATA.toString(16)})`, { user: true }],
  ["a non-canonical data address", "mov rbx, 0x800000000000\nmov rax, [rbx]", VEC.GP, "#GP(0x0)", {}],
  ["a non-canonical stack reference (SS)", "mov rbx, 0x800000000000\nmov rax, [rbp + rbx]", VEC.SS, "#SS(0x0)", {}],
  ["LTR with a selector in the LDT (TI = 1)", "mov ax, 0x44\nltr ax", VEC.GP, "#GP(0x44)", {}],
  ["LLDT with a TSS descriptor", `mov ax, ${SEL.TSS}\nlldt ax`, VEC.GP, `#GP(0x${SEL.TSS.toString(16)})`, {}],
  ["LTR with a busy TSS", `mov ax, ${SEL.TSS}\nltr ax`, VEC.GP, `#GP(0x${SEL.TSS.toString(16)})`, {}],
  ["RDMSR of an unimplemented MSR", "mov ecx, 0x12345\nrdmsr", VEC.GP, "#GP(0x0)", {}],
  ["WRMSR setting a reserved EFER bit", "mov ecx, 0xc0000080\nmov eax, 0x2\nxor edx, edx\nwrmsr", VEC.GP, "#GP(0x0)", {}],
  ["MOV to CR4 with a reserved bit", "mov rax, 0x80000000\nmov cr4, rax", VEC.GP, "#GP(0x0)", {}],
  ["MOV to CR4 clearing PAE in IA-32e mode", "xor eax, eax\nmov cr4, rax", VEC.GP, "#GP(0x0)", {}],
  ["MOV to CR0 with PG = 1 and PE = 0", "mov rax, cr0\nand eax, -2\nmov cr0, rax", VEC.GP, "#GP(0x0)", {}],
  ["MOV to CR0 clearing PG in 64-bit mode", "mov rax, cr0\nbtr eax, 31\nmov cr0, rax", VEC.GP, "#GP(0x0)", {}],
  ["MOV to CR8 above 15", "mov eax, 16\nmov cr8, rax", VEC.GP, "#GP(0x0)", {}],
  ["SYSCALL with EFER.SCE = 0", "mov ecx, 0xc0000080\nrdmsr\nand eax, -2\nwrmsr\nsyscall", VEC.UD, "#UD", {}],
  ["LGDT with a non-canonical base", `mov word ptr [${L.data}], 0xff\nmov rax, 0x800000000000\nmov [${L.data + 2}], rax\nlgdt [${L.data}]`, VEC.GP, "#GP(0x0)", {}],
  ["INVPCID type 4", `mov eax, 4\ninvpcid rax, [${L.data}]`, VEC.GP, "#GP(0x0)", {}],
  ["XSETBV without x87 state", "xor ecx, ecx\nxor edx, edx\nmov eax, 2\nxsetbv", VEC.GP, "#GP(0x0)", { cr4: 1 << 18 }],
  ["CMPXCHG16B on an unaligned operand", `cmpxchg16b [${L.data + 8}]`, VEC.GP, "#GP(0x0)", {}],
];

describe("exceptions: vector, error code, saved RIP at the faulting instruction", () => {
  it.each(rows)("%s", (_what, code, vector, fault, opts) => {
    const r = runSys(code, opts);
    expect(r.vector).toBe(vector);
    expect(r.faults[0]).toBe(fault);
    const at = r.cpu.faults[0]!.rip;
    // Faults save the RIP of the faulting instruction: the last one of the snippet.
    const rsp = Number(r.reg("rsp"));
    const hasCode = fault.includes("(");
    expect(Number(r.q(rsp + (hasCode ? 8 : 0)))).toBe(at);
    expect(at).toBeGreaterThanOrEqual(L.code);
  });
});

describe("double and triple fault (SDM Vol. 3A 6.15 Table 6-5, interrupt 8)", () => {
  it("a #GP whose gate is not present gives #NP (contributory) → #DF with error code 0", () => {
    const r = runSys("mov rax, cr0", { user: true, absent: [VEC.GP] });
    expect(r.faults).toEqual(["#GP(0x0)", "#NP(0x6a)", "#DF(0x0)"].slice(0, r.faults.length));
    expect(r.vector).toBe(VEC.DF);
    expect(r.q(Number(r.reg("rsp")))).toBe(0n);
  });

  it("a #PF while delivering #PF is a double fault", () => {
    // The stack is unmapped: the #PF frame cannot be pushed; #DF runs on IST1.
    const r = runSys("mov rsp, 0x40001000\nmov rax, [0x40000000]", { setup: (cpu) => cpu.mem.write(L.idt + VEC.DF * 16 + 4, 1, 1n) });
    expect(r.vector).toBe(VEC.DF);
    expect(r.faults[0]).toBe("#PF(0x0)");
    expect(r.cpu.s.cr2).toBe(0x40000ff8);
  });

  it("a fault while delivering #DF shuts the processor down", () => {
    const r = runSys("mov rax, cr0", { user: true, absent: [VEC.GP, VEC.DF] });
    expect(r.stop).toBe("shutdown");
  });

  it("#DE then #UD (benign + contributory) delivers both serially, no #DF", () => {
    const r = runSys("xor ecx, ecx\ndiv ecx", { handlers: { [VEC.DE]: "ud2" } });
    expect(r.vector).toBe(VEC.UD);
    expect(r.faults).toEqual(["#DE", "#UD"]);
  });
});

describe("alignment check #AC (SDM Vol. 3A 6.15 interrupt 17)", () => {
  const am = (cpu: import("../../../src/guest-cpu/cpu").Cpu) => (cpu.s.cr0 |= 1 << 18);
  const ac = "pushfq\nor dword ptr [rsp], 0x40000\npopfq\n";
  it.each([
    ["a misaligned dword read at CPL 3 with CR0.AM and RFLAGS.AC", `${ac}mov eax, [${L.data + 2}]`, true, true, "#AC(0x0)"],
    ["an aligned dword read", `${ac}mov eax, [${L.data + 4}]`, true, true, null],
    ["a misaligned push (stack accesses are checked too)", `${ac}sub rsp, 3\npush rax`, true, true, "#AC(0x0)"],
    ["a misaligned read with RFLAGS.AC = 0", `mov eax, [${L.data + 2}]`, true, true, null],
    ["a misaligned read with CR0.AM = 0", `${ac}mov eax, [${L.data + 2}]`, true, false, null],
    ["a misaligned read at CPL 0", `${ac}mov eax, [${L.data + 2}]`, false, true, null],
  ] as [string, string, boolean, boolean, string | null][])("%s", (_w, code, user, withAm, fault) => {
    // A first aligned read fills the TLB before checking starts: the check must not be bypassed by it.
    const r = runSys(`mov ebx, [${L.data}]\n${code}\nint3`, { user, setup: withAm ? am : undefined });
    expect(r.faults[0]).toBe(fault ?? "#BP");
    expect(r.vector).toBe(fault ? 17 : 3);
  });
});

describe("device not available #NM (SDM Vol. 3A 2.5 CR0.EM/MP/TS, Table 2-2)", () => {
  const cr0 = (bits: number) => (cpu: import("../../../src/guest-cpu/cpu").Cpu) => (cpu.s.cr0 |= bits);
  const EM = 1 << 2, MP = 1 << 1, TS = 1 << 3;
  it.each([
    ["x87 FLD1 with CR0.TS", "fld1", TS, 0, "#NM"],
    ["x87 FLD1 with CR0.EM", "fld1", EM, 0, "#NM"],
    ["x87 FLD1 with both clear (x87 is not modelled)", "fld1", 0, 0, "#UD"],
    ["SSE MOVAPS without CR4.OSFXSR", "movaps xmm0, xmm1", TS, 0, "#UD"],
    ["SSE MOVAPS with CR4.OSFXSR and CR0.TS", "movaps xmm0, xmm1", TS, 1 << 9, "#NM"],
    ["SSE MOVAPS with CR0.EM", "movaps xmm0, xmm1", EM, 1 << 9, "#UD"],
    ["FWAIT with CR0.MP and CR0.TS", "fwait", MP | TS, 0, "#NM"],
    ["FWAIT with CR0.TS only", "fwait", TS, 0, "#BP"],
  ] as [string, string, number, number, string][])("%s → %s", (_w, insn, bits, cr4, fault) => {
    const r = runSys(`${insn}\nint3`, { cr4, setup: cr0(bits) });
    expect(r.faults[0]).toBe(fault);
  });
});
