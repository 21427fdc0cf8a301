/**
 * The VMCS field table: every component of SDM Vol. 3D Appendix B (16-bit,
 * 64-bit, 32-bit and natural-width; control, VM-exit information, guest-state
 * and host-state). Names follow Linux `arch/x86/include/asm/vmx.h`
 * `enum vmcs_field`; fields Linux does not name get a name in the same style
 * (marked `linux: false`). Only the encoding is typed in: width, type
 * (group), index and SDM section follow from its bits (SDM Vol. 3C 25.11.2
 * Table 25-21):
 *
 *   bit 0      access type (0 full, 1 high: bits 63:32 of a 64-bit field)
 *   bits 9:1   index
 *   bits 11:10 type (0 control, 1 VM-exit information, 2 guest state, 3 host state)
 *   bit 12     reserved (0)
 *   bits 14:13 width (0 16-bit, 1 64-bit, 2 32-bit, 3 natural-width)
 *   bits 31:15 reserved (0)
 */

export type FieldGroup = "control" | "exit-info" | "guest" | "host";
export type FieldWidth = 16 | 32 | 64 | "natural";

/** Group labels as the SDM titles them. */
export const GROUP_LABEL: Record<FieldGroup, string> = {
  control: "control",
  "exit-info": "VM-exit information (read-only data)",
  guest: "guest state",
  host: "host state",
};

const GROUPS: readonly FieldGroup[] = ["control", "exit-info", "guest", "host"];
const WIDTHS: readonly FieldWidth[] = [16, 64, 32, "natural"];

/** Bits [31:15] and 12 of an encoding are reserved (SDM Table 25-21). */
export const ENCODING_RESERVED = 0xffff_8000 | 0x1000;

export function encodingWidth(encoding: number): FieldWidth {
  return WIDTHS[(encoding >>> 13) & 3]!;
}

export function encodingGroup(encoding: number): FieldGroup {
  return GROUPS[(encoding >>> 10) & 3]!;
}

export function encodingIndex(encoding: number): number {
  return (encoding >>> 1) & 0x1ff;
}

export function isHighAccess(encoding: number): boolean {
  return (encoding & 1) !== 0;
}

/** Bits a field holds; natural-width fields are 64 bits on processors that support Intel 64 (SDM 25.11.2). */
export function widthBits(w: FieldWidth): number {
  return w === "natural" ? 64 : w;
}

/** The Appendix B section listing fields of this width and type. */
export function sdmSection(encoding: number): string {
  const w = (encoding >>> 13) & 3; // 0 16-bit, 1 64-bit, 2 32-bit, 3 natural
  const t = (encoding >>> 10) & 3;
  const part = [1, 2, 3, 4][w]!; // B.1 16-bit, B.2 64-bit, B.3 32-bit, B.4 natural-width
  // 16-bit fields have no read-only data subsection: B.1.1 control, B.1.2 guest, B.1.3 host.
  const sub = w === 0 ? [1, 0, 2, 3][t]! : t + 1;
  const table = w === 0 ? sub : 3 + (w - 1) * 4 + sub;
  return `SDM Vol. 3D App. B.${part}.${sub} Table B-${table}`;
}

interface RawField {
  readonly name: string;
  readonly encoding: number;
  /** The SDM's name of the component. */
  readonly title: string;
  readonly linux?: false;
}

function f<const N extends string>(encoding: number, name: N, title: string, linux?: false): { readonly name: N; readonly encoding: number; readonly title: string; readonly linux?: false } {
  return linux === false ? { name, encoding, title, linux } : { name, encoding, title };
}

