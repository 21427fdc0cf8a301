import {
  accessByEncodingValue, accessByFieldName, allAccesses, ENCODING_RESERVED, FIELDS, fieldByEncoding, fieldByName, SLOT,
} from "../../src/vmcs/fields";

/**
 * An independent list typed from SDM Vol. 3D Appendix B (and Linux
 * asm/vmx.h for the names): encoding, width and type as the tables state them.
 */
const SDM_SAMPLE: [name: string, encoding: number, width: 16 | 32 | 64 | "natural", group: string][] = [
  ["VIRTUAL_PROCESSOR_ID", 0x0000, 16, "control"],
  ["POSTED_INTR_NV", 0x0002, 16, "control"],
  ["GUEST_ES_SELECTOR", 0x0800, 16, "guest"],
  ["GUEST_TR_SELECTOR", 0x080e, 16, "guest"],
  ["GUEST_INTR_STATUS", 0x0810, 16, "guest"],
  ["GUEST_PML_INDEX", 0x0812, 16, "guest"],
  ["HOST_CS_SELECTOR", 0x0c02, 16, "host"],
  ["HOST_TR_SELECTOR", 0x0c0c, 16, "host"],
  ["IO_BITMAP_A", 0x2000, 64, "control"],
  ["IO_BITMAP_B", 0x2002, 64, "control"],
  ["MSR_BITMAP", 0x2004, 64, "control"],
  ["VM_ENTRY_MSR_LOAD_ADDR", 0x200a, 64, "control"],
  ["TSC_OFFSET", 0x2010, 64, "control"],
  ["EPT_POINTER", 0x201a, 64, "control"],
  ["EPTP_LIST_ADDRESS", 0x2024, 64, "control"],
  ["TSC_MULTIPLIER", 0x2032, 64, "control"],
  ["TERTIARY_VM_EXEC_CONTROL", 0x2034, 64, "control"],
  ["GUEST_PHYSICAL_ADDRESS", 0x2400, 64, "exit-info"],
  ["VMCS_LINK_POINTER", 0x2800, 64, "guest"],
  ["GUEST_IA32_EFER", 0x2806, 64, "guest"],
  ["GUEST_PDPTR0", 0x280a, 64, "guest"],
  ["GUEST_PDPTR3", 0x2810, 64, "guest"],
  ["HOST_IA32_PAT", 0x2c00, 64, "host"],
  ["HOST_IA32_EFER", 0x2c02, 64, "host"],
  ["PIN_BASED_VM_EXEC_CONTROL", 0x4000, 32, "control"],
  ["CPU_BASED_VM_EXEC_CONTROL", 0x4002, 32, "control"],
  ["EXCEPTION_BITMAP", 0x4004, 32, "control"],
  ["CR3_TARGET_COUNT", 0x400a, 32, "control"],
  ["VM_EXIT_CONTROLS", 0x400c, 32, "control"],
  ["VM_ENTRY_CONTROLS", 0x4012, 32, "control"],
  ["VM_ENTRY_INTR_INFO_FIELD", 0x4016, 32, "control"],
  ["SECONDARY_VM_EXEC_CONTROL", 0x401e, 32, "control"],
  ["PLE_WINDOW", 0x4022, 32, "control"],
  ["VM_INSTRUCTION_ERROR", 0x4400, 32, "exit-info"],
  ["VM_EXIT_REASON", 0x4402, 32, "exit-info"],
  ["VM_EXIT_INTR_INFO", 0x4404, 32, "exit-info"],
  ["VM_EXIT_INSTRUCTION_LEN", 0x440c, 32, "exit-info"],
  ["VMX_INSTRUCTION_INFO", 0x440e, 32, "exit-info"],
  ["GUEST_ES_LIMIT", 0x4800, 32, "guest"],
  ["GUEST_CS_AR_BYTES", 0x4816, 32, "guest"],
  ["GUEST_INTERRUPTIBILITY_INFO", 0x4824, 32, "guest"],
  ["GUEST_ACTIVITY_STATE", 0x4826, 32, "guest"],
  ["GUEST_SYSENTER_CS", 0x482a, 32, "guest"],
  ["VMX_PREEMPTION_TIMER_VALUE", 0x482e, 32, "guest"],
  ["HOST_IA32_SYSENTER_CS", 0x4c00, 32, "host"],
  ["CR0_GUEST_HOST_MASK", 0x6000, "natural", "control"],
  ["CR4_READ_SHADOW", 0x6006, "natural", "control"],
  ["CR3_TARGET_VALUE3", 0x600e, "natural", "control"],
  ["EXIT_QUALIFICATION", 0x6400, "natural", "exit-info"],
  ["GUEST_LINEAR_ADDRESS", 0x640a, "natural", "exit-info"],
  ["GUEST_CR0", 0x6800, "natural", "guest"],
  ["GUEST_CR3", 0x6802, "natural", "guest"],
  ["GUEST_GDTR_BASE", 0x6816, "natural", "guest"],
  ["GUEST_RSP", 0x681c, "natural", "guest"],
  ["GUEST_RIP", 0x681e, "natural", "guest"],
  ["GUEST_RFLAGS", 0x6820, "natural", "guest"],
  ["GUEST_SYSENTER_EIP", 0x6826, "natural", "guest"],
  ["HOST_CR0", 0x6c00, "natural", "host"],
  ["HOST_CR4", 0x6c04, "natural", "host"],
  ["HOST_IDTR_BASE", 0x6c0e, "natural", "host"],
  ["HOST_RSP", 0x6c14, "natural", "host"],
  ["HOST_RIP", 0x6c16, "natural", "host"],
];

