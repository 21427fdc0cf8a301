/**
 * VM entry as a whole (SDM Vol. 3C 27): what a failed check does to the
 * processor (VMfailValid 7/8 with nothing loaded; a VM-entry failure exit
 * with reason bit 31, its qualification and host state loaded), the
 * VM-entry MSR-load area, and loading of guest state.
 */
import { CS, RSP, SS } from "../../src/guest-cpu/registers";
import { ACTIVE, HLT } from "../../src/guest-cpu/state";
import { HOST_CODE, rig } from "./rig";

describe("a VM entry whose checks fail", () => {
  it("fails with VMfailValid 7 on a control-field check and loads nothing", () => {
    const r = rig();
    r.set("CR3_TARGET_COUNT", 9);
    const rip = r.cpu.s.rip;
    const out = r.engine.enter(r.vmcs, true);
    expect(out.kind).toBe("failValid");
    if (out.kind !== "failValid") return;
    expect(out.error).toBe(7);
    expect(out.failure).toMatchObject({ id: "ctl-cr3-target-count", sdm: "SDM Vol. 3C 27.2.1.1", fields: [{ name: "CR3_TARGET_COUNT", value: 9n }] });
    expect(r.cpu.s.rip).toBe(rip);
    expect(r.cpu.s.icpt).toBeNull();
    expect(r.vmcs.launched).toBe(false);
    expect(r.engine.exits).toEqual([]);
  });

  it("fails with VMfailValid 8 on a host-state check", () => {
    const r = rig();
    r.set("HOST_CS_SELECTOR", 0);
    const out = r.engine.enter(r.vmcs, true);
    expect(out).toMatchObject({ kind: "failValid", error: 8, failure: { id: "host-cs-tr-nonnull", phase: "host" } });
  });

  it.each([
    ["guest-cr0-fixed", "GUEST_CR0", 0x8000_0011n, 0],
    ["guest-vmcs-link-pointer", "VMCS_LINK_POINTER", 0n, 4],
  ])("takes a VM-entry failure exit (reason 0x80000021) for %s (%s = %s) with qualification %d", (id, field, value, qual) => {
    const r = rig({ code: "hlt" });
    r.set(field, value);
    const out = r.engine.enter(r.vmcs, true);
    expect(out.kind).toBe("entry-failed");
    expect(r.get("VM_EXIT_REASON")).toBe(0x8000_0021n);
    expect(r.get("EXIT_QUALIFICATION")).toBe(BigInt(qual));
    expect(r.engine.exits).toHaveLength(1);
    expect(r.engine.exits[0]).toMatchObject({ reason: "INVALID_GUEST_STATE", basicReason: 33, exitReason: 0x8000_0021, qualification: BigInt(qual) });
    expect(r.engine.exits[0]!.entryFailure!.id).toBe(id);
    // Host state is loaded as on a VM exit (27.8); the guest-state area is untouched.
    expect(r.cpu.s.rip).toBe(HOST_CODE);
    expect(r.get(field)).toBe(value);
    expect(r.vmcs.launched).toBe(false);
  });

  it("fails with reason 34 and the 1-based entry index when the VM-entry MSR-load area holds an unloadable MSR", () => {
    const r = rig();
    const area = 0x6_0000;
    r.cpu.mem.write(area, 4, 0x174n); // IA32_SYSENTER_CS: fine
    r.cpu.mem.write(area + 8, 8, 0x10n);
    r.cpu.mem.write(area + 16, 4, 0xc000_0100n); // IA32_FS_BASE: not loadable from the area (27.4)
    r.set("VM_ENTRY_MSR_LOAD_ADDR", area);
    r.set("VM_ENTRY_MSR_LOAD_COUNT", 2);
    const out = r.engine.enter(r.vmcs, true);
    expect(out.kind).toBe("entry-failed");
    expect(r.get("VM_EXIT_REASON")).toBe(0x8000_0022n);
    expect(r.get("EXIT_QUALIFICATION")).toBe(2n);
    expect(r.engine.exits[0]).toMatchObject({ reason: "MSR_LOAD_FAIL", qualification: 2n });
  });
});

describe("loading guest state (SDM Vol. 3C 27.3.2)", () => {
  it("loads RIP, RSP, RFLAGS, segments and the activity state", () => {
    const r = rig({ code: "nop" });
    r.set("GUEST_RSP", 0x7_0000);
    r.set("GUEST_RFLAGS", 0x246);
    r.set("GUEST_ACTIVITY_STATE", 1);
    const out = r.engine.enter(r.vmcs, true);
    expect(out.kind).toBe("entered");
    const s = r.cpu.s;
    expect([s.rip, s.lo[RSP], s.rflags, s.activity]).toEqual([0x10000, 0x7_0000, 0x246, HLT]);
    expect([s.segSel[CS], s.segAr[CS], s.segSel[SS]]).toEqual([0x08, 0xa09b, 0x10]);
    expect(s.bits).toBe(64);
    expect(r.vmcs.launched).toBe(true);
    expect(r.engine.nonRoot).toBe(true);
  });

  it("VMRESUME after an exit re-checks only what changed and reports a field written meanwhile", () => {
    const r = rig({ code: "cpuid\ncpuid\nhlt" });
    expect(r.launch().stop).toBe("exit");
    r.set("GUEST_RIP", r.get("GUEST_RIP") + 2n);
    expect(r.engine.resume().kind).toBe("entered");
    expect(r.cpu.run(100).stop).toBe("exit");
    expect(r.engine.exits.map((e) => e.guestRip)).toEqual([0x10000n, 0x10002n]);
    r.set("GUEST_RIP", 1n << 47n);
    expect(r.engine.resume()).toMatchObject({ kind: "entry-failed", failure: { id: "guest-rip" } });
    expect(r.cpu.s.activity).toBe(ACTIVE);
  });
});
