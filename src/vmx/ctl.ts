/**
 * Control bits the engine tests on hot paths, as numeric masks (Linux
 * asm/vmx.h numbering; SDM Vol. 3C 25.6–25.8). The names users write live in
 * src/vmcs/controls.ts; these masks are the same bits for code.
 */
const b = (n: number) => 2 ** n;

/** Pin-based VM-execution controls (SDM Vol. 3C 25.6.1 Table 25-5). */
export const PIN = {
  EXT_INTR: b(0), NMI_EXITING: b(3), VIRTUAL_NMIS: b(5), PREEMPTION_TIMER: b(6), POSTED_INTR: b(7),
} as const;

/** Primary processor-based VM-execution controls (SDM Vol. 3C 25.6.2 Table 25-6). */
export const CPU = {
  INTR_WINDOW: b(2), TSC_OFFSETTING: b(3), HLT: b(7), INVLPG: b(9), MWAIT: b(10), RDPMC: b(11), RDTSC: b(12),
  CR3_LOAD: b(15), CR3_STORE: b(16), TERTIARY: b(17), CR8_LOAD: b(19), CR8_STORE: b(20), TPR_SHADOW: b(21),
  NMI_WINDOW: b(22), MOV_DR: b(23), UNCOND_IO: b(24), IO_BITMAPS: b(25), MTF: b(27), MSR_BITMAPS: b(28),
  MONITOR: b(29), PAUSE: b(30), SECONDARY: b(31),
} as const;

/** Secondary processor-based VM-execution controls (SDM Vol. 3C 25.6.2 Table 25-7). */
export const CPU2 = {
  VIRT_APIC_ACCESS: b(0), EPT: b(1), DESC: b(2), RDTSCP: b(3), VIRT_X2APIC: b(4), VPID: b(5), WBINVD: b(6),
  UNRESTRICTED: b(7), APIC_REG_VIRT: b(8), VINTR_DELIVERY: b(9), PAUSE_LOOP: b(10), RDRAND: b(11),
  INVPCID: b(12), VMFUNC: b(13), SHADOW_VMCS: b(14), ENCLS: b(15), RDSEED: b(16), PML: b(17), EPT_VE: b(18),
  XSAVES: b(20), MBEC: b(22), TSC_SCALING: b(25), UMWAIT: b(26),
} as const;

/** VM-exit controls (SDM Vol. 3C 25.7.1 Table 25-13). */
export const EXIT = {
  SAVE_DEBUG: b(2), HOST_64: b(9), LOAD_PERF_GLOBAL: b(12), ACK_INTR: b(15), SAVE_PAT: b(18), LOAD_PAT: b(19),
  SAVE_EFER: b(20), LOAD_EFER: b(21), SAVE_PREEMPTION: b(22), CLEAR_BNDCFGS: b(23),
} as const;

/** VM-entry controls (SDM Vol. 3C 25.8.1 Table 25-15). */
export const ENTRY = {
  LOAD_DEBUG: b(2), IA32E: b(9), SMM: b(10), DEACT_DUAL: b(11), LOAD_PERF_GLOBAL: b(13), LOAD_PAT: b(14),
  LOAD_EFER: b(15), LOAD_BNDCFGS: b(16),
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
