/**
 * The VM-entry checks of SDM Vol. 3C 27.2 (VMX controls and host-state area)
 * and 27.3.1 (guest-state area), as data in the SDM's order. Each record
 * names the fields it reads, so a failure reports them with their values and
 * VMRESUME can re-run only the checks whose fields changed. `test` returns
 * true when the condition holds. A failed "controls" check is VMfailValid 7,
 * "host" VMfailValid 8, "guest" a VM exit with reason 33 and bit 31 set and
 * the record's exit qualification (27.8 numbering of the 2023 SDM; 26.x in
 * older editions).
 */
import { EPTP_CHECKS, decodeEptp } from "../../ept/eptp";
import { CPU, CPU2, ENTRY, EXIT, INTR, ITYPE, PIN } from "../ctl";
import { any, bit, canonical, fits, fixedOk, msrAreaOk, pageAddr, patOk } from "./bits";
import type { CheckEnv } from "./env";

export type CheckPhase = "controls" | "host" | "guest";

export interface EntryCheck {
  readonly id: string;
  readonly sdm: string;
  readonly phase: CheckPhase;
  readonly fields: readonly string[];
  readonly explain: string;
  readonly test: (e: CheckEnv) => boolean;
  /** Guest-state failures: the exit qualification (0 unless 27.8 says otherwise). */
  readonly qualification?: number;
}

const S = "SDM Vol. 3C ";
const EXEC = S + "27.2.1.1", EXITC = S + "27.2.1.2", ENTRYC = S + "27.2.1.3";
const HOSTCR = S + "27.2.2", HOSTSEG = S + "27.2.3", ASIZE = S + "27.2.4";
const GCR = S + "27.3.1.1", GSEG = S + "27.3.1.2", GDT = S + "27.3.1.3", GRIP = S + "27.3.1.4";
const GNR = S + "27.3.1.5", GPDPTE = S + "27.3.1.6";

const PIN_F = "PIN_BASED_VM_EXEC_CONTROL", CPU_F = "CPU_BASED_VM_EXEC_CONTROL", CPU2_F = "SECONDARY_VM_EXEC_CONTROL";
const EXIT_F = "VM_EXIT_CONTROLS", ENTRY_F = "VM_ENTRY_CONTROLS", INFO_F = "VM_ENTRY_INTR_INFO_FIELD";

function allowed(v: number, must1: number, may1: number): boolean {
  return (v & must1) >>> 0 === must1 >>> 0 && (v & ~may1) === 0;
}

/** Address-field check: only when `on`, the field holds a 4-KByte aligned address within MAXPHYADDR. */
function addrCheck(id: string, field: string, ctlField: string, on: (e: CheckEnv) => boolean, what: string): EntryCheck {
  return {
    id, sdm: EXEC, phase: "controls", fields: [ctlField, field],
    explain: `with ${what} = 1, ${field} must be 4-KByte aligned and within the physical-address width`,
    test: (e) => !on(e) || pageAddr(e.v(field), e.caps.maxPhys),
  };
}

// ---------------------------------------------------------------- 27.2.1.1 VM-execution control fields

