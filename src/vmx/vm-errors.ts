/**
 * VM-instruction error numbers (SDM Vol. 3C 31.4 Table 31-1): what a
 * VMfailValid stores in the VM_INSTRUCTION_ERROR field. Names are Linux's
 * `enum vm_instruction_error_number` without the `VMXERR_` prefix. Numbers
 * 14, 21 and 27 are not assigned.
 */

export const VM_ERROR = {
  VMCALL_IN_VMX_ROOT_OPERATION: 1,
  VMCLEAR_INVALID_ADDRESS: 2,
  VMCLEAR_VMXON_POINTER: 3,
  VMLAUNCH_NONCLEAR_VMCS: 4,
  VMRESUME_NONLAUNCHED_VMCS: 5,
  VMRESUME_AFTER_VMXOFF: 6,
  ENTRY_INVALID_CONTROL_FIELD: 7,
  ENTRY_INVALID_HOST_STATE_FIELD: 8,
  VMPTRLD_INVALID_ADDRESS: 9,
  VMPTRLD_VMXON_POINTER: 10,
  VMPTRLD_INCORRECT_VMCS_REVISION_ID: 11,
  UNSUPPORTED_VMCS_COMPONENT: 12,
  VMWRITE_READ_ONLY_VMCS_COMPONENT: 13,
  VMXON_IN_VMX_ROOT_OPERATION: 15,
  ENTRY_INVALID_EXECUTIVE_VMCS_POINTER: 16,
  ENTRY_NONLAUNCHED_EXECUTIVE_VMCS: 17,
  ENTRY_EXECUTIVE_VMCS_POINTER_NOT_VMXON_POINTER: 18,
  VMCALL_NONCLEAR_VMCS: 19,
  VMCALL_INVALID_VM_EXIT_CONTROL_FIELDS: 20,
  VMCALL_INCORRECT_MSEG_REVISION_ID: 22,
  VMXOFF_UNDER_DUAL_MONITOR_TREATMENT_OF_SMIS_AND_SMM: 23,
  VMCALL_INVALID_SMM_MONITOR_FEATURES: 24,
  ENTRY_INVALID_VM_EXECUTION_CONTROL_FIELDS_IN_EXECUTIVE_VMCS: 25,
  ENTRY_EVENTS_BLOCKED_BY_MOV_SS: 26,
  INVALID_OPERAND_TO_INVEPT_INVVPID: 28,
} as const;

export type VmErrorName = keyof typeof VM_ERROR;
export type VmErrorNumber = (typeof VM_ERROR)[VmErrorName];

/** Who can make the error happen in vmxlab. */
export type Reachability =
  /** A root-mode program (or the TypeScript VMM) triggers it with VMX instructions alone. */
  | "instruction"
  /** VM entry's control/host-state checks (src/vmx engine) report it. */
  | "vm-entry"
  /** Needs the dual-monitor treatment of SMIs and SMM, which vmxlab does not model. */
  | "smm";

export interface VmErrorInfo {
  readonly number: VmErrorNumber;
  readonly name: VmErrorName;
  /** The SDM's description (Table 31-1). */
  readonly description: string;
  readonly instructions: readonly string[];
  /** Why it happens and what software does about it. */
  readonly explain: string;
  readonly reachable: Reachability;
  readonly sdm: string;
}

const T = "SDM Vol. 3C 31.4 Table 31-1";

