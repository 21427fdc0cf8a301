/**
 * One table row per exit cause (SDM Vol. 3C 26.1.2, 26.1.3): the guest
 * code, the controls that make it exit, and the exit reason, qualification
 * (28.2.1 Tables 28-3, 28-4, 28-5), instruction length and
 * instruction-information field (28.2.5) computed by hand from the SDM and
 * the instruction's encoding. The exiting instruction has had no effect
 * and GUEST_RIP points at it.
 */
import { RAX, RBX, RCX, RDX, RSI, RDI } from "../../src/guest-cpu/registers";
import type { ControlNames } from "../../src/vmcs/controls";
import { GUEST_CODE, IO_A, IO_B, MSR_BITMAP, rig, type Rig } from "./rig";

interface ExitCase {
  name: string;
  code: string;
  pin?: ControlNames["pin"][];
  primary?: ControlNames["primary"][];
  secondary?: ControlNames["secondary"][];
  fields?: Record<string, number | bigint>;
  regs?: Partial<Record<number, number>>;
  setup?: (r: Rig) => void;
  /** Expected: reason name, qualification, instruction length, and where the exiting instruction starts. */
  reason: string;
  qual?: number | bigint;
  len: number;
  at?: number;
  info?: number;
  gla?: number;
}

const setBit = (r: Rig, base: number, bit: number) => r.cpu.mem.write(base + (bit >>> 3), 1, r.cpu.mem.read(base + (bit >>> 3), 1) | (1n << BigInt(bit & 7)));

// VMX instruction information (Table 28-13/28-14): memory operand [rax] with 64-bit addressing in DS.
const MEM_RAX = (2 << 7) | (3 << 15) | (1 << 22); // scale 0, address size 64, DS, no index, base RAX (0)