const EXECUTION: EntryCheck[] = [
  {
    id: "ctl-pin-reserved", sdm: EXEC, phase: "controls", fields: [PIN_F],
    explain: "pin-based controls must respect IA32_VMX_(TRUE_)PINBASED_CTLS: allowed-0 bits set, bits not allowed-1 clear (Appendix A.3.1)",
    test: (e) => allowed(e.pin, e.caps.pin.must1, e.caps.pin.may1),
  },
  {
    id: "ctl-primary-reserved", sdm: EXEC, phase: "controls", fields: [CPU_F],
    explain: "primary processor-based controls must respect IA32_VMX_(TRUE_)PROCBASED_CTLS (Appendix A.3.2)",
    test: (e) => allowed(e.primary, e.caps.primary.must1, e.caps.primary.may1),
  },
  {
    id: "ctl-secondary-reserved", sdm: EXEC, phase: "controls", fields: [CPU_F, CPU2_F],
    explain: "with \"activate secondary controls\" = 1, secondary controls must respect IA32_VMX_PROCBASED_CTLS2 (Appendix A.3.3)",
    test: (e) => !e.has("primary", CPU.SECONDARY) || allowed(e.secondaryRaw, e.caps.secondary.must1, e.caps.secondary.may1),
  },
  {
    id: "ctl-cr3-target-count", sdm: EXEC, phase: "controls", fields: ["CR3_TARGET_COUNT"],
    explain: "CR3_TARGET_COUNT must not exceed the number of CR3-target values the processor supports (IA32_VMX_MISC bits 24:16, 4)",
    test: (e) => e.n("CR3_TARGET_COUNT") <= e.caps.cr3Targets,
  },
  addrCheck("ctl-io-bitmap-a", "IO_BITMAP_A", CPU_F, (e) => e.has("primary", CPU.IO_BITMAPS), "\"use I/O bitmaps\""),
  addrCheck("ctl-io-bitmap-b", "IO_BITMAP_B", CPU_F, (e) => e.has("primary", CPU.IO_BITMAPS), "\"use I/O bitmaps\""),
  addrCheck("ctl-msr-bitmap", "MSR_BITMAP", CPU_F, (e) => e.has("primary", CPU.MSR_BITMAPS), "\"use MSR bitmaps\""),
  addrCheck("ctl-virtual-apic-page", "VIRTUAL_APIC_PAGE_ADDR", CPU_F, (e) => e.has("primary", CPU.TPR_SHADOW), "\"use TPR shadow\""),
  {
    id: "ctl-tpr-threshold", sdm: EXEC, phase: "controls", fields: [CPU_F, CPU2_F, "TPR_THRESHOLD"],
    explain: "with \"use TPR shadow\" = 1 and \"virtual-interrupt delivery\" = 0, TPR_THRESHOLD bits 31:4 must be 0",
    test: (e) => !e.has("primary", CPU.TPR_SHADOW) || e.has("secondary", CPU2.VINTR_DELIVERY) || (e.n("TPR_THRESHOLD") & ~0xf) === 0,
  },
  {
    id: "ctl-tpr-threshold-vtpr", sdm: EXEC, phase: "controls", fields: [CPU_F, CPU2_F, "TPR_THRESHOLD", "VIRTUAL_APIC_PAGE_ADDR"],
    explain: "with \"use TPR shadow\" = 1 and neither \"virtual-interrupt delivery\" nor \"virtualize APIC accesses\", TPR_THRESHOLD bits 3:0 must not exceed VTPR bits 7:4 (offset 80H of the virtual-APIC page)",
    test: (e) => {
      if (!e.has("primary", CPU.TPR_SHADOW) || e.has("secondary", CPU2.VINTR_DELIVERY | CPU2.VIRT_APIC_ACCESS)) return true;
      const vtpr = Number(e.readPhys(Number(e.v("VIRTUAL_APIC_PAGE_ADDR")) + 0x80) & 0xffn);
      return (e.n("TPR_THRESHOLD") & 0xf) <= vtpr >> 4;
    },
  },
  {
    id: "ctl-tpr-shadow-required", sdm: EXEC, phase: "controls", fields: [CPU_F, CPU2_F],
    explain: "with \"use TPR shadow\" = 0, \"virtualize x2APIC mode\", \"APIC-register virtualization\" and \"virtual-interrupt delivery\" must be 0",
    test: (e) => e.has("primary", CPU.TPR_SHADOW) || !e.has("secondary", CPU2.VIRT_X2APIC | CPU2.APIC_REG_VIRT | CPU2.VINTR_DELIVERY),
  },
  {
    id: "ctl-virtual-nmis", sdm: EXEC, phase: "controls", fields: [PIN_F],
    explain: "with \"NMI exiting\" = 0, \"virtual NMIs\" must be 0",
    test: (e) => e.has("pin", PIN.NMI_EXITING) || !e.has("pin", PIN.VIRTUAL_NMIS),
  },
  {
    id: "ctl-nmi-window", sdm: EXEC, phase: "controls", fields: [PIN_F, CPU_F],
    explain: "with \"virtual NMIs\" = 0, \"NMI-window exiting\" must be 0",
    test: (e) => e.has("pin", PIN.VIRTUAL_NMIS) || !e.has("primary", CPU.NMI_WINDOW),
  },
  addrCheck("ctl-apic-access", "APIC_ACCESS_ADDR", CPU2_F, (e) => e.has("secondary", CPU2.VIRT_APIC_ACCESS), "\"virtualize APIC accesses\""),
  {
    id: "ctl-x2apic-apic-access", sdm: EXEC, phase: "controls", fields: [CPU2_F],
    explain: "with \"virtualize x2APIC mode\" = 1, \"virtualize APIC accesses\" must be 0",
    test: (e) => !e.has("secondary", CPU2.VIRT_X2APIC) || !e.has("secondary", CPU2.VIRT_APIC_ACCESS),
  },
  {
    id: "ctl-virtual-interrupt-delivery", sdm: EXEC, phase: "controls", fields: [PIN_F, CPU2_F],
    explain: "with \"virtual-interrupt delivery\" = 1, \"external-interrupt exiting\" must be 1",
    test: (e) => !e.has("secondary", CPU2.VINTR_DELIVERY) || e.has("pin", PIN.EXT_INTR),
  },
  {
    id: "ctl-posted-interrupts", sdm: EXEC, phase: "controls", fields: [PIN_F, CPU2_F, EXIT_F, "POSTED_INTR_NV", "POSTED_INTR_DESC_ADDR"],
    explain: "with \"process posted interrupts\" = 1: \"virtual-interrupt delivery\" and \"acknowledge interrupt on exit\" = 1, POSTED_INTR_NV bits 15:8 = 0, POSTED_INTR_DESC_ADDR 64-byte aligned within the physical-address width",
    test: (e) => {
      if (!e.has("pin", PIN.POSTED_INTR)) return true;
      const d = e.v("POSTED_INTR_DESC_ADDR");
      return e.has("secondary", CPU2.VINTR_DELIVERY) && e.has("exit", EXIT.ACK_INTR) && (e.n("POSTED_INTR_NV") & 0xff00) === 0 &&
        (d & 0x3fn) === 0n && fits(d, e.caps.maxPhys);
    },
  },
  {
    id: "ctl-vpid", sdm: EXEC, phase: "controls", fields: [CPU2_F, "VIRTUAL_PROCESSOR_ID"],
    explain: "with \"enable VPID\" = 1, VIRTUAL_PROCESSOR_ID must not be 0000H (VPID 0 is the host's)",
    test: (e) => !e.has("secondary", CPU2.VPID) || e.n("VIRTUAL_PROCESSOR_ID") !== 0,
  },
  ...EPTP_CHECKS.map((c): EntryCheck => ({
    id: "ctl-" + c.id, sdm: c.sdm, phase: "controls", fields: [CPU2_F, "EPT_POINTER"],
    explain: "with \"enable EPT\" = 1, " + c.explain,
    test: (e) => !e.has("secondary", CPU2.EPT) || c.test(decodeEptp(e.v("EPT_POINTER"), e.caps.maxPhys), e.caps.ept),
  })),
  {
    id: "ctl-pml", sdm: EXEC, phase: "controls", fields: [CPU2_F, "PML_ADDRESS"],
    explain: "with \"enable PML\" = 1, \"enable EPT\" must be 1 and PML_ADDRESS a 4-KByte aligned address within the physical-address width",
    test: (e) => !e.has("secondary", CPU2.PML) || (e.has("secondary", CPU2.EPT) && pageAddr(e.v("PML_ADDRESS"), e.caps.maxPhys)),
  },
  {
    id: "ctl-unrestricted-guest", sdm: EXEC, phase: "controls", fields: [CPU2_F],
    explain: "with \"unrestricted guest\" = 1, \"enable EPT\" must be 1 (an unpaged guest needs EPT to translate its addresses)",
    test: (e) => !e.has("secondary", CPU2.UNRESTRICTED) || e.has("secondary", CPU2.EPT),
  },
  {
    id: "ctl-mode-based-execute", sdm: EXEC, phase: "controls", fields: [CPU2_F],
    explain: "with \"mode-based execute control for EPT\" = 1, \"enable EPT\" must be 1",
    test: (e) => !e.has("secondary", CPU2.MBEC) || e.has("secondary", CPU2.EPT),
  },
  {
    id: "ctl-vm-functions", sdm: EXEC, phase: "controls", fields: [CPU2_F, "VM_FUNCTION_CONTROL", "EPTP_LIST_ADDRESS"],
    explain: "with \"enable VM functions\" = 1, VM_FUNCTION_CONTROL may set only bits IA32_VMX_VMFUNC allows; EPTP switching (bit 0) needs \"enable EPT\" and a 4-KByte aligned EPTP_LIST_ADDRESS",
    test: (e) => {
      if (!e.has("secondary", CPU2.VMFUNC)) return true;
      const f = e.v("VM_FUNCTION_CONTROL");
      if (f & ~e.caps.vmfunc) return false;
      return !(f & 1n) || (e.has("secondary", CPU2.EPT) && pageAddr(e.v("EPTP_LIST_ADDRESS"), e.caps.maxPhys));
    },
  },
  addrCheck("ctl-vmread-bitmap", "VMREAD_BITMAP", CPU2_F, (e) => e.has("secondary", CPU2.SHADOW_VMCS), "\"VMCS shadowing\""),
  addrCheck("ctl-vmwrite-bitmap", "VMWRITE_BITMAP", CPU2_F, (e) => e.has("secondary", CPU2.SHADOW_VMCS), "\"VMCS shadowing\""),
  addrCheck("ctl-ve-info", "VE_INFORMATION_ADDRESS", CPU2_F, (e) => e.has("secondary", CPU2.EPT_VE), "\"EPT-violation #VE\""),
];