export const VM_ERRORS = {
  VMCALL_IN_VMX_ROOT_OPERATION: {
    description: "VMCALL executed in VMX root operation",
    instructions: ["VMCALL"],
    explain: "VMCALL in root operation activates the dual-monitor treatment of SMIs and SMM only when IA32_SMM_MONITOR_CTL[0] is 1; otherwise it fails. A hypervisor's own VMCALL does nothing but fail: VMCALL is meant for guests (it always exits in non-root operation).",
    reachable: "instruction", sdm: `${T}; SDM Vol. 3C 31.3 VMCALL`,
  },
  VMCLEAR_INVALID_ADDRESS: {
    description: "VMCLEAR with invalid physical address",
    instructions: ["VMCLEAR"],
    explain: "The operand must be a 4-KiB-aligned physical address within the processor's physical-address width (CPUID 80000008H EAX[7:0]).",
    reachable: "instruction", sdm: `${T}; SDM Vol. 3C 31.3 VMCLEAR`,
  },
  VMCLEAR_VMXON_POINTER: {
    description: "VMCLEAR with VMXON pointer",
    instructions: ["VMCLEAR"],
    explain: "The VMXON region is not a VMCS: use a separate 4-KiB region for each VMCS.",
    reachable: "instruction", sdm: `${T}; SDM Vol. 3C 31.3 VMCLEAR`,
  },
  VMLAUNCH_NONCLEAR_VMCS: {
    description: "VMLAUNCH with non-clear VMCS",
    instructions: ["VMLAUNCH"],
    explain: "The current VMCS was already launched. Use VMRESUME for later entries with the same VMCS, or VMCLEAR it (then VMPTRLD again) to launch it afresh.",
    reachable: "instruction", sdm: `${T}; SDM Vol. 3C 25.11.3, 31.3 VMLAUNCH/VMRESUME`,
  },
  VMRESUME_NONLAUNCHED_VMCS: {
    description: "VMRESUME with non-launched VMCS",
    instructions: ["VMRESUME"],
    explain: "The current VMCS's launch state is clear (after VMCLEAR, or never launched): the first entry with a VMCS must be VMLAUNCH.",
    reachable: "instruction", sdm: `${T}; SDM Vol. 3C 25.11.3, 31.3 VMLAUNCH/VMRESUME`,
  },
  VMRESUME_AFTER_VMXOFF: {
    description: "VMRESUME after VMXOFF (VMXOFF and VMXON between VMLAUNCH and VMRESUME)",
    instructions: ["VMRESUME"],
    explain: "VMXOFF left VMX operation while the VMCS was active without VMCLEAR, so its contents never reached memory. VMCLEAR every active VMCS before VMXOFF, and VMLAUNCH (not VMRESUME) after loading it again.",
    reachable: "instruction", sdm: `${T}; SDM Vol. 3C 25.11.3`,
  },
  ENTRY_INVALID_CONTROL_FIELD: {
    description: "VM entry with invalid control field(s)",
    instructions: ["VMLAUNCH", "VMRESUME"],
    explain: "A check on the VM-execution, VM-exit or VM-entry control fields failed (allowed-0/allowed-1 settings of the capability MSRs, bitmap addresses, EPTP, event injection, ...). Nothing was loaded; the instruction falls through.",
    reachable: "vm-entry", sdm: `${T}; SDM Vol. 3C 27.2.1`,
  },
  ENTRY_INVALID_HOST_STATE_FIELD: {
    description: "VM entry with invalid host-state field(s)",
    instructions: ["VMLAUNCH", "VMRESUME"],
    explain: "A check on the host-state area failed (HOST_CR0/CR4 fixed bits, canonical addresses, selectors with RPL/TI set, host address-space size vs. EFER, ...). Nothing was loaded; the instruction falls through.",
    reachable: "vm-entry", sdm: `${T}; SDM Vol. 3C 27.2.2, 27.2.3`,
  },
  VMPTRLD_INVALID_ADDRESS: {
    description: "VMPTRLD with invalid physical address",
    instructions: ["VMPTRLD"],
    explain: "The operand must be a 4-KiB-aligned physical address within the processor's physical-address width.",
    reachable: "instruction", sdm: `${T}; SDM Vol. 3C 31.3 VMPTRLD`,
  },
  VMPTRLD_VMXON_POINTER: {
    description: "VMPTRLD with VMXON pointer",
    instructions: ["VMPTRLD"],
    explain: "The VMXON region cannot be a VMCS: allocate a separate region.",
    reachable: "instruction", sdm: `${T}; SDM Vol. 3C 31.3 VMPTRLD`,
  },
  VMPTRLD_INCORRECT_VMCS_REVISION_ID: {
    description: "VMPTRLD with incorrect VMCS revision identifier",
    instructions: ["VMPTRLD"],
    explain: "Bits 30:0 of the region's first dword must equal bits 30:0 of IA32_VMX_BASIC (MSR 480H), and bit 31 (shadow-VMCS indicator) may be 1 only if VMCS shadowing is supported. Write the revision identifier before VMCLEAR/VMPTRLD.",
    reachable: "instruction", sdm: `${T}; SDM Vol. 3C 25.2, 31.3 VMPTRLD`,
  },
  UNSUPPORTED_VMCS_COMPONENT: {
    description: "VMREAD/VMWRITE from/to unsupported VMCS component",
    instructions: ["VMREAD", "VMWRITE"],
    explain: "The encoding names no field this processor supports (typo, reserved bits set, the high access type on a field that is not 64 bits, or a field of a feature the profile lacks). `vmxlab fields` lists the encodings.",
    reachable: "instruction", sdm: `${T}; SDM Vol. 3C 25.11.2, Vol. 3D Appendix B`,
  },
  VMWRITE_READ_ONLY_VMCS_COMPONENT: {
    description: "VMWRITE to read-only VMCS component",
    instructions: ["VMWRITE"],
    explain: "VM-exit information fields are read-only unless IA32_VMX_MISC bit 29 is 1 (the 'minimal' profile has it 0).",
    reachable: "instruction", sdm: `${T}; SDM Vol. 3C 25.9, 31.3 VMWRITE`,
  },
  VMXON_IN_VMX_ROOT_OPERATION: {
    description: "VMXON executed in VMX root operation",
    instructions: ["VMXON"],
    explain: "The processor is already in VMX operation: VMXON once per processor, VMXOFF to leave.",
    reachable: "instruction", sdm: `${T}; SDM Vol. 3C 31.3 VMXON`,
  },
  ENTRY_INVALID_EXECUTIVE_VMCS_POINTER: {
    description: "VM entry with invalid executive-VMCS pointer",
    instructions: ["VMLAUNCH", "VMRESUME"],
    explain: "Only in the SMM-transfer monitor under the dual-monitor treatment of SMIs and SMM, which vmxlab does not model.",
    reachable: "smm", sdm: `${T}; SDM Vol. 3C 33.15`,
  },
  ENTRY_NONLAUNCHED_EXECUTIVE_VMCS: {
    description: "VM entry with non-launched executive VMCS",
    instructions: ["VMLAUNCH", "VMRESUME"],
    explain: "Only in the SMM-transfer monitor (dual-monitor treatment), not modelled by vmxlab.",
    reachable: "smm", sdm: `${T}; SDM Vol. 3C 33.15`,
  },
  ENTRY_EXECUTIVE_VMCS_POINTER_NOT_VMXON_POINTER: {
    description: "VM entry with executive-VMCS pointer not VMXON pointer (when attempting to deactivate the dual-monitor treatment of SMIs and SMM)",
    instructions: ["VMLAUNCH", "VMRESUME"],
    explain: "Only in the SMM-transfer monitor (dual-monitor treatment), not modelled by vmxlab.",
    reachable: "smm", sdm: `${T}; SDM Vol. 3C 33.15.7`,
  },
  VMCALL_NONCLEAR_VMCS: {
    description: "VMCALL with non-clear VMCS (when attempting to activate the dual-monitor treatment of SMIs and SMM)",
    instructions: ["VMCALL"],
    explain: "Activating the dual-monitor treatment needs IA32_SMM_MONITOR_CTL[0]=1, which vmxlab's processors never report.",
    reachable: "smm", sdm: `${T}; SDM Vol. 3C 33.15.6`,
  },
  VMCALL_INVALID_VM_EXIT_CONTROL_FIELDS: {
    description: "VMCALL with invalid VM-exit control fields",
    instructions: ["VMCALL"],
    explain: "Only when activating the dual-monitor treatment of SMIs and SMM (not modelled).",
    reachable: "smm", sdm: `${T}; SDM Vol. 3C 33.15.6`,
  },
  VMCALL_INCORRECT_MSEG_REVISION_ID: {
    description: "VMCALL with incorrect MSEG revision identifier (when attempting to activate the dual-monitor treatment of SMIs and SMM)",
    instructions: ["VMCALL"],
    explain: "Only when activating the dual-monitor treatment of SMIs and SMM (not modelled).",
    reachable: "smm", sdm: `${T}; SDM Vol. 3C 33.15.6`,
  },
  VMXOFF_UNDER_DUAL_MONITOR_TREATMENT_OF_SMIS_AND_SMM: {
    description: "VMXOFF under dual-monitor treatment of SMIs and SMM",
    instructions: ["VMXOFF"],
    explain: "The dual-monitor treatment must be deactivated before VMXOFF; vmxlab never activates it.",
    reachable: "smm", sdm: `${T}; SDM Vol. 3C 31.3 VMXOFF`,
  },
  VMCALL_INVALID_SMM_MONITOR_FEATURES: {
    description: "VMCALL with invalid SMM-monitor features (when attempting to activate the dual-monitor treatment of SMIs and SMM)",
    instructions: ["VMCALL"],
    explain: "Only when activating the dual-monitor treatment of SMIs and SMM (not modelled).",
    reachable: "smm", sdm: `${T}; SDM Vol. 3C 33.15.6`,
  },
  ENTRY_INVALID_VM_EXECUTION_CONTROL_FIELDS_IN_EXECUTIVE_VMCS: {
    description: "VM entry with invalid VM-execution control fields in executive VMCS (when attempting to return from SMM)",
    instructions: ["VMLAUNCH", "VMRESUME"],
    explain: "Only in the SMM-transfer monitor (dual-monitor treatment), not modelled by vmxlab.",
    reachable: "smm", sdm: `${T}; SDM Vol. 3C 33.15`,
  },
  ENTRY_EVENTS_BLOCKED_BY_MOV_SS: {
    description: "VM entry with events blocked by MOV SS",
    instructions: ["VMLAUNCH", "VMRESUME"],
    explain: "VMLAUNCH/VMRESUME right after MOV SS or POP SS (in the interrupt shadow it creates) fails. Put another instruction between them.",
    reachable: "instruction", sdm: `${T}; SDM Vol. 3C 31.3 VMLAUNCH/VMRESUME`,
  },
  INVALID_OPERAND_TO_INVEPT_INVVPID: {
    description: "Invalid operand to INVEPT/INVVPID",
    instructions: ["INVEPT", "INVVPID"],
    explain: "The type is not supported (IA32_VMX_EPT_VPID_CAP), the INVEPT single-context EPTP is invalid, or the INVVPID descriptor has reserved bits set, VPID 0 for a single-context/individual-address type, or a non-canonical address.",
    reachable: "instruction", sdm: `${T}; SDM Vol. 3C 31.3 INVEPT, INVVPID`,
  },
} satisfies Record<VmErrorName, Omit<VmErrorInfo, "number" | "name">>;

const byNumber = new Map<number, VmErrorInfo>(
  (Object.keys(VM_ERROR) as VmErrorName[]).map((name) => [VM_ERROR[name], { number: VM_ERROR[name], name, ...VM_ERRORS[name] }]),
);

/** Every VM-instruction error in number order. */
export const VM_ERROR_LIST: readonly VmErrorInfo[] = [...byNumber.values()].sort((a, b) => a.number - b.number);

export function vmError(n: number): VmErrorInfo | undefined {
  return byNumber.get(n);
}