const CASES: ExitCase[] = [
  // 26.1.2: unconditional
  { name: "CPUID", code: "cpuid", reason: "CPUID", qual: 0, len: 2 },
  { name: "INVD", code: "invd", reason: "INVD", len: 2 },
  { name: "XSETBV", code: "xsetbv", fields: { GUEST_CR4: 0x4_2020 }, regs: { [RCX]: 0, [RAX]: 1 }, reason: "XSETBV", len: 3 },
  { name: "VMCALL", code: "vmcall", reason: "VMCALL", len: 3 },
  { name: "VMLAUNCH", code: "vmlaunch", reason: "VMLAUNCH", len: 3 },
  { name: "VMRESUME", code: "vmresume", reason: "VMRESUME", len: 3 },
  { name: "VMXOFF", code: "vmxoff", reason: "VMOFF", len: 3 },
  { name: "VMXON [rax]", code: "vmxon [rax]", reason: "VMON", qual: 0, len: 4, info: MEM_RAX },
  { name: "VMPTRLD [rax+0x10]", code: "vmptrld [rax+0x10]", reason: "VMPTRLD", qual: 0x10, len: 4, info: MEM_RAX },
  { name: "VMCLEAR [rax-8]", code: "vmclear [rax-8]", reason: "VMCLEAR", qual: 0xffff_ffff_ffff_fff8n, len: 5, info: MEM_RAX },
  // VMREAD rax, rbx: reg1 = RAX (destination, register form: bit 10), reg2 = RBX (field encoding).
  { name: "VMREAD rax, rbx", code: "vmread rax, rbx", reason: "VMREAD", qual: 0, len: 3, info: (1 << 10) | (3 << 28) },
  // VMWRITE rbx, [rsi+8]: memory source with base RSI (6), reg2 = RBX.
  {
    name: "VMWRITE rbx, [rsi+8]", code: "vmwrite rbx, [rsi+8]", reason: "VMWRITE", qual: 8, len: 4,
    info: (2 << 7) | (3 << 15) | (1 << 22) | (6 << 23) | (3 << 28),
  },
  // INVEPT rax, [rdi]: reg2 = RAX (type), memory descriptor based on RDI (7).
  { name: "INVEPT rax, [rdi]", code: "invept rax, [rdi]", reason: "INVEPT", qual: 0, len: 5, info: (2 << 7) | (3 << 15) | (1 << 22) | (7 << 23) },
  { name: "INVVPID rcx, [rdi]", code: "invvpid rcx, [rdi]", reason: "INVVPID", qual: 0, len: 5, info: (2 << 7) | (3 << 15) | (1 << 22) | (7 << 23) | (1 << 28) },
  // 26.1.3: controlled by VM-execution controls
  { name: "HLT (hlt-exiting)", code: "hlt", primary: ["hlt-exiting"], reason: "HLT", len: 1 },
  { name: "INVLPG (invlpg-exiting)", code: "invlpg [rax]", primary: ["invlpg-exiting"], regs: { [RAX]: 0x1234 }, reason: "INVLPG", qual: 0x1234, len: 3 },
  { name: "RDPMC (rdpmc-exiting)", code: "rdpmc", primary: ["rdpmc-exiting"], regs: { [RCX]: 0 }, reason: "RDPMC", len: 2 },
  { name: "RDTSC (rdtsc-exiting)", code: "rdtsc", primary: ["rdtsc-exiting"], reason: "RDTSC", len: 2 },
  { name: "RDTSCP (enable-rdtscp, rdtsc-exiting)", code: "rdtscp", primary: ["rdtsc-exiting"], secondary: ["enable-rdtscp"], reason: "RDTSCP", len: 3 },
  // Table 28-3: CR number 3:0, access type 5:4 (0 to, 1 from, 2 CLTS, 3 LMSW), GPR 11:8.
  { name: "MOV rax, CR3 (cr3-store-exiting)", code: "mov rax, cr3", primary: ["cr3-store-exiting"], reason: "CR_ACCESS", qual: 0x13, len: 3 },
  { name: "MOV CR3, rbx (cr3-load-exiting)", code: "mov cr3, rbx", primary: ["cr3-load-exiting"], reason: "CR_ACCESS", qual: 0x303, len: 3 },
  { name: "MOV CR8, rcx (cr8-load-exiting)", code: "mov cr8, rcx", primary: ["cr8-load-exiting"], reason: "CR_ACCESS", qual: 0x108, len: 4 },
  { name: "MOV rdx, CR8 (cr8-store-exiting)", code: "mov rdx, cr8", primary: ["cr8-store-exiting"], reason: "CR_ACCESS", qual: 0x218, len: 4 },
  {
    name: "MOV CR0 changing a host-owned bit (CR0.TS) away from its shadow", code: "mov rax, cr0\nor rax, 8\nmov cr0, rax",
    fields: { CR0_GUEST_HOST_MASK: 8 }, reason: "CR_ACCESS", qual: 0, len: 3, at: GUEST_CODE + 7,
  },
  {
    name: "MOV CR4 changing a host-owned bit (CR4.PGE)", code: "mov rax, cr4\nor rax, 0x80\nmov cr4, rax",
    fields: { CR4_GUEST_HOST_MASK: 0x80 }, reason: "CR_ACCESS", qual: 0x4, len: 3, at: GUEST_CODE + 3 + 6,
  },
  { name: "CLTS with CR0.TS host-owned and shadow 1", code: "clts", fields: { CR0_GUEST_HOST_MASK: 8, CR0_READ_SHADOW: 8 }, reason: "CR_ACCESS", qual: 0x20, len: 2 },
  // LMSW AX with AX = 0039H setting TS (owned, shadow 0): access type 3, register operand, source data in 31:16.
  { name: "LMSW ax setting host-owned CR0.TS", code: "lmsw ax", fields: { CR0_GUEST_HOST_MASK: 8 }, regs: { [RAX]: 0x39 }, reason: "CR_ACCESS", qual: 0x0039_0030, len: 3 },
  // The whole 16-bit source goes to 31:16, bits 15:4 included (they are not loaded into CR0).
  { name: "LMSW ax with source bits 15:4 set", code: "lmsw ax", fields: { CR0_GUEST_HOST_MASK: 8 }, regs: { [RAX]: 0xabc9 }, reason: "CR_ACCESS", qual: 0xabc9_0030, len: 3 },
  // Table 28-4: DR number 2:0, direction 4 (1 = MOV from DR), GPR 11:8.
  { name: "MOV rax, DR7 (mov-dr-exiting)", code: "mov rax, dr7", primary: ["mov-dr-exiting"], reason: "DR_ACCESS", qual: 0x17, len: 3 },
  { name: "MOV DR0, rcx (mov-dr-exiting)", code: "mov dr0, rcx", primary: ["mov-dr-exiting"], reason: "DR_ACCESS", qual: 0x100, len: 3 },
  // Table 28-5: size-1 2:0, IN 3, string 4, REP 5, immediate 6, port 31:16.
  { name: "OUT dx, al (unconditional-io-exiting)", code: "out dx, al", primary: ["unconditional-io-exiting"], regs: { [RDX]: 0x3f8 }, reason: "IO_INSTRUCTION", qual: 0x03f8_0000, len: 1 },
  { name: "IN al, 0x60 (unconditional-io-exiting)", code: "in al, 0x60", primary: ["unconditional-io-exiting"], reason: "IO_INSTRUCTION", qual: 0x0060_0048, len: 2 },
  {
    name: "OUT dx, al to a port set in I/O bitmap A", code: "out dx, al", primary: ["use-io-bitmaps"], regs: { [RDX]: 0x3f8 },
    setup: (r) => setBit(r, IO_A, 0x3f8), reason: "IO_INSTRUCTION", qual: 0x03f8_0000, len: 1,
  },
  {
    name: "IN eax, dx from a port set in I/O bitmap B", code: "in eax, dx", primary: ["use-io-bitmaps"], regs: { [RDX]: 0x8001 },
    setup: (r) => setBit(r, IO_B, 1), reason: "IO_INSTRUCTION", qual: 0x8001_000b, len: 1,
  },
  {
    name: "IN eax, dx at port FFFEH (wraps past FFFFH)", code: "in eax, dx", primary: ["use-io-bitmaps"], regs: { [RDX]: 0xfffe },
    reason: "IO_INSTRUCTION", qual: 0xfffe_000b, len: 1,
  },
  {
    name: "REP OUTSB (string, REP; linear address and instruction information)", code: "rep outsb", primary: ["unconditional-io-exiting"],
    regs: { [RDX]: 0x3f8, [RSI]: 0x5000, [RCX]: 3 }, reason: "IO_INSTRUCTION", qual: 0x03f8_0030, len: 2, gla: 0x5000, info: (2 << 7) | (3 << 15),
  },
  { name: "RDMSR without MSR bitmaps", code: "rdmsr", regs: { [RCX]: 0x10 }, reason: "MSR_READ", len: 2 },
  {
    name: "RDMSR of an MSR set in the read-low bitmap", code: "rdmsr", primary: ["use-msr-bitmaps"], regs: { [RCX]: 0x174 },
    setup: (r) => setBit(r, MSR_BITMAP, 0x174), reason: "MSR_READ", len: 2,
  },
  {
    name: "WRMSR of IA32_EFER set in the write-high bitmap", code: "wrmsr", primary: ["use-msr-bitmaps"], regs: { [RCX]: 0xc000_0080, [RAX]: 0x500 },
    setup: (r) => setBit(r, MSR_BITMAP + 3072, 0x80), reason: "MSR_WRITE", len: 2,
  },
  { name: "RDMSR of an MSR outside the bitmap ranges", code: "rdmsr", primary: ["use-msr-bitmaps"], regs: { [RCX]: 0x4000_0000 }, reason: "MSR_READ", len: 2 },
  { name: "MONITOR (monitor-exiting)", code: "monitor", primary: ["monitor-exiting"], regs: { [RAX]: 0x5000 }, reason: "MONITOR_INSTRUCTION", len: 3 },
  { name: "MWAIT (mwait-exiting)", code: "mwait", primary: ["mwait-exiting"], reason: "MWAIT_INSTRUCTION", len: 3 },
  { name: "PAUSE (pause-exiting)", code: "pause", primary: ["pause-exiting"], reason: "PAUSE_INSTRUCTION", len: 2 },
  { name: "WBINVD (wbinvd-exiting)", code: "wbinvd", secondary: ["wbinvd-exiting"], reason: "WBINVD", len: 2 },
  // Table 28-15: destination register 6:3, operand size 12:11 (1 = 32-bit, 2 = 64-bit).
  { name: "RDRAND eax (rdrand-exiting)", code: "rdrand eax", secondary: ["rdrand-exiting"], reason: "RDRAND", len: 3, info: 1 << 11 },
  { name: "RDSEED rbx (rdseed-exiting)", code: "rdseed rbx", secondary: ["rdseed-exiting"], reason: "RDSEED", len: 4, info: (3 << 3) | (2 << 11) },
  {
    name: "INVPCID (enable-invpcid and invlpg-exiting)", code: "invpcid rax, [rdi]", primary: ["invlpg-exiting"], secondary: ["enable-invpcid"],
    regs: { [RDI]: 0x5000 }, reason: "INVPCID", qual: 0, len: 5, info: (2 << 7) | (3 << 15) | (1 << 22) | (7 << 23),
  },
  // Tables 28-10, 28-11: instruction identity in 29:28.
  { name: "SGDT [rax] (descriptor-table exiting)", code: "sgdt [rax]", secondary: ["descriptor-table-exiting"], regs: { [RAX]: 0x5000 }, reason: "GDTR_IDTR", qual: 0, len: 3 },
  { name: "LIDT [rax] (descriptor-table exiting)", code: "lidt [rax]", secondary: ["descriptor-table-exiting"], regs: { [RAX]: 0x5000 }, reason: "GDTR_IDTR", qual: 0, len: 3 },
  { name: "SLDT ax (descriptor-table exiting)", code: "sldt ax", secondary: ["descriptor-table-exiting"], reason: "LDTR_TR", len: 4, info: 1 << 10 },
  { name: "LTR ax (descriptor-table exiting)", code: "ltr ax", secondary: ["descriptor-table-exiting"], reason: "LDTR_TR", len: 3, info: (3 << 28) | (1 << 10) },
];