// ---------------------------------------------------------------- 27.2.1.2 VM-exit control fields

const EXITS: EntryCheck[] = [
  {
    id: "ctl-exit-reserved", sdm: EXITC, phase: "controls", fields: [EXIT_F],
    explain: "VM-exit controls must respect IA32_VMX_(TRUE_)EXIT_CTLS (Appendix A.4)",
    test: (e) => allowed(e.exit, e.caps.exit.must1, e.caps.exit.may1),
  },
  {
    id: "ctl-save-preemption-timer", sdm: EXITC, phase: "controls", fields: [PIN_F, EXIT_F],
    explain: "with \"activate VMX-preemption timer\" = 0, \"save VMX-preemption timer value\" must be 0",
    test: (e) => e.has("pin", PIN.PREEMPTION_TIMER) || !e.has("exit", EXIT.SAVE_PREEMPTION),
  },
  {
    id: "ctl-exit-msr-store", sdm: EXITC, phase: "controls", fields: ["VM_EXIT_MSR_STORE_COUNT", "VM_EXIT_MSR_STORE_ADDR"],
    explain: "with VM_EXIT_MSR_STORE_COUNT > 0, VM_EXIT_MSR_STORE_ADDR must be 16-byte aligned and the area's last byte within the physical-address width",
    test: (e) => msrAreaOk(e.v("VM_EXIT_MSR_STORE_ADDR"), e.n("VM_EXIT_MSR_STORE_COUNT"), e.caps.maxPhys),
  },
  {
    id: "ctl-exit-msr-load", sdm: EXITC, phase: "controls", fields: ["VM_EXIT_MSR_LOAD_COUNT", "VM_EXIT_MSR_LOAD_ADDR"],
    explain: "with VM_EXIT_MSR_LOAD_COUNT > 0, VM_EXIT_MSR_LOAD_ADDR must be 16-byte aligned and the area's last byte within the physical-address width",
    test: (e) => msrAreaOk(e.v("VM_EXIT_MSR_LOAD_ADDR"), e.n("VM_EXIT_MSR_LOAD_COUNT"), e.caps.maxPhys),
  },
];

// ---------------------------------------------------------------- 27.2.1.3 VM-entry control fields

const ERROR_CODE_VECTORS = new Set([8, 10, 11, 12, 13, 14, 17, 21]);
const injecting = (e: CheckEnv) => (e.intrInfo & INTR.VALID) !== 0;

const ENTRIES: EntryCheck[] = [
  {
    id: "ctl-entry-reserved", sdm: ENTRYC, phase: "controls", fields: [ENTRY_F],
    explain: "VM-entry controls must respect IA32_VMX_(TRUE_)ENTRY_CTLS (Appendix A.5)",
    test: (e) => allowed(e.entry, e.caps.entry.must1, e.caps.entry.may1),
  },
  {
    id: "ctl-event-type", sdm: ENTRYC, phase: "controls", fields: [INFO_F, CPU_F],
    explain: "an injected event's interruption type must not be 1 (reserved), and 7 (other event) only if the processor supports the monitor trap flag",
    test: (e) => !injecting(e) || (e.injectType !== 1 && (e.injectType !== ITYPE.OTHER || (e.caps.primary.may1 & CPU.MTF) !== 0)),
  },
  {
    id: "ctl-event-nmi-vector", sdm: ENTRYC, phase: "controls", fields: [INFO_F],
    explain: "an injected NMI (type 2) must have vector 2",
    test: (e) => !injecting(e) || e.injectType !== ITYPE.NMI || e.injectVector === 2,
  },
  {
    id: "ctl-event-exception-vector", sdm: ENTRYC, phase: "controls", fields: [INFO_F],
    explain: "an injected hardware exception (type 3) must have a vector in 0–31",
    test: (e) => !injecting(e) || e.injectType !== ITYPE.HW_EXC || e.injectVector <= 31,
  },
  {
    id: "ctl-event-other-vector", sdm: ENTRYC, phase: "controls", fields: [INFO_F],
    explain: "an injected other event (type 7, pending MTF VM exit) must have vector 0",
    test: (e) => !injecting(e) || e.injectType !== ITYPE.OTHER || e.injectVector === 0,
  },
  {
    id: "ctl-event-deliver-error-code", sdm: ENTRYC, phase: "controls", fields: [INFO_F, CPU2_F, "GUEST_CR0"],
    explain: "the deliver-error-code bit (11) must be 1 exactly for hardware exceptions that push one (8, 10–14, 17, 21) into a guest with CR0.PE = 1 (the guest's CR0.PE matters only with \"unrestricted guest\")",
    test: (e) => {
      if (!injecting(e)) return true;
      const pe = !e.unrestricted || bit(e.v("GUEST_CR0"), 0);
      const deliver = (e.intrInfo & INTR.ERROR_CODE) !== 0;
      if (e.caps.noErrorCodeRule) return !deliver || (pe && e.injectType === ITYPE.HW_EXC);
      const should = pe && e.injectType === ITYPE.HW_EXC && ERROR_CODE_VECTORS.has(e.injectVector);
      return deliver === should;
    },
  },
  {
    id: "ctl-event-reserved", sdm: ENTRYC, phase: "controls", fields: [INFO_F],
    explain: "bits 30:12 of the VM-entry interruption-information field are reserved and must be 0",
    test: (e) => !injecting(e) || (e.intrInfo & 0x7fff_f000) === 0,
  },
  {
    id: "ctl-event-error-code", sdm: ENTRYC, phase: "controls", fields: [INFO_F, "VM_ENTRY_EXCEPTION_ERROR_CODE"],
    explain: "when an error code is delivered, bits 31:16 of VM_ENTRY_EXCEPTION_ERROR_CODE must be 0",
    test: (e) => !injecting(e) || !(e.intrInfo & INTR.ERROR_CODE) || (e.n("VM_ENTRY_EXCEPTION_ERROR_CODE") & 0xffff_0000) === 0,
  },
  {
    id: "ctl-event-instruction-length", sdm: ENTRYC, phase: "controls", fields: [INFO_F, "VM_ENTRY_INSTRUCTION_LEN"],
    explain: "an injected software interrupt or exception (types 4, 5, 6) needs VM_ENTRY_INSTRUCTION_LEN in 1–15 (0 allowed only if IA32_VMX_MISC bit 30 is 1)",
    test: (e) => {
      const t = e.injectType;
      if (!injecting(e) || (t !== ITYPE.SW_INT && t !== ITYPE.PRIV_SW_EXC && t !== ITYPE.SW_EXC)) return true;
      const len = e.n("VM_ENTRY_INSTRUCTION_LEN");
      return len <= 15 && (len > 0 || e.caps.zeroLengthInjection);
    },
  },
  {
    id: "ctl-entry-msr-load", sdm: ENTRYC, phase: "controls", fields: ["VM_ENTRY_MSR_LOAD_COUNT", "VM_ENTRY_MSR_LOAD_ADDR"],
    explain: "with VM_ENTRY_MSR_LOAD_COUNT > 0, VM_ENTRY_MSR_LOAD_ADDR must be 16-byte aligned and the area's last byte within the physical-address width",
    test: (e) => msrAreaOk(e.v("VM_ENTRY_MSR_LOAD_ADDR"), e.n("VM_ENTRY_MSR_LOAD_COUNT"), e.caps.maxPhys),
  },
  {
    id: "ctl-entry-smm", sdm: ENTRYC, phase: "controls", fields: [ENTRY_F],
    explain: "outside SMM, \"entry to SMM\" and \"deactivate dual-monitor treatment\" must be 0",
    test: (e) => !e.has("entry", ENTRY.SMM | ENTRY.DEACT_DUAL),
  },
];

