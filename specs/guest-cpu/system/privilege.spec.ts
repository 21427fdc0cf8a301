/**
 * Privilege checks of system instructions, per each SDM Vol. 2 instruction
 * page's "Protected Mode Exceptions" / "64-Bit Mode Exceptions": CPL 0 only
 * (#GP(0)), CR4-gated (TSD, PCE, UMIP, OSXSAVE), IOPL-gated (CLI/STI, I/O
 * with the TSS permission bitmap), and #UD conditions.
 */
import { CR4, FLAG } from "../../../src/guest-cpu/registers";
import { L, runSys } from "../support/system-machine";

const GP0 = ["#GP(0x0)"];
const UD = ["#UD"];
const NONE: string[] = [];

type Row = [insn: string, cpl: 0 | 3, opts: { cr4?: number; iopl?: number }, expected: string[]];

const rows: Row[] = [
  // CPL 0 only: #GP(0) at CPL 3 (SDM Vol. 3A 2.8 Table of privileged instructions)
  ["mov rax, cr0", 3, {}, GP0],
  ["mov cr0, rax", 3, {}, GP0],
  ["mov rax, dr7", 3, {}, GP0],
  ["mov dr7, rax", 3, {}, GP0],
  ["clts", 3, {}, GP0],
  ["lmsw ax", 3, {}, GP0],
  ["lgdt [rbx]", 3, {}, GP0],
  ["lidt [rbx]", 3, {}, GP0],
  ["lldt ax", 3, {}, GP0],
  ["ltr ax", 3, {}, GP0],
  ["invlpg [rbx]", 3, {}, GP0],
  ["invpcid rax, [rbx]", 3, {}, GP0],
  ["rdmsr", 3, {}, GP0],
  ["wrmsr", 3, {}, GP0],
  ["hlt", 3, {}, GP0],
  ["wbinvd", 3, {}, GP0],
  ["invd", 3, {}, GP0],
  ["swapgs", 3, {}, GP0],
  ["sysret", 3, {}, GP0],
  ["xsetbv", 3, { cr4: CR4.OSXSAVE }, GP0],
  // CR4.TSD (RDTSC, RDTSCP), CR4.PCE (RDPMC)
  ["rdtsc", 3, {}, NONE],
  ["rdtsc", 3, { cr4: CR4.TSD }, GP0],
  ["rdtsc", 0, { cr4: CR4.TSD }, NONE],
  ["rdtscp", 3, { cr4: CR4.TSD }, GP0],
  ["rdtscp", 3, {}, NONE],
  ["rdpmc", 3, {}, GP0],
  ["rdpmc", 3, { cr4: CR4.PCE }, NONE],
  ["rdpmc", 0, {}, NONE],
  // CR4.UMIP: SGDT SIDT SLDT STR SMSW at CPL > 0
  ["sgdt [rbx]", 3, {}, NONE],
  ["sgdt [rbx]", 3, { cr4: CR4.UMIP }, GP0],
  ["sidt [rbx]", 3, { cr4: CR4.UMIP }, GP0],
  ["sldt ax", 3, { cr4: CR4.UMIP }, GP0],
  ["str ax", 3, { cr4: CR4.UMIP }, GP0],
  ["smsw ax", 3, { cr4: CR4.UMIP }, GP0],
  ["smsw ax", 3, {}, NONE],
  ["sgdt [rbx]", 0, { cr4: CR4.UMIP }, NONE],
  // CR4.OSXSAVE: XSETBV/XGETBV are #UD without it, at any CPL
  ["xsetbv", 0, {}, UD],
  ["xgetbv", 3, {}, UD],
  ["xgetbv", 3, { cr4: CR4.OSXSAVE }, NONE],
  // MONITOR/MWAIT, CLAC/STAC at CPL > 0: #UD
  ["monitor", 3, {}, UD],
  ["mwait", 3, {}, UD],
  ["clac", 3, {}, UD],
  ["stac", 3, {}, UD],
  ["stac", 0, {}, NONE],
  // IOPL: CLI/STI need CPL ≤ IOPL
  ["cli", 3, {}, GP0],
  ["sti", 3, {}, GP0],
  ["cli", 3, { iopl: 3 }, NONE],
  ["cli", 0, {}, NONE],
  // I/O at CPL > IOPL: the TSS bitmap allows port 0x80 only
  ["in al, 0x80", 3, {}, NONE],
  ["in al, 0x81", 3, {}, GP0],
  ["out 0x70, al", 3, {}, GP0],
  ["in eax, 0x7e", 3, {}, GP0], // 0x7e..0x81 includes denied ports
  ["in al, 0x81", 3, { iopl: 3 }, NONE],
  ["in al, 0x81", 0, {}, NONE],
  ["insb", 3, {}, NONE], // DX = 0x80: allowed by the bitmap
  ["outsb", 3, {}, NONE],
  // Unprivileged
  ["cpuid", 3, {}, NONE],
  ["rdrand eax", 3, {}, NONE],
  ["pause", 3, {}, NONE],
];

describe("privilege checks of system instructions (SDM Vol. 2 exception tables)", () => {
  it.each(rows)("%s at CPL %d %j raises %j", (insn, cpl, o, expected) => {
    const r = runSys(insn, {
      user: cpl === 3,
      cr4: o.cr4,
      regs: { rbx: 0x20000, rdx: 0x80, rdi: 0x20100, rcx: 0 },
      setup: (cpu) => {
        if (o.iopl) cpu.s.rflagsRest |= o.iopl << 12;
      },
    });
    // Only faults of the instruction itself (at CPL 3 the closing HLT faults too).
    const own = r.cpu.faults.filter((f) => f.rip === L.code);
    expect(own.map((f) => `${f.vector}${f.errorCode >= 0 ? `(0x${f.errorCode.toString(16)})` : ""}`)).toEqual(expected);
    if (expected.length) expect(r.vector).toBe(expected[0] === "#GP(0x0)" ? 13 : 6);
    else expect(r.cpu.faults.length).toBe(cpl === 3 ? 1 : 0);
  });

  it("the #GP of a privileged instruction at CPL 3 is delivered on the RSP0 stack with a ring-3 frame", () => {
    const r = runSys("mov rax, cr0", { user: true });
    expect(r.vector).toBe(13);
    expect(r.cpu.s.cpl).toBe(0);
    const rsp = Number(r.reg("rsp"));
    // [error code, RIP, CS, RFLAGS, RSP, SS] on the 16-byte-aligned RSP0 stack
    expect(rsp).toBe(0x70000 - 48);
    expect(r.q(rsp)).toBe(0n);
    expect(r.q(rsp + 8)).toBe(0x10000n);
    expect(r.q(rsp + 16)).toBe(0x2bn);
    expect(r.q(rsp + 32)).toBe(0x50000n);
    expect(r.q(rsp + 40)).toBe(0x23n);
    void FLAG;
  });
});
