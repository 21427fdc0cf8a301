/**
 * VMX control bits by name, one table per control word (SDM Vol. 3C 25.6–25.8).
 * Names are kebab case of the SDM's names as scenario YAML writes them
 * (`hlt-exiting`, `enable-ept`, `ia32e-mode-guest`); bit numbers match
 * Linux asm/vmx.h. Bits a word lists as "default1" are reserved bits that the
 * non-TRUE capability MSRs report as fixed to 1 (SDM Vol. 3D A.2).
 */
import type { FieldName } from "./fields";

export type ControlWord = "pin" | "primary" | "secondary" | "tertiary" | "exit" | "secondary-exit" | "entry";

export interface ControlWordInfo {
  readonly word: ControlWord;
  /** The VMCS field holding the word. */
  readonly field: FieldName;
  /** 32 or 64 bits (tertiary and secondary VM-exit controls are 64-bit fields). */
  readonly bits: 32 | 64;
  readonly sdm: string;
  /** Capability MSR (allowed-0 in bits 31:0, allowed-1 in 63:32; for 64-bit words: allowed-1 only). */
  readonly msr: number;
  /** The TRUE_ variant consulted when IA32_VMX_BASIC bit 55 is 1. */
  readonly trueMsr?: number;
  /** Reserved bits fixed to 1 in the non-TRUE MSR ("default1 class", SDM Vol. 3D A.2). */
  readonly default1: number;
  readonly bitsByName: Readonly<Record<string, number>>;
}

const PIN_BITS = {
  "external-interrupt-exiting": 0,
  "nmi-exiting": 3,
  "virtual-nmis": 5,
  "activate-vmx-preemption-timer": 6,
  "process-posted-interrupts": 7,
} as const;

const PRIMARY_BITS = {
  "interrupt-window-exiting": 2,
  "use-tsc-offsetting": 3,
  "hlt-exiting": 7,
  "invlpg-exiting": 9,
  "mwait-exiting": 10,
  "rdpmc-exiting": 11,
  "rdtsc-exiting": 12,
  "cr3-load-exiting": 15,
  "cr3-store-exiting": 16,
  "activate-tertiary-controls": 17,
  "cr8-load-exiting": 19,
  "cr8-store-exiting": 20,
  "use-tpr-shadow": 21,
  "nmi-window-exiting": 22,
  "mov-dr-exiting": 23,
  "unconditional-io-exiting": 24,
  "use-io-bitmaps": 25,
  "monitor-trap-flag": 27,
  "use-msr-bitmaps": 28,
  "monitor-exiting": 29,
  "pause-exiting": 30,
  "activate-secondary-controls": 31,
} as const;

const SECONDARY_BITS = {
  "virtualize-apic-accesses": 0,
  "enable-ept": 1,
  "descriptor-table-exiting": 2,
  "enable-rdtscp": 3,
  "virtualize-x2apic-mode": 4,
  "enable-vpid": 5,
  "wbinvd-exiting": 6,
  "unrestricted-guest": 7,
  "apic-register-virtualization": 8,
  "virtual-interrupt-delivery": 9,
  "pause-loop-exiting": 10,
  "rdrand-exiting": 11,
  "enable-invpcid": 12,
  "enable-vm-functions": 13,
  "vmcs-shadowing": 14,
  "enable-encls-exiting": 15,
  "rdseed-exiting": 16,
  "enable-pml": 17,
  "ept-violation-ve": 18,
  "conceal-vmx-from-pt": 19,
  "enable-xsaves-xrstors": 20,
  "pasid-translation": 21,
  "mode-based-execute-control": 22,
  "sub-page-write-permissions": 23,
  "pt-uses-guest-physical-addresses": 24,
  "use-tsc-scaling": 25,
  "enable-user-wait-and-pause": 26,
  "enable-pconfig": 27,
  "enable-enclv-exiting": 28,
  "vmm-bus-lock-detection": 30,
  "instruction-timeout": 31,
} as const;

const TERTIARY_BITS = {
  "loadiwkey-exiting": 0,
  "enable-hlat": 1,
  "ept-paging-write-control": 2,
  "guest-paging-verification": 3,
  "ipi-virtualization": 4,
  "virtualize-ia32-spec-ctrl": 7,
} as const;

const EXIT_BITS = {
  "save-debug-controls": 2,
  "host-address-space-size": 9,
  "load-ia32-perf-global-ctrl": 12,
  "ack-interrupt-on-exit": 15,
  "save-ia32-pat": 18,
  "load-ia32-pat": 19,
  "save-ia32-efer": 20,
  "load-ia32-efer": 21,
  "save-vmx-preemption-timer-value": 22,
  "clear-ia32-bndcfgs": 23,
  "conceal-vmx-from-pt": 24,
  "clear-ia32-rtit-ctl": 25,
  "clear-ia32-lbr-ctl": 26,
  "clear-uinv": 27,
  "load-cet-state": 28,
  "load-pkrs": 29,
  "save-ia32-perf-global-ctrl": 30,
  "activate-secondary-controls": 31,
} as const;

const SECONDARY_EXIT_BITS = {
  "save-ia32-fred": 0,
  "load-ia32-fred": 1,
} as const;