// ---------------------------------------------------------------- 27.2.2 – 27.2.4 host state

const HOST_SELS = ["ES", "CS", "SS", "DS", "FS", "GS", "TR"];

const HOST: EntryCheck[] = [
  {
    id: "host-cr0-fixed", sdm: HOSTCR, phase: "host", fields: ["HOST_CR0"],
    explain: "HOST_CR0 must have the bits of IA32_VMX_CR0_FIXED0 set and the bits clear in IA32_VMX_CR0_FIXED1 clear (PE, NE, PG = 1)",
    test: (e) => fixedOk(e.v("HOST_CR0"), e.caps.cr0Fixed0, e.caps.cr0Fixed1),
  },
  {
    id: "host-cr4-fixed", sdm: HOSTCR, phase: "host", fields: ["HOST_CR4"],
    explain: "HOST_CR4 must respect IA32_VMX_CR4_FIXED0/1 (CR4.VMXE = 1)",
    test: (e) => fixedOk(e.v("HOST_CR4"), e.caps.cr4Fixed0, e.caps.cr4Fixed1),
  },
  {
    id: "host-cr3-width", sdm: HOSTCR, phase: "host", fields: ["HOST_CR3"],
    explain: "HOST_CR3 bits beyond the physical-address width must be 0",
    test: (e) => fits(e.v("HOST_CR3"), e.caps.maxPhys),
  },
  {
    id: "host-sysenter-canonical", sdm: HOSTCR, phase: "host", fields: ["HOST_IA32_SYSENTER_ESP", "HOST_IA32_SYSENTER_EIP"],
    explain: "HOST_IA32_SYSENTER_ESP and HOST_IA32_SYSENTER_EIP must be canonical",
    test: (e) => canonical(e.v("HOST_IA32_SYSENTER_ESP")) && canonical(e.v("HOST_IA32_SYSENTER_EIP")),
  },
  {
    id: "host-pat", sdm: HOSTCR, phase: "host", fields: [EXIT_F, "HOST_IA32_PAT"],
    explain: "with \"load IA32_PAT\" = 1, every byte of HOST_IA32_PAT must be a valid memory type (0, 1, 4, 5, 6, 7)",
    test: (e) => !e.has("exit", EXIT.LOAD_PAT) || patOk(e.v("HOST_IA32_PAT")),
  },
  {
    id: "host-efer", sdm: HOSTCR, phase: "host", fields: [EXIT_F, "HOST_IA32_EFER"],
    explain: "with \"load IA32_EFER\" = 1, HOST_IA32_EFER reserved bits must be 0 and LMA and LME must equal \"host address-space size\"",
    test: (e) => {
      if (!e.has("exit", EXIT.LOAD_EFER)) return true;
      const v = e.v("HOST_IA32_EFER");
      return !any(v, ~0xd01n & 0xffff_ffff_ffff_ffffn) && bit(v, 10) === e.host64 && bit(v, 8) === e.host64;
    },
  },
  {
    id: "host-selector-rpl-ti", sdm: HOSTSEG, phase: "host", fields: HOST_SELS.map((s) => `HOST_${s}_SELECTOR`),
    explain: "host selectors for ES, CS, SS, DS, FS, GS and TR must have RPL = 0 and TI = 0",
    test: (e) => HOST_SELS.every((s) => (e.n(`HOST_${s}_SELECTOR`) & 7) === 0),
  },
  {
    id: "host-cs-tr-nonnull", sdm: HOSTSEG, phase: "host", fields: ["HOST_CS_SELECTOR", "HOST_TR_SELECTOR"],
    explain: "HOST_CS_SELECTOR and HOST_TR_SELECTOR must not be 0000H",
    test: (e) => e.n("HOST_CS_SELECTOR") !== 0 && e.n("HOST_TR_SELECTOR") !== 0,
  },
  {
    id: "host-ss-nonnull", sdm: HOSTSEG, phase: "host", fields: [EXIT_F, "HOST_SS_SELECTOR"],
    explain: "with \"host address-space size\" = 0, HOST_SS_SELECTOR must not be 0000H",
    test: (e) => e.host64 || e.n("HOST_SS_SELECTOR") !== 0,
  },
  {
    id: "host-base-canonical", sdm: HOSTSEG, phase: "host",
    fields: ["HOST_FS_BASE", "HOST_GS_BASE", "HOST_GDTR_BASE", "HOST_IDTR_BASE", "HOST_TR_BASE"],
    explain: "HOST_FS_BASE, HOST_GS_BASE, HOST_GDTR_BASE, HOST_IDTR_BASE and HOST_TR_BASE must be canonical",
    test: (e) => ["HOST_FS_BASE", "HOST_GS_BASE", "HOST_GDTR_BASE", "HOST_IDTR_BASE", "HOST_TR_BASE"].every((f) => canonical(e.v(f))),
  },
  {
    id: "host-outside-ia32e", sdm: ASIZE, phase: "host", fields: [EXIT_F, ENTRY_F],
    explain: "when VMLAUNCH/VMRESUME runs outside IA-32e mode (IA32_EFER.LMA = 0), \"IA-32e mode guest\" and \"host address-space size\" must be 0",
    test: (e) => e.hostLma || (!e.ia32e && !e.host64),
  },
  {
    id: "host-in-ia32e", sdm: ASIZE, phase: "host", fields: [EXIT_F],
    explain: "when VMLAUNCH/VMRESUME runs in IA-32e mode, \"host address-space size\" must be 1",
    test: (e) => !e.hostLma || e.host64,
  },
  {
    id: "host-32bit", sdm: ASIZE, phase: "host", fields: [EXIT_F, ENTRY_F, "HOST_CR4", "HOST_RIP"],
    explain: "with \"host address-space size\" = 0: \"IA-32e mode guest\" = 0, HOST_CR4.PCIDE = 0 and HOST_RIP bits 63:32 = 0",
    test: (e) => e.host64 || (!e.ia32e && !bit(e.v("HOST_CR4"), 17) && fits(e.v("HOST_RIP"), 32)),
  },
  {
    id: "host-64bit", sdm: ASIZE, phase: "host", fields: [EXIT_F, "HOST_CR4", "HOST_RIP"],
    explain: "with \"host address-space size\" = 1: HOST_CR4.PAE = 1 and HOST_RIP canonical",
    test: (e) => !e.host64 || (bit(e.v("HOST_CR4"), 5) && canonical(e.v("HOST_RIP"))),
  },
];

