/** Lab sessions on scenarios without the TypeScript VMM: the bare CPU (lab 1) and a hypervisor in assembly (lab 19). */
import { join } from "node:path";
import { openLab } from "../../src/lab/open";
import type { LabSession } from "../../src/lab/session";

const lab = (name: string) => openLab(join(__dirname, "..", "..", "examples", name));

function state(s: LabSession) {
  const t = s.target;
  return { regs: t.regs(), vmcs: t.vmcs(), mem: Buffer.from(t.readMemory(0n, 0x100000)).toString("base64") };
}

describe("stepping a hypervisor written in assembly (lab 19)", () => {
  it("breaks on the hypervisor's first CPUID exit with the guest RIP of the CPUID", () => {
    const s = lab("19-hypervisor-in-assembly.yaml");
    s.execute("b exit CPUID");
    const r = s.execute("c");
    expect(r.events.map((e) => e.kind)).toEqual(["entry", "exit"]);
    expect(r.events[1]!.reason).toBe("CPUID");
    // The guest is loaded at 0x20000; its first CPUID follows a 5-byte MOV EAX, imm32.
    expect(s.target.vmcs()!["GUEST_RIP"]).toBe(0x20005n);
    expect(s.target.vmcs()!["VM_EXIT_REASON"]).toBe(10n);
  });

  it.each([[40, 7], [330, 25]])("step %i then back %i equals stepping the difference (registers, VMCS, memory)", (m, n) => {
    const a = lab("19-hypervisor-in-assembly.yaml");
    a.execute(`step ${m}`);
    a.execute(`back ${n}`);
    const b = lab("19-hypervisor-in-assembly.yaml");
    b.execute(`step ${m - n}`);
    expect(state(a)).toEqual(state(b));
  });
});

describe("stepping the bare CPU (lab 1, no VMX)", () => {
  it("shows the #GP of each privileged instruction tried in ring 3", () => {
    const s = lab("01-rings-and-holes.yaml");
    const r = s.execute("c");
    const faults = r.events.filter((e) => e.kind === "fault");
    expect(faults.length).toBeGreaterThan(0);
    expect(faults.every((f) => f.reason === "#GP")).toBe(true);
    expect(s.target.vmcs()).toBeNull();
    expect(s.execute("vmcs").lines).toEqual(["no current VMCS (not in VMX operation or none loaded)"]);
  });
});
