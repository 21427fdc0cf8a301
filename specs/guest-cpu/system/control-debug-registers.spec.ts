/**
 * MOV to/from control and debug registers (SDM Vol. 2B MOV—Move to/from
 * Control Registers, Move to/from Debug Registers; Vol. 3A 2.5, 4.10.4.1;
 * Vol. 3B 18.2): reserved bits, mode constraints, PCID, DR4/DR5 aliasing,
 * DR6/DR7 fixed bits, general-detect.
 */
import { CR4 } from "../../../src/guest-cpu/registers";
import { runSys } from "../support/system-machine";

type Row = [what: string, code: string, fault: string | null, opts: Parameters<typeof runSys>[1]];

const rows: Row[] = [
  ["MOV CR3 with bit 63 set without CR4.PCIDE", "mov rax, 0x8000000000001000\nmov cr3, rax", "#GP(0x0)", {}],
  ["MOV CR3 with bits above MAXPHYADDR", "mov rax, 0x400000001000\nmov cr3, rax", "#GP(0x0)", {}],
  ["MOV CR3 within MAXPHYADDR", "mov rax, 0x1000\nmov cr3, rax", null, {}],
  ["setting CR4.PCIDE with CR3[11:0] ≠ 0", "mov rax, 0x1001\nmov cr3, rax\nmov rax, cr4\nbts eax, 17\nmov cr4, rax", "#GP(0x0)", {}],
  ["setting CR4.PCIDE with CR3[11:0] = 0", "mov rax, cr4\nbts eax, 17\nmov cr4, rax", null, {}],
  ["MOV CR3 with bit 63 under PCIDE (no flush)", "mov rax, cr4\nbts eax, 17\nmov cr4, rax\nmov rax, 0x8000000000001000\nmov cr3, rax", null, {}],
  ["changing CR4.LA57 in IA-32e mode", "mov rax, cr4\nbts eax, 12\nmov cr4, rax", "#GP(0x0)", {}],
  ["MOV to CR1 (no such register)", "db 0x0f, 0x22, 0xc8", "#UD", {}],
  ["MOV DR4 with CR4.DE", "mov rax, dr4", "#UD", { cr4: CR4.DE }],
  ["MOV DR6 with bits 63:32", "mov rax, 0x100000000\nmov dr6, rax", "#GP(0x0)", {}],
  ["MOV DR7 with bits 63:32", "mov rax, 0x100000000\nmov dr7, rax", "#GP(0x0)", {}],
  ["MOV DR with DR7.GD set", "mov eax, 0x2000\nmov dr7, rax\nmov rbx, dr0", "#DB", {}],
];

describe("MOV CR/DR checks", () => {
  it.each(rows)("%s", (_w, code, fault, opts) => {
    const r = runSys(code, opts);
    expect(r.faults[0] ?? null).toBe(fault);
  });

  it("DR4/DR5 alias DR6/DR7 without CR4.DE; DR6 and DR7 read back with their fixed bits", () => {
    const r = runSys("xor eax, eax\nmov dr6, rax\nmov dr7, rax\nmov rbx, dr4\nmov rcx, dr5\nmov rax, 0x1234\nmov dr0, rax\nmov rdx, dr0");
    expect(r.reg("rbx")).toBe(0xffff0ff0n);
    expect(r.reg("rcx")).toBe(0x400n);
    expect(r.reg("rdx")).toBe(0x1234n);
  });

  it("general detect: the #DB sets DR6.BD, clears DR7.GD, and RIP points at the MOV DR", () => {
    const r = runSys("mov eax, 0x2000\nmov dr7, rax\nmov rbx, dr0");
    expect(r.cpu.s.dr[6]! & 0x2000).toBe(0x2000);
    expect(r.cpu.s.dr[7]! & 0x2000).toBe(0);
    expect(Number(r.q(Number(r.reg("rsp"))))).toBe(r.cpu.faults[0]!.rip);
  });

  it("MOV CR3 under PCIDE keeps the CR3 value without bit 63", () => {
    const r = runSys("mov rax, cr4\nbts eax, 17\nmov cr4, rax\nmov rax, 0x8000000000001005\nmov cr3, rax\nmov rbx, cr3");
    expect(r.reg("rbx")).toBe(0x1005n);
  });
});