// ---------------------------------------------------------------- 27.3.1.1 guest control registers, debug registers, MSRs

const CR0_PE_PG = 0x8000_0001n;

const GUEST_CRS: EntryCheck[] = [
  {
    id: "guest-cr0-fixed", sdm: GCR, phase: "guest", fields: [CPU2_F, "GUEST_CR0"],
    explain: "GUEST_CR0 must respect IA32_VMX_CR0_FIXED0/1; with \"unrestricted guest\" = 1, PE and PG are exempt",
    test: (e) => {
      const f0 = e.unrestricted ? e.caps.cr0Fixed0 & ~CR0_PE_PG : e.caps.cr0Fixed0;
      return fixedOk(e.v("GUEST_CR0"), f0, e.caps.cr0Fixed1);
    },
  },
  {
    id: "guest-cr0-pg-pe", sdm: GCR, phase: "guest", fields: ["GUEST_CR0"],
    explain: "GUEST_CR0.PG = 1 requires GUEST_CR0.PE = 1",
    test: (e) => !bit(e.v("GUEST_CR0"), 31) || bit(e.v("GUEST_CR0"), 0),
  },
  {
    id: "guest-cr4-fixed", sdm: GCR, phase: "guest", fields: ["GUEST_CR4"],
    explain: "GUEST_CR4 must respect IA32_VMX_CR4_FIXED0/1 (CR4.VMXE = 1 in VMX operation)",
    test: (e) => fixedOk(e.v("GUEST_CR4"), e.caps.cr4Fixed0, e.caps.cr4Fixed1),
  },
  {
    id: "guest-debugctl", sdm: GCR, phase: "guest", fields: [ENTRY_F, "GUEST_IA32_DEBUGCTL"],
    explain: "with \"load debug controls\" = 1, GUEST_IA32_DEBUGCTL reserved bits (5:2, 63:16) must be 0",
    test: (e) => !e.has("entry", ENTRY.LOAD_DEBUG) || !any(e.v("GUEST_IA32_DEBUGCTL"), 0xffff_ffff_ffff_003cn),
  },
  {
    id: "guest-ia32e-paging", sdm: GCR, phase: "guest", fields: [ENTRY_F, "GUEST_CR0", "GUEST_CR4"],
    explain: "with \"IA-32e mode guest\" = 1, GUEST_CR0.PG and GUEST_CR4.PAE must be 1",
    test: (e) => !e.ia32e || (bit(e.v("GUEST_CR0"), 31) && bit(e.v("GUEST_CR4"), 5)),
  },
  {
    id: "guest-pcide", sdm: GCR, phase: "guest", fields: [ENTRY_F, "GUEST_CR4"],
    explain: "with \"IA-32e mode guest\" = 0, GUEST_CR4.PCIDE must be 0",
    test: (e) => e.ia32e || !bit(e.v("GUEST_CR4"), 17),
  },
  {
    id: "guest-cr3-width", sdm: GCR, phase: "guest", fields: ["GUEST_CR3"],
    explain: "GUEST_CR3 bits beyond the physical-address width must be 0",
    test: (e) => fits(e.v("GUEST_CR3"), e.caps.maxPhys),
  },
  {
    id: "guest-dr7", sdm: GCR, phase: "guest", fields: [ENTRY_F, "GUEST_DR7"],
    explain: "with \"load debug controls\" = 1, GUEST_DR7 bits 63:32 must be 0",
    test: (e) => !e.has("entry", ENTRY.LOAD_DEBUG) || fits(e.v("GUEST_DR7"), 32),
  },
  {
    id: "guest-sysenter-canonical", sdm: GCR, phase: "guest", fields: ["GUEST_SYSENTER_ESP", "GUEST_SYSENTER_EIP"],
    explain: "GUEST_SYSENTER_ESP and GUEST_SYSENTER_EIP must be canonical",
    test: (e) => canonical(e.v("GUEST_SYSENTER_ESP")) && canonical(e.v("GUEST_SYSENTER_EIP")),
  },
  {
    id: "guest-pat", sdm: GCR, phase: "guest", fields: [ENTRY_F, "GUEST_IA32_PAT"],
    explain: "with \"load IA32_PAT\" = 1, every byte of GUEST_IA32_PAT must be a valid memory type (0, 1, 4, 5, 6, 7)",
    test: (e) => !e.has("entry", ENTRY.LOAD_PAT) || patOk(e.v("GUEST_IA32_PAT")),
  },
  {
    id: "guest-efer", sdm: GCR, phase: "guest", fields: [ENTRY_F, "GUEST_IA32_EFER", "GUEST_CR0"],
    explain: "with \"load IA32_EFER\" = 1, GUEST_IA32_EFER reserved bits must be 0, LMA must equal \"IA-32e mode guest\", and with CR0.PG = 1 LME must equal LMA",
    test: (e) => {
      if (!e.has("entry", ENTRY.LOAD_EFER)) return true;
      const v = e.v("GUEST_IA32_EFER");
      if (any(v, ~0xd01n & 0xffff_ffff_ffff_ffffn) || bit(v, 10) !== e.ia32e) return false;
      return !bit(e.v("GUEST_CR0"), 31) || bit(v, 8) === bit(v, 10);
    },
  },
];

// ---------------------------------------------------------------- 27.3.1.2 guest segment registers

const SEGS = ["ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR"] as const;
type Seg = (typeof SEGS)[number];
const sel = (s: Seg) => `GUEST_${s}_SELECTOR`, base = (s: Seg) => `GUEST_${s}_BASE`;
const lim = (s: Seg) => `GUEST_${s}_LIMIT`, ar = (s: Seg) => `GUEST_${s}_AR_BYTES`;
const usable = (e: CheckEnv, s: Seg) => (e.n(ar(s)) & 0x1_0000) === 0;
const type = (e: CheckEnv, s: Seg) => e.n(ar(s)) & 0xf;
const dpl = (e: CheckEnv, s: Seg) => (e.n(ar(s)) >> 5) & 3;
const notV86 = (e: CheckEnv) => !e.v86;