describe("VMCS field table (SDM Vol. 3D Appendix B)", () => {
  it.each(SDM_SAMPLE)("%s is encoding 0x%s with the SDM's width and type", (name, encoding, width, group) => {
    const f = fieldByName(name)!;
    expect(f).toBeDefined();
    expect(f.encoding).toBe(encoding);
    expect(f.width).toBe(width);
    expect(f.group).toBe(group);
    expect(fieldByEncoding(encoding)?.name).toBe(name);
  });

  describe.each(FIELDS.map((f) => [f.name, f] as const))("%s", (_n, f) => {
    it("has a full-access encoding without reserved bits", () => {
      expect(f.encoding & ENCODING_RESERVED).toBe(0);
      expect(f.encoding & 1).toBe(0);
    });
    it("takes width, type and index from the encoding bits (SDM Table 25-21)", () => {
      expect(f.width).toBe([16, 64, 32, "natural"][(f.encoding >> 13) & 3]);
      expect(f.group).toBe(["control", "exit-info", "guest", "host"][(f.encoding >> 10) & 3]);
      expect(f.index).toBe((f.encoding >> 1) & 0x1ff);
      expect(f.bits).toBe(f.width === 16 ? 16 : f.width === 32 ? 32 : 64);
      expect(f.readOnly).toBe(f.group === "exit-info");
    });
    it("cites its Appendix B section", () => {
      const sec = { 16: "B.1", 64: "B.2", 32: "B.3", natural: "B.4" }[String(f.width) as "16"];
      expect(f.sdm).toContain(`App. ${sec}.`);
    });
    it("names follow Linux's style and start with the owner for guest/host state", () => {
      expect(f.name).toMatch(/^[A-Z][A-Z0-9_]*$/);
      if (f.group === "host") expect(f.name.startsWith("HOST_")).toBe(true);
    });
  });

  it("has unique names, encodings and slots numbered in table order", () => {
    expect(new Set(FIELDS.map((f) => f.name)).size).toBe(FIELDS.length);
    expect(new Set(FIELDS.map((f) => f.encoding)).size).toBe(FIELDS.length);
    FIELDS.forEach((f, i) => expect(f.slot).toBe(i));
    expect(SLOT.GUEST_RIP).toBe(fieldByName("GUEST_RIP")!.slot);
  });

  it("lists fields in encoding order", () => {
    const enc = FIELDS.map((f) => f.encoding);
    expect(enc).toEqual([...enc].sort((a, b) => a - b));
  });

  it("has a _HIGH access (encoding | 1) for exactly the 64-bit fields", () => {
    for (const f of FIELDS) {
      const hi = accessByEncodingValue(f.encoding | 1);
      if (f.width === 64) {
        expect(hi).toMatchObject({ high: true, name: `${f.name}_HIGH`, field: f });
        expect(accessByFieldName(`${f.name}_HIGH`)?.encoding).toBe(f.encoding | 1);
      } else {
        expect(hi).toBeUndefined();
      }
    }
    expect(allAccesses().length).toBe(FIELDS.length + FIELDS.filter((f) => f.width === 64).length);
  });

  it("counts 16 field groups' worth of components", () => {
    const count = (w: string, g: string) => FIELDS.filter((f) => String(f.width) === w && f.group === g).length;
    expect(count("16", "exit-info")).toBe(0); // Appendix B has no 16-bit read-only data fields
    expect(count("32", "host")).toBe(1); // B.3.4: only IA32_SYSENTER_CS
    expect(count("natural", "exit-info")).toBe(6); // B.4.2: exit qualification, I/O RCX/RSI/RDI/RIP, guest-linear address
  });
});