/** Every VMCS component, in encoding order of Appendix B. High halves of 64-bit fields are not listed: they are `encoding | 1`, named `<NAME>_HIGH`. */
export const FIELD_TABLE = [
  // B.1.1 16-bit control fields
  f(0x0000, "VIRTUAL_PROCESSOR_ID", "Virtual-processor identifier (VPID)"),
  f(0x0002, "POSTED_INTR_NV", "Posted-interrupt notification vector"),
  f(0x0004, "EPTP_INDEX", "EPTP index", false),
  f(0x0006, "HLAT_PREFIX_SIZE", "HLAT prefix size", false),
  f(0x0008, "LAST_PID_POINTER_INDEX", "Last PID-pointer index"),
  // B.1.2 16-bit guest-state fields
  f(0x0800, "GUEST_ES_SELECTOR", "Guest ES selector"),
  f(0x0802, "GUEST_CS_SELECTOR", "Guest CS selector"),
  f(0x0804, "GUEST_SS_SELECTOR", "Guest SS selector"),
  f(0x0806, "GUEST_DS_SELECTOR", "Guest DS selector"),
  f(0x0808, "GUEST_FS_SELECTOR", "Guest FS selector"),
  f(0x080a, "GUEST_GS_SELECTOR", "Guest GS selector"),
  f(0x080c, "GUEST_LDTR_SELECTOR", "Guest LDTR selector"),
  f(0x080e, "GUEST_TR_SELECTOR", "Guest TR selector"),
  f(0x0810, "GUEST_INTR_STATUS", "Guest interrupt status"),
  f(0x0812, "GUEST_PML_INDEX", "PML index"),
  f(0x0814, "GUEST_UINV", "Guest UINV", false),
  // B.1.3 16-bit host-state fields
  f(0x0c00, "HOST_ES_SELECTOR", "Host ES selector"),
  f(0x0c02, "HOST_CS_SELECTOR", "Host CS selector"),
  f(0x0c04, "HOST_SS_SELECTOR", "Host SS selector"),
  f(0x0c06, "HOST_DS_SELECTOR", "Host DS selector"),
  f(0x0c08, "HOST_FS_SELECTOR", "Host FS selector"),
  f(0x0c0a, "HOST_GS_SELECTOR", "Host GS selector"),
  f(0x0c0c, "HOST_TR_SELECTOR", "Host TR selector"),
  // B.2.1 64-bit control fields
  f(0x2000, "IO_BITMAP_A", "Address of I/O bitmap A"),
  f(0x2002, "IO_BITMAP_B", "Address of I/O bitmap B"),
  f(0x2004, "MSR_BITMAP", "Address of MSR bitmaps"),
  f(0x2006, "VM_EXIT_MSR_STORE_ADDR", "VM-exit MSR-store address"),
  f(0x2008, "VM_EXIT_MSR_LOAD_ADDR", "VM-exit MSR-load address"),
  f(0x200a, "VM_ENTRY_MSR_LOAD_ADDR", "VM-entry MSR-load address"),
  f(0x200c, "EXECUTIVE_VMCS_POINTER", "Executive-VMCS pointer", false),
  f(0x200e, "PML_ADDRESS", "PML address"),
  f(0x2010, "TSC_OFFSET", "TSC offset"),
  f(0x2012, "VIRTUAL_APIC_PAGE_ADDR", "Virtual-APIC address"),
  f(0x2014, "APIC_ACCESS_ADDR", "APIC-access address"),
  f(0x2016, "POSTED_INTR_DESC_ADDR", "Posted-interrupt descriptor address"),
  f(0x2018, "VM_FUNCTION_CONTROL", "VM-function controls"),
  f(0x201a, "EPT_POINTER", "EPT pointer (EPTP)"),
  f(0x201c, "EOI_EXIT_BITMAP0", "EOI-exit bitmap 0"),
  f(0x201e, "EOI_EXIT_BITMAP1", "EOI-exit bitmap 1"),
  f(0x2020, "EOI_EXIT_BITMAP2", "EOI-exit bitmap 2"),
  f(0x2022, "EOI_EXIT_BITMAP3", "EOI-exit bitmap 3"),
  f(0x2024, "EPTP_LIST_ADDRESS", "EPTP-list address"),
  f(0x2026, "VMREAD_BITMAP", "VMREAD-bitmap address"),
  f(0x2028, "VMWRITE_BITMAP", "VMWRITE-bitmap address"),
  f(0x202a, "VE_INFORMATION_ADDRESS", "Virtualization-exception information address"),
  f(0x202c, "XSS_EXIT_BITMAP", "XSS-exiting bitmap"),
  f(0x202e, "ENCLS_EXITING_BITMAP", "ENCLS-exiting bitmap"),
  f(0x2030, "SPPT_POINTER", "Sub-page-permission-table pointer", false),
  f(0x2032, "TSC_MULTIPLIER", "TSC multiplier"),
  f(0x2034, "TERTIARY_VM_EXEC_CONTROL", "Tertiary processor-based VM-execution controls"),
  f(0x2036, "ENCLV_EXITING_BITMAP", "ENCLV-exiting bitmap", false),
  f(0x2038, "LOW_PASID_DIRECTORY_ADDR", "Low PASID directory address", false),
  f(0x203a, "HIGH_PASID_DIRECTORY_ADDR", "High PASID directory address", false),
  f(0x203c, "SHARED_EPT_POINTER", "Shared EPT pointer", false),
  f(0x203e, "PCONFIG_EXITING_BITMAP", "PCONFIG-exiting bitmap", false),
  f(0x2040, "HLAT_POINTER", "Hypervisor-managed linear-address translation pointer (HLATP)", false),
  f(0x2042, "PID_POINTER_TABLE", "PID-pointer table address"),
  f(0x2044, "SECONDARY_VM_EXIT_CONTROLS", "Secondary VM-exit controls"),
  f(0x204a, "IA32_SPEC_CTRL_MASK", "IA32_SPEC_CTRL mask", false),
  f(0x204c, "IA32_SPEC_CTRL_SHADOW", "IA32_SPEC_CTRL shadow", false),
  f(0x2052, "INJECTED_EVENT_DATA", "Injected-event data (FRED)"),
  // B.2.2 64-bit read-only data field
  f(0x2400, "GUEST_PHYSICAL_ADDRESS", "Guest-physical address"),
  f(0x2404, "ORIGINAL_EVENT_DATA", "Original-event data (FRED)"),
  // B.2.3 64-bit guest-state fields
  f(0x2800, "VMCS_LINK_POINTER", "VMCS link pointer"),
  f(0x2802, "GUEST_IA32_DEBUGCTL", "Guest IA32_DEBUGCTL"),
  f(0x2804, "GUEST_IA32_PAT", "Guest IA32_PAT"),
  f(0x2806, "GUEST_IA32_EFER", "Guest IA32_EFER"),
  f(0x2808, "GUEST_IA32_PERF_GLOBAL_CTRL", "Guest IA32_PERF_GLOBAL_CTRL"),
  f(0x280a, "GUEST_PDPTR0", "Guest PDPTE0"),
  f(0x280c, "GUEST_PDPTR1", "Guest PDPTE1"),
  f(0x280e, "GUEST_PDPTR2", "Guest PDPTE2"),
  f(0x2810, "GUEST_PDPTR3", "Guest PDPTE3"),
  f(0x2812, "GUEST_BNDCFGS", "Guest IA32_BNDCFGS"),
  f(0x2814, "GUEST_IA32_RTIT_CTL", "Guest IA32_RTIT_CTL"),
  f(0x2816, "GUEST_IA32_LBR_CTL", "Guest IA32_LBR_CTL"),
  f(0x2818, "GUEST_IA32_PKRS", "Guest IA32_PKRS"),
  f(0x281a, "GUEST_IA32_FRED_CONFIG", "Guest IA32_FRED_CONFIG"),
  f(0x281c, "GUEST_IA32_FRED_RSP1", "Guest IA32_FRED_RSP1"),
  f(0x281e, "GUEST_IA32_FRED_RSP2", "Guest IA32_FRED_RSP2"),
  f(0x2820, "GUEST_IA32_FRED_RSP3", "Guest IA32_FRED_RSP3"),
  f(0x2822, "GUEST_IA32_FRED_STKLVLS", "Guest IA32_FRED_STKLVLS"),
  f(0x2824, "GUEST_IA32_FRED_SSP1", "Guest IA32_FRED_SSP1"),
  f(0x2826, "GUEST_IA32_FRED_SSP2", "Guest IA32_FRED_SSP2"),
  f(0x2828, "GUEST_IA32_FRED_SSP3", "Guest IA32_FRED_SSP3"),
  // B.2.4 64-bit host-state fields
  f(0x2c00, "HOST_IA32_PAT", "Host IA32_PAT"),
  f(0x2c02, "HOST_IA32_EFER", "Host IA32_EFER"),
  f(0x2c04, "HOST_IA32_PERF_GLOBAL_CTRL", "Host IA32_PERF_GLOBAL_CTRL"),
  f(0x2c06, "HOST_IA32_PKRS", "Host IA32_PKRS"),
  f(0x2c08, "HOST_IA32_FRED_CONFIG", "Host IA32_FRED_CONFIG"),
  f(0x2c0a, "HOST_IA32_FRED_RSP1", "Host IA32_FRED_RSP1"),
  f(0x2c0c, "HOST_IA32_FRED_RSP2", "Host IA32_FRED_RSP2"),
  f(0x2c0e, "HOST_IA32_FRED_RSP3", "Host IA32_FRED_RSP3"),
  f(0x2c10, "HOST_IA32_FRED_STKLVLS", "Host IA32_FRED_STKLVLS"),
  f(0x2c12, "HOST_IA32_FRED_SSP1", "Host IA32_FRED_SSP1"),
  f(0x2c14, "HOST_IA32_FRED_SSP2", "Host IA32_FRED_SSP2"),
  f(0x2c16, "HOST_IA32_FRED_SSP3", "Host IA32_FRED_SSP3"),
  // B.3.1 32-bit control fields
  f(0x4000, "PIN_BASED_VM_EXEC_CONTROL", "Pin-based VM-execution controls"),
  f(0x4002, "CPU_BASED_VM_EXEC_CONTROL", "Primary processor-based VM-execution controls"),
  f(0x4004, "EXCEPTION_BITMAP", "Exception bitmap"),
  f(0x4006, "PAGE_FAULT_ERROR_CODE_MASK", "Page-fault error-code mask"),
  f(0x4008, "PAGE_FAULT_ERROR_CODE_MATCH", "Page-fault error-code match"),
  f(0x400a, "CR3_TARGET_COUNT", "CR3-target count"),
  f(0x400c, "VM_EXIT_CONTROLS", "Primary VM-exit controls"),
  f(0x400e, "VM_EXIT_MSR_STORE_COUNT", "VM-exit MSR-store count"),
  f(0x4010, "VM_EXIT_MSR_LOAD_COUNT", "VM-exit MSR-load count"),
  f(0x4012, "VM_ENTRY_CONTROLS", "VM-entry controls"),
  f(0x4014, "VM_ENTRY_MSR_LOAD_COUNT", "VM-entry MSR-load count"),
  f(0x4016, "VM_ENTRY_INTR_INFO_FIELD", "VM-entry interruption-information field"),
  f(0x4018, "VM_ENTRY_EXCEPTION_ERROR_CODE", "VM-entry exception error code"),
  f(0x401a, "VM_ENTRY_INSTRUCTION_LEN", "VM-entry instruction length"),
  f(0x401c, "TPR_THRESHOLD", "TPR threshold"),
  f(0x401e, "SECONDARY_VM_EXEC_CONTROL", "Secondary processor-based VM-execution controls"),
  f(0x4020, "PLE_GAP", "PLE_Gap"),
  f(0x4022, "PLE_WINDOW", "PLE_Window"),
  f(0x4024, "NOTIFY_WINDOW", "Instruction-timeout control (notify window)"),
  // B.3.2 32-bit read-only data fields
  f(0x4400, "VM_INSTRUCTION_ERROR", "VM-instruction error"),
  f(0x4402, "VM_EXIT_REASON", "Exit reason"),
  f(0x4404, "VM_EXIT_INTR_INFO", "VM-exit interruption information"),
  f(0x4406, "VM_EXIT_INTR_ERROR_CODE", "VM-exit interruption error code"),
  f(0x4408, "IDT_VECTORING_INFO_FIELD", "IDT-vectoring information field"),
  f(0x440a, "IDT_VECTORING_ERROR_CODE", "IDT-vectoring error code"),
  f(0x440c, "VM_EXIT_INSTRUCTION_LEN", "VM-exit instruction length"),
  f(0x440e, "VMX_INSTRUCTION_INFO", "VM-exit instruction information"),
  // B.3.3 32-bit guest-state fields
  f(0x4800, "GUEST_ES_LIMIT", "Guest ES limit"),
  f(0x4802, "GUEST_CS_LIMIT", "Guest CS limit"),
  f(0x4804, "GUEST_SS_LIMIT", "Guest SS limit"),
  f(0x4806, "GUEST_DS_LIMIT", "Guest DS limit"),
  f(0x4808, "GUEST_FS_LIMIT", "Guest FS limit"),
  f(0x480a, "GUEST_GS_LIMIT", "Guest GS limit"),
  f(0x480c, "GUEST_LDTR_LIMIT", "Guest LDTR limit"),
  f(0x480e, "GUEST_TR_LIMIT", "Guest TR limit"),
  f(0x4810, "GUEST_GDTR_LIMIT", "Guest GDTR limit"),
  f(0x4812, "GUEST_IDTR_LIMIT", "Guest IDTR limit"),
  f(0x4814, "GUEST_ES_AR_BYTES", "Guest ES access rights"),
  f(0x4816, "GUEST_CS_AR_BYTES", "Guest CS access rights"),
  f(0x4818, "GUEST_SS_AR_BYTES", "Guest SS access rights"),
  f(0x481a, "GUEST_DS_AR_BYTES", "Guest DS access rights"),
  f(0x481c, "GUEST_FS_AR_BYTES", "Guest FS access rights"),
  f(0x481e, "GUEST_GS_AR_BYTES", "Guest GS access rights"),
  f(0x4820, "GUEST_LDTR_AR_BYTES", "Guest LDTR access rights"),
  f(0x4822, "GUEST_TR_AR_BYTES", "Guest TR access rights"),
  f(0x4824, "GUEST_INTERRUPTIBILITY_INFO", "Guest interruptibility state"),
  f(0x4826, "GUEST_ACTIVITY_STATE", "Guest activity state"),
  f(0x4828, "GUEST_SMBASE", "Guest SMBASE", false),
  f(0x482a, "GUEST_SYSENTER_CS", "Guest IA32_SYSENTER_CS"),
  f(0x482e, "VMX_PREEMPTION_TIMER_VALUE", "VMX-preemption timer value"),
  // B.3.4 32-bit host-state field
  f(0x4c00, "HOST_IA32_SYSENTER_CS", "Host IA32_SYSENTER_CS"),
  // B.4.1 natural-width control fields
  f(0x6000, "CR0_GUEST_HOST_MASK", "CR0 guest/host mask"),
  f(0x6002, "CR4_GUEST_HOST_MASK", "CR4 guest/host mask"),
  f(0x6004, "CR0_READ_SHADOW", "CR0 read shadow"),
  f(0x6006, "CR4_READ_SHADOW", "CR4 read shadow"),
  f(0x6008, "CR3_TARGET_VALUE0", "CR3-target value 0"),
  f(0x600a, "CR3_TARGET_VALUE1", "CR3-target value 1"),
  f(0x600c, "CR3_TARGET_VALUE2", "CR3-target value 2"),
  f(0x600e, "CR3_TARGET_VALUE3", "CR3-target value 3"),
  // B.4.2 natural-width read-only data fields
  f(0x6400, "EXIT_QUALIFICATION", "Exit qualification"),
  f(0x6402, "EXIT_IO_RCX", "I/O RCX", false),
  f(0x6404, "EXIT_IO_RSI", "I/O RSI", false),
  f(0x6406, "EXIT_IO_RDI", "I/O RDI", false),
  f(0x6408, "EXIT_IO_RIP", "I/O RIP", false),
  f(0x640a, "GUEST_LINEAR_ADDRESS", "Guest-linear address"),
  // B.4.3 natural-width guest-state fields
  f(0x6800, "GUEST_CR0", "Guest CR0"),
  f(0x6802, "GUEST_CR3", "Guest CR3"),
  f(0x6804, "GUEST_CR4", "Guest CR4"),
  f(0x6806, "GUEST_ES_BASE", "Guest ES base"),
  f(0x6808, "GUEST_CS_BASE", "Guest CS base"),
  f(0x680a, "GUEST_SS_BASE", "Guest SS base"),
  f(0x680c, "GUEST_DS_BASE", "Guest DS base"),
  f(0x680e, "GUEST_FS_BASE", "Guest FS base"),
  f(0x6810, "GUEST_GS_BASE", "Guest GS base"),
  f(0x6812, "GUEST_LDTR_BASE", "Guest LDTR base"),
  f(0x6814, "GUEST_TR_BASE", "Guest TR base"),
  f(0x6816, "GUEST_GDTR_BASE", "Guest GDTR base"),
  f(0x6818, "GUEST_IDTR_BASE", "Guest IDTR base"),
  f(0x681a, "GUEST_DR7", "Guest DR7"),
  f(0x681c, "GUEST_RSP", "Guest RSP"),
  f(0x681e, "GUEST_RIP", "Guest RIP"),
  f(0x6820, "GUEST_RFLAGS", "Guest RFLAGS"),
  f(0x6822, "GUEST_PENDING_DBG_EXCEPTIONS", "Guest pending debug exceptions"),
  f(0x6824, "GUEST_SYSENTER_ESP", "Guest IA32_SYSENTER_ESP"),
  f(0x6826, "GUEST_SYSENTER_EIP", "Guest IA32_SYSENTER_EIP"),
  f(0x6828, "GUEST_S_CET", "Guest IA32_S_CET"),
  f(0x682a, "GUEST_SSP", "Guest SSP"),
  f(0x682c, "GUEST_INTR_SSP_TABLE", "Guest IA32_INTERRUPT_SSP_TABLE_ADDR"),
  // B.4.4 natural-width host-state fields
  f(0x6c00, "HOST_CR0", "Host CR0"),
  f(0x6c02, "HOST_CR3", "Host CR3"),
  f(0x6c04, "HOST_CR4", "Host CR4"),
  f(0x6c06, "HOST_FS_BASE", "Host FS base"),
  f(0x6c08, "HOST_GS_BASE", "Host GS base"),
  f(0x6c0a, "HOST_TR_BASE", "Host TR base"),
  f(0x6c0c, "HOST_GDTR_BASE", "Host GDTR base"),
  f(0x6c0e, "HOST_IDTR_BASE", "Host IDTR base"),
  f(0x6c10, "HOST_IA32_SYSENTER_ESP", "Host IA32_SYSENTER_ESP"),
  f(0x6c12, "HOST_IA32_SYSENTER_EIP", "Host IA32_SYSENTER_EIP"),
  f(0x6c14, "HOST_RSP", "Host RSP"),
  f(0x6c16, "HOST_RIP", "Host RIP"),
  f(0x6c18, "HOST_S_CET", "Host IA32_S_CET"),
  f(0x6c1a, "HOST_SSP", "Host SSP"),
  f(0x6c1c, "HOST_INTR_SSP_TABLE", "Host IA32_INTERRUPT_SSP_TABLE_ADDR"),
] as const satisfies readonly RawField[];