function segRule(s: Seg, rule: string, explain: string, fields: string[], test: (e: CheckEnv) => boolean): EntryCheck {
  return { id: `guest-${s.toLowerCase()}-${rule}`, sdm: GSEG, phase: "guest", fields: ["GUEST_RFLAGS", ...fields], explain, test };
}

function segmentChecks(): EntryCheck[] {
  const out: EntryCheck[] = [];
  // Selectors.
  out.push(segRule("TR", "ti", "GUEST_TR_SELECTOR TI flag (bit 2) must be 0", [sel("TR")], (e) => (e.n(sel("TR")) & 4) === 0));
  out.push(segRule("LDTR", "ti", "if LDTR is usable, GUEST_LDTR_SELECTOR TI flag must be 0", [sel("LDTR"), ar("LDTR")],
    (e) => !usable(e, "LDTR") || (e.n(sel("LDTR")) & 4) === 0));
  out.push(segRule("SS", "rpl", "outside virtual-8086 mode and without \"unrestricted guest\", SS.RPL must equal CS.RPL",
    [CPU2_F, sel("SS"), sel("CS")], (e) => e.v86 || e.unrestricted || (e.n(sel("SS")) & 3) === (e.n(sel("CS")) & 3)));
  // Virtual-8086 mode: base = selector << 4, limit FFFFH, access rights F3H.
  for (const s of ["CS", "SS", "DS", "ES", "FS", "GS"] as const) {
    out.push(segRule(s, "v86", `in virtual-8086 mode (RFLAGS.VM = 1), ${s} base must be selector × 16, limit FFFFH and access rights 000000F3H`,
      [sel(s), base(s), lim(s), ar(s)],
      (e) => !e.v86 || (e.v(base(s)) === BigInt(e.n(sel(s)) << 4) && e.n(lim(s)) === 0xffff && e.n(ar(s)) === 0xf3)));
  }
  // Base addresses.
  for (const s of ["TR", "FS", "GS"] as const) {
    out.push(segRule(s, "base", `GUEST_${s}_BASE must be canonical`, [base(s)], (e) => canonical(e.v(base(s)))));
  }
  out.push(segRule("LDTR", "base", "if LDTR is usable, GUEST_LDTR_BASE must be canonical", [base("LDTR"), ar("LDTR")],
    (e) => !usable(e, "LDTR") || canonical(e.v(base("LDTR")))));
  out.push(segRule("CS", "base", "GUEST_CS_BASE bits 63:32 must be 0", [base("CS")], (e) => fits(e.v(base("CS")), 32)));
  for (const s of ["SS", "DS", "ES"] as const) {
    out.push(segRule(s, "base", `if ${s} is usable, GUEST_${s}_BASE bits 63:32 must be 0`, [base(s), ar(s)],
      (e) => !usable(e, s) || fits(e.v(base(s)), 32)));
  }
  // Access rights outside virtual-8086 mode.
  out.push(segRule("CS", "type", "CS type must be 9, 11, 13 or 15 (accessed code); 3 (accessed read/write data) with \"unrestricted guest\"",
    [CPU2_F, ar("CS")], (e) => e.v86 || [9, 11, 13, 15].includes(type(e, "CS")) || (e.unrestricted && type(e, "CS") === 3)));
  out.push(segRule("SS", "type", "if SS is usable, its type must be 3 or 7 (read/write data)", [ar("SS")],
    (e) => e.v86 || !usable(e, "SS") || type(e, "SS") === 3 || type(e, "SS") === 7));
  for (const s of ["DS", "ES", "FS", "GS"] as const) {
    out.push(segRule(s, "type", `if ${s} is usable, its type must have the accessed bit set, and a code segment must be readable`, [ar(s)],
      (e) => e.v86 || !usable(e, s) || ((type(e, s) & 1) === 1 && (!(type(e, s) & 8) || (type(e, s) & 2) !== 0))));
  }
  for (const s of ["CS", "SS", "DS", "ES", "FS", "GS"] as const) {
    out.push(segRule(s, "s", `${s === "CS" ? "CS" : `if ${s} is usable, ${s}`} must be a code/data segment (S = 1)`, [ar(s)],
      (e) => e.v86 || (s !== "CS" && !usable(e, s)) || (e.n(ar(s)) & 0x10) !== 0));
  }
  out.push(segRule("CS", "dpl", "CS.DPL: 0 for type 3; equal to SS.DPL for non-conforming code (9, 11); at most SS.DPL for conforming code (13, 15)",
    [ar("CS"), ar("SS")], (e) => {
      if (e.v86) return true;
      const t = type(e, "CS");
      if (t === 3) return dpl(e, "CS") === 0;
      if (t === 9 || t === 11) return dpl(e, "CS") === dpl(e, "SS");
      return dpl(e, "CS") <= dpl(e, "SS");
    }));
  out.push(segRule("SS", "dpl", "SS.DPL must equal SS.RPL without \"unrestricted guest\", and be 0 when CS type is 3 or CR0.PE = 0",
    [CPU2_F, sel("SS"), ar("SS"), ar("CS"), "GUEST_CR0"], (e) => {
      if (e.v86) return true;
      if (!e.unrestricted && dpl(e, "SS") !== (e.n(sel("SS")) & 3)) return false;
      return !(type(e, "CS") === 3 || !bit(e.v("GUEST_CR0"), 0)) || dpl(e, "SS") === 0;
    }));
  for (const s of ["DS", "ES", "FS", "GS"] as const) {
    out.push(segRule(s, "dpl", `without "unrestricted guest", a usable ${s} of type 0–11 must have DPL ≥ RPL`,
      [CPU2_F, sel(s), ar(s)], (e) => e.v86 || e.unrestricted || !usable(e, s) || type(e, s) > 11 || dpl(e, s) >= (e.n(sel(s)) & 3)));
  }
  for (const s of ["CS", "SS", "DS", "ES", "FS", "GS"] as const) {
    out.push(segRule(s, "present", `${s === "CS" ? "CS" : `if ${s} is usable, ${s}`} must be present (P = 1)`, [ar(s)],
      (e) => e.v86 || (s !== "CS" && !usable(e, s)) || (e.n(ar(s)) & 0x80) !== 0));
    out.push(segRule(s, "ar-reserved", `${s} access-rights bits 11:8 and 31:17 are reserved and must be 0${s === "CS" ? "" : " (if usable)"}`, [ar(s)],
      (e) => e.v86 || (s !== "CS" && !usable(e, s)) || (e.n(ar(s)) & 0xfffe_0f00) === 0));
    out.push(segRule(s, "granularity", `${s}: if any of limit bits 11:0 is 0, G must be 0; if any of limit bits 31:20 is 1, G must be 1`, [lim(s), ar(s)],
      (e) => e.v86 || (s !== "CS" && !usable(e, s)) || granularityOk(e.n(lim(s)), e.n(ar(s)))));
  }
  out.push(segRule("CS", "l-db", "with \"IA-32e mode guest\" = 1 and CS.L = 1, CS.D/B must be 0", [ENTRY_F, ar("CS")],
    (e) => !e.ia32e || !(e.n(ar("CS")) & 0x2000) || !(e.n(ar("CS")) & 0x4000)));
  // TR and LDTR (27.3.1.2, last bullets).
  out.push(segRule("TR", "type", "TR type must be 11 (busy 32/64-bit TSS), or 3 (busy 16-bit TSS) when \"IA-32e mode guest\" = 0",
    [ENTRY_F, ar("TR")], (e) => type(e, "TR") === 11 || (!e.ia32e && type(e, "TR") === 3)));
  out.push(segRule("TR", "system", "TR must be a system descriptor (S = 0), present, usable, with reserved bits 0 and consistent limit and G",
    [lim("TR"), ar("TR")], (e) => {
      const a = e.n(ar("TR"));
      return (a & 0x10) === 0 && (a & 0x80) !== 0 && (a & 0x1_0000) === 0 && (a & 0xfffe_0f00) === 0 && granularityOk(e.n(lim("TR")), a);
    }));
  out.push(segRule("LDTR", "type", "if LDTR is usable: type 2 (LDT), S = 0, P = 1, reserved bits 0, consistent limit and G",
    [lim("LDTR"), ar("LDTR")], (e) => {
      if (!usable(e, "LDTR")) return true;
      const a = e.n(ar("LDTR"));
      return (a & 0xf) === 2 && (a & 0x10) === 0 && (a & 0x80) !== 0 && (a & 0xfffe_0f00) === 0 && granularityOk(e.n(lim("LDTR")), a);
    }));
  void notV86;
  return out;
}

