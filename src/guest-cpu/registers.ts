/** GPR indices in x86 encoding order (ModRM.reg / REX.B numbering). */
export const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;
export const R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15;

export const GPR_NAMES = [
  "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
] as const;
export type GprName = (typeof GPR_NAMES)[number];

/** Segment-register indices: the SDM's order for ES..GS (as in VMX instruction information), then LDTR and TR. */
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, LDTR = 6, TR = 7;
export const SEG_NAMES = ["es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr"] as const;
export type SegName = (typeof SEG_NAMES)[number];

/** RFLAGS bits (SDM Vol. 1 3.4.3). */
export const FLAG = {
  CF: 1 << 0,
  FIXED1: 1 << 1, // reserved, always 1
  PF: 1 << 2,
  AF: 1 << 4,
  ZF: 1 << 6,
  SF: 1 << 7,
  TF: 1 << 8,
  IF: 1 << 9,
  DF: 1 << 10,
  OF: 1 << 11,
  IOPL: 3 << 12,
  NT: 1 << 14,
  RF: 1 << 16,
  VM: 1 << 17,
  AC: 1 << 18,
  VIF: 1 << 19,
  VIP: 1 << 20,
  ID: 1 << 21,
} as const;

/** The six status flags, kept lazily (see flags.ts); everything else lives in CpuState.rflags. */
export const ARITH_FLAGS = FLAG.CF | FLAG.PF | FLAG.AF | FLAG.ZF | FLAG.SF | FLAG.OF;
/** Bits software can ever set in RFLAGS; the rest are reserved and read as 0 (bit 1 reads as 1). */
export const RFLAGS_DEFINED = 0x3f7fd7;

/** CR0 bits (SDM Vol. 3A 2.5). */
export const CR0 = {
  PE: 1 << 0, MP: 1 << 1, EM: 1 << 2, TS: 1 << 3, ET: 1 << 4, NE: 1 << 5,
  WP: 1 << 16, AM: 1 << 18, NW: 1 << 29, CD: 1 << 30, PG: 1 << 31,
} as const;

/** CR4 bits (SDM Vol. 3A 2.5). */
export const CR4 = {
  VME: 1 << 0, PVI: 1 << 1, TSD: 1 << 2, DE: 1 << 3, PSE: 1 << 4, PAE: 1 << 5,
  MCE: 1 << 6, PGE: 1 << 7, PCE: 1 << 8, OSFXSR: 1 << 9, OSXMMEXCPT: 1 << 10,
  UMIP: 1 << 11, LA57: 1 << 12, VMXE: 1 << 13, SMXE: 1 << 14, FSGSBASE: 1 << 16,
  PCIDE: 1 << 17, OSXSAVE: 1 << 18, SMEP: 1 << 20, SMAP: 1 << 21, PKE: 1 << 22,
} as const;

/** IA32_EFER bits (SDM Vol. 3A 2.2.1). */
export const EFER = { SCE: 1 << 0, LME: 1 << 8, LMA: 1 << 10, NXE: 1 << 11, SVME: 1 << 12 } as const;

/**
 * Segment access rights in the VMCS format (SDM Vol. 3C 25.4.1 Table 25-2):
 * bits 3:0 type, 4 S, 6:5 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G, 16 unusable.
 * The CPU keeps hidden segment attributes in this format so VM entries and
 * exits copy them unchanged.
 */
export const AR = {
  TYPE_MASK: 0xf, ACCESSED: 1, S: 1 << 4, DPL_SHIFT: 5, DPL_MASK: 3 << 5, P: 1 << 7,
  AVL: 1 << 12, L: 1 << 13, DB: 1 << 14, G: 1 << 15, UNUSABLE: 1 << 16,
} as const;

/** Descriptor bits 40..55 (type through G) → VMCS access-rights format. */
export function arFromDescriptorHigh(hi: number): number {
  return (hi >>> 8) & 0xf0ff;
}