function runCase(c: ExitCase) {
  const r = rig({ code: c.code + "\nhlt" });
  if (c.pin) r.controls("pin", c.pin);
  if (c.primary) r.controls("primary", c.primary);
  if (c.secondary) r.controls("secondary", c.secondary);
  for (const [k, v] of Object.entries(c.fields ?? {})) r.set(k, v);
  for (const [k, v] of Object.entries(c.regs ?? {})) {
    r.cpu.s.lo[Number(k)] = v! | 0;
    r.cpu.s.hi[Number(k)] = 0;
  }
  c.setup?.(r);
  const out = r.launch(100);
  return { r, out };
}

describe("VM exits caused by instructions (SDM Vol. 3C 26.1)", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const { r, out } = runCase(c);
    expect(out.entry.kind).toBe("entered");
    expect(out.stop).toBe("exit");
    const e = r.engine.exits[0]!;
    expect(e.reason).toBe(c.reason);
    if (c.qual !== undefined) expect(e.qualification).toBe(BigInt(c.qual));
    expect(e.instructionLength).toBe(c.len);
    expect(r.get("VM_EXIT_INSTRUCTION_LEN")).toBe(BigInt(c.len));
    expect(e.guestRip).toBe(BigInt(c.at ?? GUEST_CODE));
    expect(r.get("GUEST_RIP")).toBe(BigInt(c.at ?? GUEST_CODE));
    if (c.info !== undefined) expect(r.get("VMX_INSTRUCTION_INFO")).toBe(BigInt(c.info >>> 0));
    if (c.gla !== undefined) expect(r.get("GUEST_LINEAR_ADDRESS")).toBe(BigInt(c.gla));
  });

  it("descriptor-table exits identify the instruction in bits 29:28", () => {
    const ids = ["sgdt [rax]", "sidt [rax]", "lgdt [rax]", "lidt [rax]"].map((code) => {
      const { r } = runCase({ name: code, code, secondary: ["descriptor-table-exiting"], regs: { [RAX]: 0x5000 }, reason: "GDTR_IDTR", len: 3 });
      return Number((r.get("VMX_INSTRUCTION_INFO") >> 28n) & 3n);
    });
    expect(ids).toEqual([0, 1, 2, 3]);
  });
});

