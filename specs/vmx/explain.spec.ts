/** `vmxlab explain <check id>`: every entry check explains itself from the table. */
import { ENTRY_CHECKS } from "../../src/vmx/entry/checks";
import { explainEntryCheck } from "../../src/vmx/entry/explain";

describe("explain for VM-entry checks", () => {
  it("describes a guest-state check with its SDM section, fields and failure", () => {
    const t = explainEntryCheck("guest-cr0-pg-pe")!;
    expect(t).toContain("VM-entry check guest-cr0-pg-pe");
    expect(t).toContain("sdm:        SDM Vol. 3C 27.3.1.1");
    expect(t).toContain("fields:     GUEST_CR0");
    expect(t).toContain("exit reason 0x80000021 (INVALID_GUEST_STATE, bit 31 set), host state loaded, exit qualification 0");
    expect(t).toContain("GUEST_CR0.PG = 1 requires GUEST_CR0.PE = 1");
  });

  it.each([["ctl-vpid", "error 7"], ["host-cr0-fixed", "error 8"], ["guest-vmcs-link-pointer", "exit qualification 4"]])(
    "%s names its outcome (%s)", (id, outcome) => {
      expect(explainEntryCheck(id)).toContain(outcome);
    });

  it("knows every check id, lists them all, and lists prefix matches", () => {
    for (const c of ENTRY_CHECKS) expect(explainEntryCheck(c.id)).toBeDefined();
    expect(explainEntryCheck("entry-checks")!.split("\n").length).toBe(ENTRY_CHECKS.length + 2);
    expect(explainEntryCheck("guest-cs-")!).toContain("guest-cs-l-db");
    expect(explainEntryCheck("CPUID")).toBeUndefined();
  });
});