function granularityOk(limit: number, arb: number): boolean {
  const g = (arb & 0x8000) !== 0;
  if ((limit & 0xfff) !== 0xfff && g) return false;
  if ((limit & 0xfff0_0000) !== 0 && !g) return false;
  return true;
}

// ---------------------------------------------------------------- 27.3.1.3 – 27.3.1.5

const TABLES: EntryCheck[] = [
  {
    id: "guest-gdtr-idtr-base", sdm: GDT, phase: "guest", fields: ["GUEST_GDTR_BASE", "GUEST_IDTR_BASE"],
    explain: "GUEST_GDTR_BASE and GUEST_IDTR_BASE must be canonical",
    test: (e) => canonical(e.v("GUEST_GDTR_BASE")) && canonical(e.v("GUEST_IDTR_BASE")),
  },
  {
    id: "guest-gdtr-idtr-limit", sdm: GDT, phase: "guest", fields: ["GUEST_GDTR_LIMIT", "GUEST_IDTR_LIMIT"],
    explain: "GUEST_GDTR_LIMIT and GUEST_IDTR_LIMIT bits 31:16 must be 0",
    test: (e) => (e.n("GUEST_GDTR_LIMIT") | e.n("GUEST_IDTR_LIMIT")) >>> 16 === 0,
  },
];

const csL = (e: CheckEnv) => (e.n("GUEST_CS_AR_BYTES") & 0x2000) !== 0;

const RIP_FLAGS: EntryCheck[] = [
  {
    id: "guest-rip", sdm: GRIP, phase: "guest", fields: [ENTRY_F, "GUEST_CS_AR_BYTES", "GUEST_RIP"],
    explain: "GUEST_RIP bits 63:32 must be 0 unless the guest is in 64-bit mode (\"IA-32e mode guest\" and CS.L), where it must be canonical",
    test: (e) => {
      // As a signed double: canonical is −2^47 ≤ RIP < 2^47; "bits 63:32 are 0" is 0 ≤ RIP < 2^32.
      const rip = e.num("GUEST_RIP");
      return e.ia32e && csL(e) ? rip >= -(2 ** 47) && rip < 2 ** 47 : rip >= 0 && rip < 2 ** 32;
    },
  },
  {
    id: "guest-rflags-reserved", sdm: GRIP, phase: "guest", fields: ["GUEST_RFLAGS"],
    explain: "GUEST_RFLAGS bits 63:22, 15, 5 and 3 must be 0 and bit 1 must be 1",
    test: (e) => {
      const v = e.v("GUEST_RFLAGS");
      return !any(v, 0xffff_ffff_ffc0_8028n) && bit(v, 1);
    },
  },
  {
    id: "guest-rflags-vm", sdm: GRIP, phase: "guest", fields: [ENTRY_F, "GUEST_CR0", "GUEST_RFLAGS"],
    explain: "GUEST_RFLAGS.VM must be 0 with \"IA-32e mode guest\" = 1 or GUEST_CR0.PE = 0",
    test: (e) => !e.v86 || (!e.ia32e && bit(e.v("GUEST_CR0"), 0)),
  },
  {
    id: "guest-rflags-if", sdm: GRIP, phase: "guest", fields: [INFO_F, "GUEST_RFLAGS"],
    explain: "injecting an external interrupt requires GUEST_RFLAGS.IF = 1",
    test: (e) => !injecting(e) || e.injectType !== ITYPE.EXT || bit(e.v("GUEST_RFLAGS"), 9),
  },
];

const ACT = "GUEST_ACTIVITY_STATE", INT_F = "GUEST_INTERRUPTIBILITY_INFO", PDE = "GUEST_PENDING_DBG_EXCEPTIONS";

