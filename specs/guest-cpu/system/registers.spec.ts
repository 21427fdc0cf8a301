/**
 * System registers: MSRs (SDM Vol. 4 Table 2-2), SYSCALL/SYSRET/SWAPGS
 * (Vol. 2B), the TSC, descriptor-table registers (LGDT/SGDT, LLDT/SLDT,
 * LTR/STR), CR0 via LMSW/SMSW/CLTS, INVLPG, RDRAND, XSETBV, CPUID.
 */
import { MSR } from "../../../src/guest-cpu/msrs";
import { CR0, CR4, FLAG, GS } from "../../../src/guest-cpu/registers";
import { L, runSys, SEL, sysMachine } from "../support/system-machine";

const wrmsr = (index: number, value: bigint) =>
  `mov ecx, 0x${index.toString(16)}\nmov eax, 0x${(value & 0xffffffffn).toString(16)}\nmov edx, 0x${(value >> 32n).toString(16)}\nwrmsr`;
const rdmsr = (index: number) => `mov ecx, 0x${index.toString(16)}\nrdmsr`;

describe("RDMSR/WRMSR", () => {
  const roundTrip: [string, number, bigint][] = [
    ["IA32_STAR", MSR.IA32_STAR, 0x0023_0008_0000_0000n],
    ["IA32_LSTAR", MSR.IA32_LSTAR, 0xffff_8000_1234_5678n],
    ["IA32_CSTAR", MSR.IA32_CSTAR, 0x1000n],
    ["IA32_FMASK", MSR.IA32_FMASK, 0x4700n],
    ["IA32_KERNEL_GS_BASE", MSR.IA32_KERNEL_GS_BASE, 0xffff_8880_0000_0000n],
    ["IA32_FS_BASE", MSR.IA32_FS_BASE, 0x7fff_0000_1000n],
    ["IA32_GS_BASE", MSR.IA32_GS_BASE, 0x2000n],
    ["IA32_SYSENTER_CS", MSR.IA32_SYSENTER_CS, 0x10n],
    ["IA32_SYSENTER_ESP", MSR.IA32_SYSENTER_ESP, 0x8000n],
    ["IA32_SYSENTER_EIP", MSR.IA32_SYSENTER_EIP, 0x9000n],
    ["IA32_PAT", MSR.IA32_PAT, 0x0007_0406_0007_0406n],
    ["IA32_TSC_AUX", MSR.IA32_TSC_AUX, 0x42n],
    ["IA32_EFER", MSR.IA32_EFER, 0xd01n],
  ];
  it.each(roundTrip)("%s reads back what was written", (_n, index, value) => {
    const r = runSys(`${wrmsr(index, value)}\n${rdmsr(index)}`);
    expect(r.stop).toBe("hlt");
    expect((r.reg("rdx") << 32n) | r.reg("rax")).toBe(value);
  });

  const rejected: [string, number, bigint][] = [
    ["a non-canonical IA32_LSTAR", MSR.IA32_LSTAR, 0x8000_0000_0000n],
    ["a non-canonical IA32_KERNEL_GS_BASE", MSR.IA32_KERNEL_GS_BASE, 0x0001_0000_0000_0000n],
    ["IA32_PAT with memory type 2", MSR.IA32_PAT, 0x2n],
    ["IA32_TSC_AUX bits 63:32", MSR.IA32_TSC_AUX, 1n << 32n],
    ["EFER.LME while paging is on", MSR.IA32_EFER, 0x801n],
    ["an unimplemented index", 0x4000_0000, 0n],
  ];
  it.each(rejected)("WRMSR of %s is #GP(0)", (_n, index, value) => {
    const r = runSys(wrmsr(index, value));
    expect(r.faults).toEqual(["#GP(0x0)"]);
  });

  it("IA32_FS_BASE is the FS base: an FS-relative load uses it", () => {
    const r = runSys(`${wrmsr(MSR.IA32_FS_BASE, BigInt(L.data))}\nmov qword ptr [${L.data + 8}], 77\nmov rbx, fs:[8]`);
    expect(r.reg("rbx")).toBe(77n);
  });

  it("WRMSR to IA32_TIME_STAMP_COUNTER moves the TSC; RDTSC counts retired instructions from there", () => {
    const r = runSys(`${wrmsr(MSR.IA32_TIME_STAMP_COUNTER, 1000n)}\nrdtsc`);
    const tsc = (r.reg("rdx") << 32n) | r.reg("rax");
    expect(tsc).toBeGreaterThan(1000n);
    expect(tsc).toBeLessThan(1010n);
  });

  it("IA32_FEATURE_CONTROL is locked by its bit 0", () => {
    const r = runSys(`${wrmsr(MSR.IA32_FEATURE_CONTROL, 5n)}\n${wrmsr(MSR.IA32_FEATURE_CONTROL, 1n)}`);
    expect(r.faults).toEqual(["#GP(0x0)"]);
  });
});