/** A field name of the table (full access). */
export type FieldName = (typeof FIELD_TABLE)[number]["name"];
/** The high half of a 64-bit field (access type high). */
export type HighFieldName = `${FieldName}_HIGH`;

/** A VMCS component with everything its encoding says. */
export interface VmcsField {
  readonly name: FieldName;
  readonly encoding: number;
  readonly title: string;
  /** Named in Linux `enum vmcs_field` (false: vmxlab's name in the same style). */
  readonly linux: boolean;
  readonly group: FieldGroup;
  readonly width: FieldWidth;
  /** Bits stored: 16, 32 or 64. */
  readonly bits: number;
  readonly index: number;
  readonly sdm: string;
  /** Position in FIELD_TABLE: the slot of the field in a Vmcs. */
  readonly slot: number;
  /** Read-only for VMWRITE unless IA32_VMX_MISC bit 29 (SDM 25.11.2, 31 VMWRITE). */
  readonly readOnly: boolean;
}

export const FIELDS: readonly VmcsField[] = FIELD_TABLE.map((r: RawField, slot) => {
  const width = encodingWidth(r.encoding);
  const group = encodingGroup(r.encoding);
  return Object.freeze({
    name: r.name as FieldName,
    encoding: r.encoding,
    title: r.title,
    linux: r.linux !== false,
    group,
    width,
    bits: widthBits(width),
    index: encodingIndex(r.encoding),
    sdm: sdmSection(r.encoding),
    slot,
    readOnly: group === "exit-info",
  });
});