const NON_REGISTER: EntryCheck[] = [
  {
    id: "guest-activity-state", sdm: GNR, phase: "guest", fields: [ACT],
    explain: "GUEST_ACTIVITY_STATE must be 0 (active) or a state IA32_VMX_MISC bits 8:6 reports supported (1 HLT, 2 shutdown, 3 wait-for-SIPI)",
    test: (e) => {
      const a = e.n(ACT);
      return a === 0 || (a <= 3 && ((e.caps.activityStates >> (a - 1)) & 1) === 1);
    },
  },
  {
    id: "guest-activity-hlt-dpl", sdm: GNR, phase: "guest", fields: [ACT, "GUEST_SS_AR_BYTES"],
    explain: "the HLT activity state requires SS.DPL = 0",
    test: (e) => e.n(ACT) !== 1 || ((e.n("GUEST_SS_AR_BYTES") >> 5) & 3) === 0,
  },
  {
    id: "guest-activity-blocking", sdm: GNR, phase: "guest", fields: [ACT, INT_F],
    explain: "with blocking by STI or by MOV SS, the activity state must be active",
    test: (e) => (e.n(INT_F) & 3) === 0 || e.n(ACT) === 0,
  },
  {
    id: "guest-activity-injection", sdm: GNR, phase: "guest", fields: [ACT, INFO_F],
    explain: "an injected event must suit the activity state: HLT allows external interrupts, NMI, #DB, #MC and pending MTF; shutdown only NMI and #MC; wait-for-SIPI none",
    test: (e) => {
      if (!injecting(e)) return true;
      const a = e.n(ACT), t = e.injectType, v = e.injectVector;
      if (a === 1) return t === ITYPE.EXT || t === ITYPE.NMI || (t === ITYPE.HW_EXC && (v === 1 || v === 18)) || (t === ITYPE.OTHER && v === 0);
      if (a === 2) return t === ITYPE.NMI || (t === ITYPE.HW_EXC && v === 18);
      return a !== 3;
    },
  },
  {
    id: "guest-interruptibility-reserved", sdm: GNR, phase: "guest", fields: [INT_F],
    explain: "GUEST_INTERRUPTIBILITY_INFO bits 31:5 are reserved and must be 0",
    test: (e) => (e.n(INT_F) & ~0x1f) === 0,
  },
  {
    id: "guest-interruptibility-sti-movss", sdm: GNR, phase: "guest", fields: [INT_F],
    explain: "blocking by STI (bit 0) and blocking by MOV SS (bit 1) must not both be 1",
    test: (e) => (e.n(INT_F) & 3) !== 3,
  },
  {
    id: "guest-interruptibility-sti-if", sdm: GNR, phase: "guest", fields: [INT_F, "GUEST_RFLAGS"],
    explain: "blocking by STI must be 0 when GUEST_RFLAGS.IF = 0 (STI sets IF)",
    test: (e) => (e.n(INT_F) & 1) === 0 || bit(e.v("GUEST_RFLAGS"), 9),
  },
  {
    id: "guest-interruptibility-injection", sdm: GNR, phase: "guest", fields: [INT_F, INFO_F],
    explain: "injecting an external interrupt requires blocking by STI and MOV SS to be 0; injecting an NMI requires blocking by MOV SS to be 0",
    test: (e) => {
      if (!injecting(e)) return true;
      if (e.injectType === ITYPE.EXT) return (e.n(INT_F) & 3) === 0;
      if (e.injectType === ITYPE.NMI) return (e.n(INT_F) & 2) === 0;
      return true;
    },
  },
  {
    id: "guest-interruptibility-smi", sdm: GNR, phase: "guest", fields: [INT_F],
    explain: "blocking by SMI (bit 2) must be 0 outside SMM",
    test: (e) => (e.n(INT_F) & 4) === 0,
  },
  {
    id: "guest-interruptibility-virtual-nmi", sdm: GNR, phase: "guest", fields: [PIN_F, INT_F, INFO_F],
    explain: "injecting an NMI with \"virtual NMIs\" = 1 requires blocking by NMI (bit 3) to be 0",
    test: (e) => !injecting(e) || e.injectType !== ITYPE.NMI || !e.has("pin", PIN.VIRTUAL_NMIS) || (e.n(INT_F) & 8) === 0,
  },
  {
    id: "guest-interruptibility-nmi-sti", sdm: GNR, phase: "guest", fields: [INT_F, INFO_F], qualification: 3,
    explain: "injecting an NMI while blocking by STI is set fails on this processor (exit qualification 3)",
    test: (e) => !injecting(e) || e.injectType !== ITYPE.NMI || (e.n(INT_F) & 1) === 0,
  },
  {
    id: "guest-pending-debug-reserved", sdm: GNR, phase: "guest", fields: [PDE],
    explain: "GUEST_PENDING_DBG_EXCEPTIONS bits 11:4, 13, 15 and 63:17 are reserved and must be 0",
    test: (e) => !any(e.v(PDE), 0xffff_ffff_fffe_aff0n),
  },
  {
    id: "guest-pending-debug-bs", sdm: GNR, phase: "guest", fields: [PDE, INT_F, ACT, "GUEST_RFLAGS", "GUEST_IA32_DEBUGCTL"],
    explain: "with blocking by STI or MOV SS, or in the HLT state, the pending BS bit (14) must be 1 exactly when RFLAGS.TF = 1 and IA32_DEBUGCTL.BTF = 0",
    test: (e) => {
      if ((e.n(INT_F) & 3) === 0 && e.n(ACT) !== 1) return true;
      const want = bit(e.v("GUEST_RFLAGS"), 8) && !bit(e.v("GUEST_IA32_DEBUGCTL"), 1);
      return bit(e.v(PDE), 14) === want;
    },
  },
  {
    id: "guest-vmcs-link-pointer", sdm: GNR, phase: "guest", fields: [CPU2_F, "VMCS_LINK_POINTER"], qualification: 4,
    explain: "without \"VMCS shadowing\", VMCS_LINK_POINTER must be FFFFFFFF_FFFFFFFFH (exit qualification 4)",
    test: (e) => e.has("secondary", CPU2.SHADOW_VMCS) || e.v("VMCS_LINK_POINTER") === 0xffff_ffff_ffff_ffffn,
  },
];

// ---------------------------------------------------------------- 27.3.1.6 PDPTEs (PAE paging)

/** PDPTE reserved bits: 2:1, 8:5 and those beyond MAXPHYADDR (SDM Vol. 3A 4.4.1). */
function pdpteOk(v: bigint, maxPhys: number): boolean {
  if (!(v & 1n)) return true;
  return !any(v, 0x1e6n) && fits(v & ~0xfffn, maxPhys);
}

const PDPTES: EntryCheck[] = [
  {
    id: "guest-pdptes", sdm: GPDPTE, phase: "guest", qualification: 2,
    fields: [CPU2_F, ENTRY_F, "GUEST_CR0", "GUEST_CR4", "GUEST_CR3", "GUEST_PDPTR0", "GUEST_PDPTR1", "GUEST_PDPTR2", "GUEST_PDPTR3"],
    explain: "with PAE paging (CR0.PG = 1, CR4.PAE = 1, not IA-32e mode) the present PDPTEs (from the VMCS with EPT, else from the table at CR3) must have reserved bits 0 (exit qualification 2)",
    test: (e) => {
      if (e.ia32e || !bit(e.v("GUEST_CR0"), 31) || !bit(e.v("GUEST_CR4"), 5)) return true;
      for (let i = 0; i < 4; i++) {
        const v = e.has("secondary", CPU2.EPT)
          ? e.v(`GUEST_PDPTR${i}`)
          : e.readPhys(Number(e.v("GUEST_CR3") & 0xffff_ffe0n) + i * 8);
        if (!pdpteOk(v, e.caps.maxPhys)) return false;
      }
      return true;
    },
  },
];

/** Every check in the order VM entry performs them. */
export const ENTRY_CHECKS: readonly EntryCheck[] = [
  ...EXECUTION, ...EXITS, ...ENTRIES, ...HOST,
  ...GUEST_CRS, ...segmentChecks(), ...TABLES, ...RIP_FLAGS, ...NON_REGISTER, ...PDPTES,
];

export const CHECKS_BY_ID: ReadonlyMap<string, EntryCheck> = new Map(ENTRY_CHECKS.map((c) => [c.id, c]));
