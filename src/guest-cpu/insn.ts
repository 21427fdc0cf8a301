/**
 * The compact record an instruction is decoded into, once per address: iced-x86
 * objects live in wasm memory and are freed right after decoding, and the
 * compiler only ever reads these plain fields.
 */

/** A memory operand: effective segment after overrides, address parts, address size. */
export interface MemOperand {
  readonly seg: number; // ES..GS index
  readonly base: number; // GPR index, -1 none, RIP_BASE for RIP-relative
  readonly index: number; // GPR index or -1
  readonly scale: number; // 1, 2, 4, 8
  readonly disp: number; // signed displacement (RIP-relative: relative to the next instruction)
  readonly addrSize: 2 | 4 | 8;
}

export const RIP_BASE = -2;

export type Operand =
  | { readonly kind: "reg"; readonly reg: number; readonly size: 1 | 2 | 4 | 8; readonly high8: boolean }
  | { readonly kind: "sreg"; readonly seg: number }
  | { readonly kind: "creg"; readonly n: number }
  | { readonly kind: "dreg"; readonly n: number }
  | { readonly kind: "mem"; readonly m: MemOperand; readonly size: number }
  /** Immediate, sign- or zero-extended as the encoding says; `hi` is the upper half for 64-bit operand sizes. */
  | { readonly kind: "imm"; readonly lo: number; readonly hi: number; readonly size: number }
  /** Near branch target relative to the start of the instruction; size is the operand size (IP width). */
  | { readonly kind: "rel"; readonly rel: number; readonly size: 2 | 4 | 8 }
  | { readonly kind: "far"; readonly sel: number; readonly off: number }
  /** String-instruction operands: [seg:(r|e)si] or es:[(r|e)di]. */
  | { readonly kind: "str"; readonly seg: number; readonly reg: number; readonly size: number; readonly addrSize: 2 | 4 | 8 };

export interface Insn {
  readonly code: number; // iced Code
  readonly mnemonic: number; // iced Mnemonic
  readonly len: number;
  readonly bits: 16 | 32 | 64; // code size it was decoded for
  readonly ops: readonly Operand[];
  /** Operand size in bytes (1/2/4/8) as the instruction's first sized operand implies. */
  readonly opSize: number;
  readonly addrSize: 2 | 4 | 8;
  readonly rep: 0 | 1 | 2; // 1 = REP/REPE, 2 = REPNE
  readonly lock: boolean;
  readonly segPrefix: number; // -1 none
  readonly cc: number; // iced ConditionCode (0 = none)
  readonly bytes: Uint8Array;
  readonly invalid: boolean;
  /** JMP/CALL far (direct or indirect through m16:16/32/64). */
  readonly far: boolean;
  /** How much the instruction changes RSP (iced's stackPointerIncrement): gives the stack operand size. */
  readonly stackInc: number;
  /** Floating-point / media state it uses: 0 none, FPU_X87, FPU_MEDIA (MMX, SSE*, FXSR, AVX*) — for the CR0.EM/TS checks. */
  readonly fpu?: number;
}

export const FPU_X87 = 1, FPU_MEDIA = 2;