/** Number of fields (slots in a Vmcs). */
export const FIELD_COUNT = FIELDS.length;

/** Field name → slot, for the engine's hot paths: `vmcs.u32(SLOT.GUEST_CS_AR_BYTES)`. */
export const SLOT: Readonly<Record<FieldName, number>> = Object.freeze(
  Object.fromEntries(FIELDS.map((fd) => [fd.name, fd.slot])) as Record<FieldName, number>,
);

const byName = new Map<string, VmcsField>(FIELDS.map((fd) => [fd.name, fd]));
const byEncoding = new Map<number, VmcsField>(FIELDS.map((fd) => [fd.encoding, fd]));

/** A resolved access: the field and whether it is the high half (encoding | 1 of a 64-bit field). */
export interface FieldAccess {
  readonly field: VmcsField;
  readonly high: boolean;
  readonly encoding: number;
  readonly name: string;
}

const accessByEncoding = new Map<number, FieldAccess>();
const accessByName = new Map<string, FieldAccess>();
for (const fd of FIELDS) {
  const full: FieldAccess = { field: fd, high: false, encoding: fd.encoding, name: fd.name };
  accessByEncoding.set(fd.encoding, full);
  accessByName.set(fd.name, full);
  if (fd.width === 64) {
    const hi: FieldAccess = { field: fd, high: true, encoding: fd.encoding | 1, name: `${fd.name}_HIGH` };
    accessByEncoding.set(hi.encoding, hi);
    accessByName.set(hi.name, hi);
  }
}

export function fieldByName(name: string): VmcsField | undefined {
  return byName.get(name);
}

export function fieldByEncoding(encoding: number): VmcsField | undefined {
  return byEncoding.get(encoding);
}

/**
 * Resolves an encoding as VMREAD/VMWRITE see it: full or high access. The
 * high access type is valid only for 64-bit fields (SDM 25.11.2); anything
 * else is an unsupported component.
 */
export function accessByEncodingValue(encoding: number): FieldAccess | undefined {
  return accessByEncoding.get(encoding);
}

/** Resolves `GUEST_RIP` or `EPT_POINTER_HIGH` (case-insensitive). */
export function accessByFieldName(name: string): FieldAccess | undefined {
  return accessByName.get(name) ?? accessByName.get(name.toUpperCase());
}

/** Every valid access (full fields plus `_HIGH` halves), in encoding order. */
export function allAccesses(): FieldAccess[] {
  return [...accessByEncoding.values()].sort((a, b) => a.encoding - b.encoding);
}