describe("operations that do not exit", () => {
  it.each([
    ["HLT without hlt-exiting halts the guest", "hlt", {}],
    ["OUT to a port clear in the I/O bitmaps", "mov dx, 0x3f9\nout dx, al\nhlt", { primary: ["use-io-bitmaps"] }],
    ["RDMSR of an MSR clear in the MSR bitmap", "mov ecx, 0x174\nrdmsr\nhlt", { primary: ["use-msr-bitmaps"] }],
    ["MOV CR0 leaving host-owned bits equal to the shadow", "mov rax, cr0\nmov cr0, rax\nhlt", { fields: { CR0_GUEST_HOST_MASK: 8 } }],
    ["MOV CR3 loading a CR3-target value", "mov rax, cr3\nmov cr3, rax\nhlt", { primary: ["cr3-load-exiting"], target: true }],
  ] as const)("%s", (_n, code, o) => {
    const r = rig({ code });
    const oo = o as { primary?: ControlNames["primary"][]; fields?: Record<string, number>; target?: boolean };
    if (oo.primary) r.controls("primary", oo.primary);
    for (const [k, v] of Object.entries(oo.fields ?? {})) r.set(k, v);
    if (oo.target) {
      r.set("CR3_TARGET_COUNT", 1);
      r.set("CR3_TARGET_VALUE0", r.get("GUEST_CR3"));
    }
    expect(r.launch(100).stop).toBe("hlt");
    expect(r.engine.exits).toEqual([]);
  });

  it("MOV from CR0 reads host-owned bits from the read shadow (26.3)", () => {
    const r = rig({ code: "mov rax, cr0\nhlt" });
    r.set("CR0_GUEST_HOST_MASK", 8);
    r.set("CR0_READ_SHADOW", 8);
    expect(r.launch(100).stop).toBe("hlt");
    expect(r.cpu.s.lo[RAX]! >>> 0).toBe((Number(r.get("GUEST_CR0")) | 8) >>> 0);
    expect(r.cpu.s.cr0 & 8).toBe(0);
  });

  it("RDTSC with TSC offsetting returns TSC + TSC_OFFSET (26.3)", () => {
    const r = rig({ code: "rdtsc\nhlt" });
    r.controls("primary", ["use-tsc-offsetting"]);
    r.set("TSC_OFFSET", 0x1_0000_0000n);
    expect(r.launch(100).stop).toBe("hlt");
    expect(r.cpu.s.lo[RDX]).toBe(1);
    void RBX;
  });
});
