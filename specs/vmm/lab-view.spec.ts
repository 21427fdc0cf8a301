/** The Vm under a stepping session (src/lab): one instruction per step, exits as events, reverse step through snapshots. */
import { LabSession } from "../../src/lab/session";
import type { LabTarget } from "../../src/lab/target";
import { VmLabView } from "../../src/vmm/lab-view";
import { Vm } from "../../src/vmm/vm";

const ASM = `
  mov eax, 1
  cpuid
  mov rbx, 0x20000
  mov qword [rbx], 5
  mov dx, 0x3f8
  mov al, 'x'
  out dx, al
  hlt
`;

function view(): VmLabView {
  return new VmLabView(new Vm({ memory: 1 << 20, asm: ASM }));
}

describe("a Vm as a lab target", () => {
  it("satisfies the LabTarget interface", () => {
    const t: LabTarget = view();
    expect(typeof t.step).toBe("function");
  });

  it("steps one instruction at a time; the entry, exits and userspace exits are events", () => {
    const t = view();
    const first = t.step(); // VMLAUNCH + mov eax, 1
    expect(first.map((e) => e.kind)).toEqual(["entry"]);
    expect(t.regs().rax).toBe(1n);
    const second = t.step(); // cpuid exits
    expect(second.map((e) => [e.kind, e.reason])).toEqual([["exit", "CPUID"]]);
    const all = [];
    while (!t.finished()) all.push(...t.step());
    expect(all.filter((e) => e.kind === "exit").map((e) => e.reason)).toEqual(["IO_INSTRUCTION", "HLT"]);
    expect(all.some((e) => e.kind === "userspace" && e.text.startsWith("userspace io"))).toBe(true);
    expect(t.finished()).toBe("hlt");
  });

  it("reads registers, VMCS, memory, disassembly, walks and the TLB", () => {
    const t = view();
    t.step(); t.step(); t.step(); t.step();
    expect(t.vmcs()!.VM_EXIT_REASON).toBe(10n);
    expect(t.vmcsGroups().guest).toContain("GUEST_RIP");
    expect(t.readMemory(0x20000n, 8)[0]).toBe(5);
    expect(t.readMemory(0xfeb00000n, 2)).toEqual(new Uint8Array([0xff, 0xff]));
    expect(t.disasm(0x10000n, 2)).toEqual(["0x10000  mov eax, 0x1", "0x10005  cpuid"]);
    const walk = t.walk(0x20000n);
    expect(walk.at(-1)).toMatch(/0x20000 → guest-physical 0x20000 → host-physical 0x20000/);
    expect(t.tlb().length).toBeGreaterThan(0);
    expect(t.explainExit()[0]).toMatch(/#1 CPUID \(basic exit reason 10\)/);
  });

  it("a lab session can step back (restore + replay) to identical state", () => {
    const s = new LabSession(view());
    s.execute("step 4");
    const regs = s.execute("regs").lines.join("\n");
    s.execute("step 2");
    s.execute("back 2");
    expect(s.execute("regs").lines.join("\n")).toBe(regs);
  });
});