describe("SYSCALL, SYSRET, SWAPGS (SDM Vol. 2B; STAR layout Vol. 3A 5.8.8)", () => {
  const setup = `
    ${wrmsr(MSR.IA32_STAR, (0x18n << 48n) | (0x08n << 32n))}
    ${wrmsr(MSR.IA32_LSTAR, BigInt(L.data + 0x1000))}
    ${wrmsr(MSR.IA32_FMASK, 0x200n)}`;

  it("SYSRET to ring 3, SYSCALL back: RCX/R11 hold RIP/RFLAGS, FMASK clears IF, CS/SS from STAR", () => {
    const code = `${setup}
      lea rcx, [rip + user]
      mov r11, 0x202
      sysretq
      user: mov rbx, 5
      syscall
      after:`;
    const r = runSys(code, { extra: "hlt" });
    expect(r.stop).toBe("hlt");
    expect(r.cpu.s.cpl).toBe(0);
    expect(r.cpu.s.segSel[1]).toBe(SEL.KCODE64);
    expect(r.cpu.s.segSel[2]).toBe(SEL.KDATA);
    expect(r.reg("rbx")).toBe(5n);
    expect(Number(r.reg("r11")) & FLAG.IF).toBe(FLAG.IF);
    expect(r.cpu.s.rflags & FLAG.IF).toBe(0);
    // RCX = the instruction after SYSCALL (the closing HLT of the snippet)
    expect(r.cpu.mem.read(Number(r.reg("rcx")), 1)).toBe(0xf4n);
    expect(r.cpu.faults).toEqual([]);
  });

  it("SYSRET with a non-canonical RCX is #GP(0) at CPL 0", () => {
    const r = runSys(`${setup}\nmov rcx, 0x800000000000\nsysretq`);
    expect(r.faults).toEqual(["#GP(0x0)"]);
  });

  it("SYSRET (32-bit) returns to compatibility mode with CS = STAR[63:48]", () => {
    const r = runSys(`${setup}\nmov ecx, ${L.data + 0x1000}\nmov r11, 2\nsysret`, { extra: "int3" });
    expect(r.cpu.faults[0]?.vector ?? "#BP").toBe("#BP");
    expect(Number(r.q(Number(r.reg("rsp")) + 8))).toBe(SEL.UCODE32);
  });

  it("SWAPGS exchanges GS.base and IA32_KERNEL_GS_BASE", () => {
    const r = runSys(`${wrmsr(MSR.IA32_KERNEL_GS_BASE, 0x1234000n)}\n${wrmsr(MSR.IA32_GS_BASE, 0x5678000n)}\nswapgs\n${rdmsr(MSR.IA32_KERNEL_GS_BASE)}`);
    expect(r.cpu.s.segBase[GS]).toBe(0x1234000);
    expect(r.reg("rax")).toBe(0x5678000n);
  });
});