const ENTRY_BITS = {
  "load-debug-controls": 2,
  "ia32e-mode-guest": 9,
  "entry-to-smm": 10,
  "deactivate-dual-monitor-treatment": 11,
  "load-ia32-perf-global-ctrl": 13,
  "load-ia32-pat": 14,
  "load-ia32-efer": 15,
  "load-ia32-bndcfgs": 16,
  "conceal-vmx-from-pt": 17,
  "load-ia32-rtit-ctl": 18,
  "load-uinv": 19,
  "load-cet-state": 20,
  "load-guest-ia32-lbr-ctl": 21,
  "load-pkrs": 22,
  "load-ia32-fred": 23,
} as const;

export type PinControl = keyof typeof PIN_BITS;
export type PrimaryControl = keyof typeof PRIMARY_BITS;
export type SecondaryControl = keyof typeof SECONDARY_BITS;
export type TertiaryControl = keyof typeof TERTIARY_BITS;
export type ExitControl = keyof typeof EXIT_BITS;
export type SecondaryExitControl = keyof typeof SECONDARY_EXIT_BITS;
export type EntryControl = keyof typeof ENTRY_BITS;

/** Names of the controls of each word (for typed option objects). */
export interface ControlNames {
  pin: PinControl;
  primary: PrimaryControl;
  secondary: SecondaryControl;
  tertiary: TertiaryControl;
  exit: ExitControl;
  "secondary-exit": SecondaryExitControl;
  entry: EntryControl;
}

/** The one table of control words and their bits. */
export const CONTROL_WORDS: Readonly<Record<ControlWord, ControlWordInfo>> = {
  pin: {
    word: "pin", field: "PIN_BASED_VM_EXEC_CONTROL", bits: 32, sdm: "SDM Vol. 3C 25.6.1 Table 25-5",
    msr: 0x481, trueMsr: 0x48d, default1: 0x0000_0016, bitsByName: PIN_BITS,
  },
  primary: {
    word: "primary", field: "CPU_BASED_VM_EXEC_CONTROL", bits: 32, sdm: "SDM Vol. 3C 25.6.2 Table 25-6",
    msr: 0x482, trueMsr: 0x48e, default1: 0x0401_e172, bitsByName: PRIMARY_BITS,
  },
  secondary: {
    word: "secondary", field: "SECONDARY_VM_EXEC_CONTROL", bits: 32, sdm: "SDM Vol. 3C 25.6.2 Table 25-7",
    msr: 0x48b, default1: 0, bitsByName: SECONDARY_BITS,
  },
  tertiary: {
    word: "tertiary", field: "TERTIARY_VM_EXEC_CONTROL", bits: 64, sdm: "SDM Vol. 3C 25.6.2 Table 25-8",
    msr: 0x492, default1: 0, bitsByName: TERTIARY_BITS,
  },
  exit: {
    word: "exit", field: "VM_EXIT_CONTROLS", bits: 32, sdm: "SDM Vol. 3C 25.7.1 Table 25-13",
    msr: 0x483, trueMsr: 0x48f, default1: 0x0003_6dff, bitsByName: EXIT_BITS,
  },
  "secondary-exit": {
    word: "secondary-exit", field: "SECONDARY_VM_EXIT_CONTROLS", bits: 64, sdm: "SDM Vol. 3C 25.7.1 Table 25-14",
    msr: 0x493, default1: 0, bitsByName: SECONDARY_EXIT_BITS,
  },
  entry: {
    word: "entry", field: "VM_ENTRY_CONTROLS", bits: 32, sdm: "SDM Vol. 3C 25.8.1 Table 25-15",
    msr: 0x484, trueMsr: 0x490, default1: 0x0000_11ff, bitsByName: ENTRY_BITS,
  },
};

export const CONTROL_WORD_NAMES = Object.keys(CONTROL_WORDS) as ControlWord[];

/** Bit number of a named control in a word, or undefined. */
export function controlBit(word: ControlWord, name: string): number | undefined {
  return CONTROL_WORDS[word].bitsByName[name];
}

/** Name of a bit of a word, or undefined (reserved bit). */
export function controlName(word: ControlWord, bit: number): string | undefined {
  for (const [n, b] of Object.entries(CONTROL_WORDS[word].bitsByName)) if (b === bit) return n;
  return undefined;
}

/** The mask of a list of control names (unknown names throw RangeError; callers validate user input first). */
export function controlMask(word: ControlWord, names: readonly string[]): bigint {
  let m = 0n;
  for (const n of names) {
    const b = controlBit(word, n);
    if (b === undefined) throw new RangeError(`unknown ${word} control '${n}'`);
    m |= 1n << BigInt(b);
  }
  return m;
}

/** Names of the set bits of a word's value; reserved set bits appear as `bit N`. */
export function controlNames(word: ControlWord, value: bigint | number): string[] {
  const v = BigInt(value);
  const out: string[] = [];
  const width = CONTROL_WORDS[word].bits;
  for (let b = 0; b < width; b++) {
    if (((v >> BigInt(b)) & 1n) === 0n) continue;
    out.push(controlName(word, b) ?? `bit ${b}`);
  }
  return out;
}

/** Which word a name belongs to (first match in table order; some names, e.g. `load-ia32-pat`, exist in more than one word). */
export function wordsOfControl(name: string): ControlWord[] {
  return CONTROL_WORD_NAMES.filter((w) => controlBit(w, name) !== undefined);
}
