/**
 * Mode switches as an OS does them (SDM Vol. 3A 10.9 "Mode switching",
 * 10.8.5 "Initializing IA-32e mode"): real mode → protected mode (LGDT,
 * CR0.PE, far JMP) → IA-32e mode (CR4.PAE, CR3, EFER.LME, CR0.PG → LMA,
 * far JMP to a 64-bit code segment). The program is one assembly source
 * with `bits 16/32/64` sections, run from the reset-like real-mode state.
 */
import { assemble } from "../../../src/asm/assemble";
import { setSegment } from "../../../src/guest-cpu/descriptors";
import { AR, CR0, CS, EFER } from "../../../src/guest-cpu/registers";
import { sysMachine } from "../support/system-machine";

const PROGRAM = `
bits 16
org 0x4000
start:
  cli
  xor ax, ax
  mov ds, ax
  lgdt [gdtr]
  mov eax, cr0
  or eax, 1
  mov cr0, eax
  jmp 0x30:pm32
bits 32
pm32:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0x80000
  mov esi, cr0
  push 0x1234
  pop edi
  mov eax, cr4
  or eax, 0x20
  mov cr4, eax
  mov eax, 0x1000
  mov cr3, eax
  mov ecx, 0xc0000080
  rdmsr
  or eax, 0x100
  wrmsr
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  mov ebp, 1
  jmp 0x08:lm64
bits 64
lm64:
  mov ecx, 0xc0000080
  rdmsr
  mov r8d, eax
  mov rax, 0x123456789abcdef
  push rax
  pop r9
  hlt
gdtr:
  dw 0x7f
  dd 0x8000
`;

describe("real → protected → IA-32e mode", () => {
  const cpu = sysMachine("nop", { mode: "real16", fresh: true });
  const prog = assemble(PROGRAM, { bits: 16, org: 0x4000 });
  cpu.mem.writeBytes(0x4000, prog.bytes);
  setSegment(cpu.s, CS, 0, 0, 0xffff, AR.P | AR.S | 0xb);
  cpu.s.rip = 0x4000;
  cpu.s.cr0 = CR0.ET;
  cpu.s.updateMode();
  const trace: { bits: number; pe: boolean; lma: boolean }[] = [];
  let stop = "";
  for (let i = 0; i < 200 && stop !== "hlt"; i++) {
    stop = cpu.run(1).stop;
    const t = { bits: cpu.s.bits, pe: (cpu.s.cr0 & CR0.PE) !== 0, lma: (cpu.s.efer & EFER.LMA) !== 0 };
    const last = trace[trace.length - 1];
    if (!last || last.bits !== t.bits || last.pe !== t.pe || last.lma !== t.lma) trace.push(t);
  }

  it("runs to HLT in 64-bit mode", () => {
    expect(stop).toBe("hlt");
    expect(cpu.faults).toEqual([]);
    expect(cpu.s.bits).toBe(64);
    expect(cpu.s.segSel[CS]).toBe(0x08);
  });

  it("passes through the modes in the SDM's order", () => {
    expect(trace).toEqual([
      { bits: 16, pe: false, lma: false }, // real mode
      { bits: 16, pe: true, lma: false }, // CR0.PE = 1: still the real-mode CS until the far JMP
      { bits: 32, pe: true, lma: false }, // protected mode, 32-bit code segment
      { bits: 32, pe: true, lma: true }, // CR0.PG = 1 with EFER.LME: IA-32e compatibility mode
      { bits: 64, pe: true, lma: true }, // far JMP to a code segment with L = 1: 64-bit mode
    ]);
  });

  it("each stage worked: 32-bit stack, EFER.LMA set by CR0.PG, 64-bit registers", () => {
    const q = (i: number) => (BigInt(cpu.s.hi[i]! >>> 0) << 32n) | BigInt(cpu.s.lo[i]! >>> 0);
    expect(Number(q(6)) & CR0.PE).toBe(CR0.PE); // esi = CR0 in protected mode
    expect(q(7)).toBe(0x1234n); // edi: PUSH/POP through the 32-bit stack
    expect(Number(q(8)) & (EFER.LME | EFER.LMA)).toBe(EFER.LME | EFER.LMA); // r8d = EFER
    expect(q(9)).toBe(0x123456789abcdefn); // r9: a 64-bit value through the 64-bit stack
  });
});
