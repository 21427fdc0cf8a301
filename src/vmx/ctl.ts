/**
 * Control bits the engine tests on hot paths, as numeric masks derived once
 * from the named bits of src/vmcs/controls.ts (SDM Vol. 3C 25.6–25.8).
 */
import { controlBit, type ControlNames, type ControlWord } from "../vmcs/controls";

/** The mask of a named control of src/vmcs/controls.ts (the one table of control bits). */
function m<W extends ControlWord>(word: W, name: ControlNames[W]): number {
  const bit = controlBit(word, name);
  if (bit === undefined) throw new Error(`unknown ${word} control ${name}`);
  return 2 ** bit;
}

/** Pin-based VM-execution controls (SDM Vol. 3C 25.6.1 Table 25-5). */
export const PIN = {
  EXT_INTR: m("pin", "external-interrupt-exiting"), NMI_EXITING: m("pin", "nmi-exiting"), VIRTUAL_NMIS: m("pin", "virtual-nmis"),
  PREEMPTION_TIMER: m("pin", "activate-vmx-preemption-timer"), POSTED_INTR: m("pin", "process-posted-interrupts"),
} as const;

/** Primary processor-based VM-execution controls (SDM Vol. 3C 25.6.2 Table 25-6). */
export const CPU = {
  INTR_WINDOW: m("primary", "interrupt-window-exiting"), TSC_OFFSETTING: m("primary", "use-tsc-offsetting"),
  HLT: m("primary", "hlt-exiting"), INVLPG: m("primary", "invlpg-exiting"), MWAIT: m("primary", "mwait-exiting"),
  RDPMC: m("primary", "rdpmc-exiting"), RDTSC: m("primary", "rdtsc-exiting"), CR3_LOAD: m("primary", "cr3-load-exiting"),
  CR3_STORE: m("primary", "cr3-store-exiting"), TERTIARY: m("primary", "activate-tertiary-controls"),
  CR8_LOAD: m("primary", "cr8-load-exiting"), CR8_STORE: m("primary", "cr8-store-exiting"), TPR_SHADOW: m("primary", "use-tpr-shadow"),
  NMI_WINDOW: m("primary", "nmi-window-exiting"), MOV_DR: m("primary", "mov-dr-exiting"),
  UNCOND_IO: m("primary", "unconditional-io-exiting"), IO_BITMAPS: m("primary", "use-io-bitmaps"),
  MTF: m("primary", "monitor-trap-flag"), MSR_BITMAPS: m("primary", "use-msr-bitmaps"), MONITOR: m("primary", "monitor-exiting"),
  PAUSE: m("primary", "pause-exiting"), SECONDARY: m("primary", "activate-secondary-controls"),
} as const;

/** Secondary processor-based VM-execution controls (SDM Vol. 3C 25.6.2 Table 25-7). */
export const CPU2 = {
  VIRT_APIC_ACCESS: m("secondary", "virtualize-apic-accesses"), EPT: m("secondary", "enable-ept"),
  DESC: m("secondary", "descriptor-table-exiting"), RDTSCP: m("secondary", "enable-rdtscp"),
  VIRT_X2APIC: m("secondary", "virtualize-x2apic-mode"), VPID: m("secondary", "enable-vpid"),
  WBINVD: m("secondary", "wbinvd-exiting"), UNRESTRICTED: m("secondary", "unrestricted-guest"),
  APIC_REG_VIRT: m("secondary", "apic-register-virtualization"), VINTR_DELIVERY: m("secondary", "virtual-interrupt-delivery"),
  PAUSE_LOOP: m("secondary", "pause-loop-exiting"), RDRAND: m("secondary", "rdrand-exiting"),
  INVPCID: m("secondary", "enable-invpcid"), VMFUNC: m("secondary", "enable-vm-functions"),
  SHADOW_VMCS: m("secondary", "vmcs-shadowing"), ENCLS: m("secondary", "enable-encls-exiting"),
  RDSEED: m("secondary", "rdseed-exiting"), PML: m("secondary", "enable-pml"), EPT_VE: m("secondary", "ept-violation-ve"),
  XSAVES: m("secondary", "enable-xsaves-xrstors"), MBEC: m("secondary", "mode-based-execute-control"),
  TSC_SCALING: m("secondary", "use-tsc-scaling"), UMWAIT: m("secondary", "enable-user-wait-and-pause"),
} as const;

/** VM-exit controls (SDM Vol. 3C 25.7.1 Table 25-13). */
export const EXIT = {
  SAVE_DEBUG: m("exit", "save-debug-controls"), HOST_64: m("exit", "host-address-space-size"),
  LOAD_PERF_GLOBAL: m("exit", "load-ia32-perf-global-ctrl"), ACK_INTR: m("exit", "ack-interrupt-on-exit"),
  SAVE_PAT: m("exit", "save-ia32-pat"), LOAD_PAT: m("exit", "load-ia32-pat"), SAVE_EFER: m("exit", "save-ia32-efer"),
  LOAD_EFER: m("exit", "load-ia32-efer"), SAVE_PREEMPTION: m("exit", "save-vmx-preemption-timer-value"),
  CLEAR_BNDCFGS: m("exit", "clear-ia32-bndcfgs"),
} as const;

/** VM-entry controls (SDM Vol. 3C 25.8.1 Table 25-15). */
export const ENTRY = {
  LOAD_DEBUG: m("entry", "load-debug-controls"), IA32E: m("entry", "ia32e-mode-guest"), SMM: m("entry", "entry-to-smm"),
  DEACT_DUAL: m("entry", "deactivate-dual-monitor-treatment"), LOAD_PERF_GLOBAL: m("entry", "load-ia32-perf-global-ctrl"),
  LOAD_PAT: m("entry", "load-ia32-pat"), LOAD_EFER: m("entry", "load-ia32-efer"), LOAD_BNDCFGS: m("entry", "load-ia32-bndcfgs"),
} as const;

/** Interruption-information format (SDM Vol. 3C 25.8.3 Table 25-17, 28.2.2 Table 28-17). */
export const INTR = {
  VALID: 0x8000_0000, ERROR_CODE: 0x800, NMI_UNBLOCKING: 0x1000, TYPE_SHIFT: 8, TYPE_MASK: 0x700, VECTOR_MASK: 0xff,
} as const;

/** Interruption types (bits 10:8). */
export const ITYPE = { EXT: 0, NMI: 2, HW_EXC: 3, SW_INT: 4, PRIV_SW_EXC: 5, SW_EXC: 6, OTHER: 7 } as const;

/** Interruptibility state bits (SDM Vol. 3C 25.4.2 Table 25-3). */
export const BLOCK = { STI: 1, MOV_SS: 2, SMI: 4, NMI: 8, ENCLAVE: 16 } as const;

/** Mask of the low 32 bits. */
export const test = (word: number, mask: number): boolean => (word & mask) !== 0;
