import { rig } from "./rig";

describe("VM entry and a CPUID exit", () => {
  it("enters the guest and exits on CPUID with the instruction not executed", () => {
    const r = rig({ code: "mov eax, 0\ncpuid\nhlt" });
    const out = r.launch();
    expect(out.entry).toEqual({ kind: "entered" });
    expect(out.stop).toBe("exit");
    expect(r.engine.exits.map((e) => [e.reason, e.guestRip, e.instructionLength])).toEqual([["CPUID", 0x10005n, 2]]);
    expect(r.get("VM_EXIT_REASON")).toBe(10n);
    expect(r.get("GUEST_RIP")).toBe(0x10005n);
    expect(r.cpu.s.rip).toBe(0x20000);
  });
});
