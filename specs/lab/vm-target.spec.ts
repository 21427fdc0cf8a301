/** The lab session over a real VM: stepping guest instructions, VM exits as events, exact reverse steps. */
import { LabSession } from "../../src/lab/session";
import { VmLabTarget } from "../../src/lab/vm-target";
import { Vm } from "../../src/vmm/vm";

const CODE = `
  mov esi, 3
again:
  mov eax, 0
  cpuid
  mov dx, 0x3f8
  mov al, 'x'
  out dx, al
  mov [0x40000 + rsi*8], rsi
  dec esi
  jnz again
  hlt
`;

function lab() {
  const vm = new Vm({ memory: 1 << 20, asm: CODE });
  const t = new VmLabTarget(vm);
  return { vm, t, s: new LabSession(t) };
}

describe("lab session on a VM", () => {
  it("next-exit stops at the CPUID exit with the SDM reason and RIP of the CPUID", () => {
    const { s } = lab();
    const r = s.execute("n");
    // mov esi,3 (5 bytes) and mov eax,0 (5 bytes) precede the CPUID at 0x1000a (load 0x10000).
    expect(r.events[0]).toEqual({ kind: "entry", text: "VM entry (VMLAUNCH)" });
    expect(r.events[r.events.length - 1]).toMatchObject({ kind: "exit", reason: "CPUID" });
    expect(r.lines).toContain("#1 CPUID  rip 0x1000a  qualification 0x0  length 2");
  });

  it("stops between the exit and its handler: RIP is not advanced until the handler runs (SDM 28.1)", () => {
    const { s, t } = lab();
    s.execute("n");
    expect(t.vmcs()!["GUEST_RIP"]).toBe(0x1000an);
    expect(t.regs()["rip"]).toBe(0x1000an);
    const r = s.execute("s");
    expect(r.events.map((e) => e.kind)).toEqual(["handled"]);
    // The default CPUID handler advanced GUEST_RIP by VM_EXIT_INSTRUCTION_LEN (2).
    expect(t.vmcs()!["GUEST_RIP"]).toBe(0x1000cn);
    expect(t.regs()["rax"]).toBe(0xdn);
  });

  it("an OUT to the UART exits with the I/O qualification and goes to userspace", () => {
    const { s } = lab();
    s.execute("b exit IO_INSTRUCTION");
    const r = s.execute("c");
    // OUT DX, AL: size 1 (bits 2:0 = 0), direction out (bit 3 = 0), DX operand (bit 6 = 0), port 0x3f8 in bits 31:16 (SDM Table 28-5).
    expect(r.lines.find((l) => l.includes("IO_INSTRUCTION"))).toBe("#2 IO_INSTRUCTION  rip 0x10012  qualification 0x3f80000  length 1");
    expect(r.lines).toContain("breakpoint: exit IO_INSTRUCTION");
  });

  it("runs to the end: three CPUID and three I/O exits, then HLT", () => {
    const { vm, s } = lab();
    const r = s.execute("c");
    expect(r.events.filter((e) => e.kind === "exit").map((e) => e.reason)).toEqual(["CPUID", "IO_INSTRUCTION", "CPUID", "IO_INSTRUCTION", "CPUID", "IO_INSTRUCTION", "HLT"]);
    expect(vm.console).toBe("xxx");
  });

  it.each([[4, 2], [9, 9], [15, 6]])("step %i then back %i equals stepping the difference", (m, n) => {
    const a = lab();
    a.s.execute(`step ${m}`);
    a.s.execute(`back ${n}`);
    const b = lab();
    if (m - n) b.s.execute(`step ${m - n}`);
    expect(a.t.regs()).toEqual(b.t.regs());
    expect(a.t.vmcs()).toEqual(b.t.vmcs());
    expect(a.vm.console).toBe(b.vm.console);
    expect(a.vm.exits.length).toBe(b.vm.exits.length);
    // All of host memory (guest RAM, VMCS region, EPT tables) byte for byte.
    expect(Buffer.compare(a.vm.mem.bytes, b.vm.mem.bytes)).toBe(0);
    expect(a.t.readMemory(0x40008n, 24)).toEqual(b.t.readMemory(0x40008n, 24));
  });

  it("walk prints the 2-D walk: guest 2 MiB pages (3 levels) under 4-level EPT make 3·4 + 3 + 4 = 19 references", () => {
    const { s } = lab();
    s.execute("n");
    const lines = s.execute("walk 0x10000").lines;
    expect(lines).toContain("19 references: 3 guest, 16 nested");
    expect(lines[lines.length - 1]).toBe("guest-linear 0x10000 → guest-physical 0x10000 → host-physical 0x10000");
  });

  it("disasm shows the guest's code at RIP", () => {
    const { s } = lab();
    expect(s.execute("disasm 0x10000 2").lines).toEqual([
      "00010000  be 03 00 00 00                 mov esi, 0x3",
      "00010005  b8 00 00 00 00                 mov eax, 0x0",
    ]);
  });
});