describe("descriptor-table registers", () => {
  it("LGDT/LIDT load limit and 64-bit base; SGDT/SIDT store them", () => {
    const code = `
      mov word ptr [${L.data}], 0x7f
      mov rax, ${L.gdt}
      mov [${L.data + 2}], rax
      lgdt [${L.data}]
      sgdt [${L.data + 16}]
      sidt [${L.data + 32}]`;
    const r = runSys(code);
    expect(r.cpu.s.gdtrLimit).toBe(0x7f);
    expect(r.cpu.mem.read(L.data + 16, 2)).toBe(0x7fn);
    expect(r.cpu.mem.read(L.data + 18, 8)).toBe(BigInt(L.gdt));
    expect(r.cpu.mem.read(L.data + 32, 2)).toBe(BigInt(256 * 16 - 1));
  });

  it("LLDT loads LDTR from a 16-byte LDT descriptor; SLDT stores the selector", () => {
    const r = runSys(`mov ax, ${SEL.LDT}\nlldt ax\nsldt ebx`);
    expect(r.cpu.s.segBase[6]).toBe(L.data + 0x800);
    expect(r.reg("rbx")).toBe(BigInt(SEL.LDT));
  });

  it("LTR marks the TSS descriptor busy; STR reads TR", () => {
    const cpu = sysMachine(`mov ax, ${SEL.TSS}\nltr ax\nstr ecx`, {
      setup: (c) => c.mem.write(L.gdt + SEL.TSS + 5, 1, 0x89n), // available
    });
    cpu.run(100);
    expect(Number(cpu.mem.read(L.gdt + SEL.TSS + 5, 1)) & 0xf).toBe(0xb);
    expect(cpu.s.lo[1]).toBe(SEL.TSS);
  });
});

describe("CR0 through LMSW, SMSW, CLTS", () => {
  it("LMSW sets MP/EM/TS but cannot clear PE; SMSW reads CR0; CLTS clears TS", () => {
    const r = runSys("mov ax, 0xe\nlmsw ax\nsmsw ebx\nclts\nsmsw ecx");
    expect(Number(r.reg("rbx")) & 0xf).toBe(CR0.PE | CR0.MP | CR0.EM | CR0.TS);
    expect(Number(r.reg("rcx")) & 0xf).toBe(CR0.PE | CR0.MP | CR0.EM);
  });
});

describe("INVLPG drops a stale translation; without it the TLB keeps the old one", () => {
  it("a PDE rewritten after use still translates the old way until INVLPG", () => {
    // Map the 2-MiB page at 0x200000 → 0x400000 after having used it.
    const code = `
      mov byte ptr [0x400000], 0x44
      mov byte ptr [0x200000], 0x22
      mov al, [0x200000]
      mov qword ptr [${L.pd + 8}], 0x400087
      mov bl, [0x200000]
      invlpg [0x200000]
      mov cl, [0x200000]`;
    const r = runSys(code);
    expect(r.reg("rax") & 0xffn).toBe(0x22n);
    expect(r.reg("rbx") & 0xffn).toBe(0x22n);
    expect(r.reg("rcx") & 0xffn).toBe(0x44n);
  });
});

describe("RDRAND, RDSEED, XSETBV, CPUID", () => {
  it("RDRAND sets CF and clears the other status flags", () => {
    const r = runSys("stc\nrdrand rax\nsetc bl\npushfq\npop rcx");
    expect(r.reg("rbx") & 0xffn).toBe(1n);
    expect(Number(r.reg("rcx")) & 0x8d4).toBe(0);
  });

  it("XSETBV loads XCR0 with OSXSAVE; XGETBV reads it", () => {
    const r = runSys("xor ecx, ecx\nxor edx, edx\nmov eax, 3\nxsetbv\nxor eax, eax\nxgetbv", { cr4: CR4.OSXSAVE });
    expect(r.reg("rax")).toBe(3n);
  });

  it("CPUID leaf 1 reports VMX (ECX bit 5)", () => {
    const r = runSys("mov eax, 1\ncpuid");
    expect(Number(r.reg("rcx")) & 0x20).toBe(0x20);
  });
});

describe("RDFSBASE/WRFSBASE/RDGSBASE/WRGSBASE (CR4.FSGSBASE)", () => {
  it("read and write the FS/GS bases in 64-bit mode", () => {
    const r = runSys("mov rax, 0x7fff12340000\nwrfsbase rax\nrdfsbase rbx\nwrgsbase rax\nrdgsbase ecx", { cr4: CR4.FSGSBASE });
    expect(r.reg("rbx")).toBe(0x7fff12340000n);
    expect(r.reg("rcx")).toBe(0x12340000n);
    expect(r.cpu.s.segBase[GS]).toBe(0x7fff12340000);
  });

  it("are #UD without CR4.FSGSBASE and #GP(0) for a non-canonical base", () => {
    expect(runSys("rdfsbase rax").faults).toEqual(["#UD"]);
    expect(runSys("mov rax, 0x800000000000\nwrfsbase rax", { cr4: CR4.FSGSBASE }).faults).toEqual(["#GP(0x0)"]);
  });
});
