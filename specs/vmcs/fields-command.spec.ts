import { fieldDetail, lookupFields, parseEncoding, whyNotEncoding } from "../../src/vmcs/field-lookup";
import { FIELDS } from "../../src/vmcs/fields";
import { explainCapabilityMsr, explainControl } from "../../src/vmcs/explain-caps";
import { explainVmInstructionError } from "../../src/vmx/explain-vm-error";
import { VM_ERROR_LIST } from "../../src/vmx/vm-errors";
import { vmxlab } from "../support/cli";

describe("vmxlab fields lookups", () => {
  it.each([["0x681e", 0x681e], ["681eh", 0x681e], ["26654", 26654], ["GUEST_RIP", undefined]])("parses %s", (q, n) => {
    expect(parseEncoding(q)).toBe(n);
  });

  it("finds a field by name (any case), by encoding, and the _HIGH half by its encoding", () => {
    expect(lookupFields("guest_rip").map((a) => a.name)).toEqual(["GUEST_RIP"]);
    expect(lookupFields("0x4002").map((a) => a.name)).toEqual(["CPU_BASED_VM_EXEC_CONTROL"]);
    expect(lookupFields("0x201b").map((a) => [a.name, a.high])).toEqual([["EPT_POINTER_HIGH", true]]);
  });

  it("filters by part of a name and by group", () => {
    expect(lookupFields("CR3", { group: "guest" }).map((a) => a.name)).toEqual(["GUEST_CR3"]);
    expect(lookupFields(undefined).length).toBe(FIELDS.length);
    expect(lookupFields(undefined, { high: true }).length).toBe(FIELDS.length + FIELDS.filter((f) => f.width === 64).length);
  });

  it.each([
    [0x1234, /bits 31:15 and 12 are reserved/],
    [0x6801, /high access type .* only for 64-bit fields/],
    [0x6830, /no natural-width guest-state field has index 24/],
  ])("explains why 0x%s is no field", (enc, re) => {
    expect(whyNotEncoding(enc)).toMatch(re);
  });

  it("suggests a name for a typo", () => {
    expect(() => lookupFields("GUEST_RIPP")).toThrow(/did you mean 'GUEST_RIP'/);
  });

  it("describes a field with its encoding bits and SDM section", () => {
    const text = fieldDetail(lookupFields("EPT_POINTER")[0]!);
    expect(text).toContain("0x201a  (access full, index 13, type 0, width 1)");
    expect(text).toContain("SDM Vol. 3D App. B.2.1 Table B-4");
    expect(text).toContain("high half: EPT_POINTER_HIGH (0x201b)");
  });
});

describe("vmxlab explain <VM-instruction error>", () => {
  it.each(VM_ERROR_LIST.map((e) => [e.number, e.description] as const))("error %d: %s", (n, d) => {
    const text = explainVmInstructionError(`vm-error ${n}`)!;
    expect(text.split("\n")[0]).toBe(`VM-instruction error ${n}: ${d}`);
    expect(text).toContain("SDM Vol. 3C 31.4 Table 31-1");
    expect(explainVmInstructionError(`${n}`)).toBe(text);
  });

  it("knows Linux names and unassigned numbers", () => {
    expect(explainVmInstructionError("VMXERR_VMLAUNCH_NONCLEAR_VMCS")).toMatch(/^VM-instruction error 4:/);
    expect(explainVmInstructionError("vm-error 21")).toMatch(/not assigned/);
    expect(explainVmInstructionError("CPUID")).toBeUndefined();
  });
});

describe("CLI", () => {
  it("fields GUEST_RIP", () => {
    const r = vmxlab(["fields", "GUEST_RIP"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^GUEST_RIP: Guest RIP\n {2}encoding: {2}0x681e/);
  });

  it("fields with a bad encoding exits 2", () => {
    const r = vmxlab(["fields", "0x1234"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("0x1234 is not a VMCS field encoding");
  });

  it("fields --json", () => {
    const r = vmxlab(["fields", "--group", "host", "--json"]);
    const rows = JSON.parse(r.stdout) as { name: string; group: string }[];
    expect(rows.every((x) => x.group === "host")).toBe(true);
    expect(rows.map((x) => x.name)).toContain("HOST_RIP");
  });

  it("explain vm-error 7 (two words)", () => {
    const r = vmxlab(["explain", "vm-error", "7"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^VM-instruction error 7: VM entry with invalid control field\(s\)/);
  });
});

describe("vmxlab explain <control> / <capability MSR>", () => {
  it("places a control in its word and capability MSR, with each profile's setting", () => {
    const t = explainControl("unrestricted-guest")!;
    expect(t).toContain("unrestricted-guest: secondary processor-based VM-execution control, bit 7");
    expect(t).toContain("SECONDARY_VM_EXEC_CONTROL (0x401e)");
    expect(t).toContain("allowed-1 in bit 39");
    expect(t).toContain("default: 0 or 1; no-unrestricted-guest: must be 0; minimal: must be 0");
  });

  it("lists every word of a name used twice (load-ia32-efer: exit bit 21, entry bit 15)", () => {
    const t = explainControl("LOAD-IA32-EFER")!;
    expect(t).toMatch(/primary VM-exit control, bit 21/);
    expect(t).toMatch(/VM-entry control, bit 15/);
  });

  it("decodes a capability MSR per profile", () => {
    const t = explainCapabilityMsr("IA32_VMX_TRUE_PROCBASED_CTLS")!;
    expect(t).toMatch(/minimal +absent \(RDMSR #GP\)/);
    expect(t).toMatch(/bit 15 +cr3-load-exiting +0 or 1/);
    expect(t).toMatch(/bit  1 +\(reserved\) +must be 1/);
    expect(explainCapabilityMsr("0x480")).toMatch(/^IA32_VMX_BASIC \(MSR 0x480/);
    expect(explainCapabilityMsr("0x10")).toBeUndefined();
    expect(explainControl("hlt")).toBeUndefined();
  });
});
