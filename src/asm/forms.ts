/**
 * The instruction forms the assembler knows, read from iced-x86's `OpCodeInfo`
 * table (one entry per `Code`): mnemonic, operand kinds, memory operand size,
 * operand/address size, modes and allowed prefixes. Nothing here is written by
 * hand except the spellings in `MNEMONIC_ALIASES`.
 */
import { Code, CodeExt, EncodingKind, MandatoryPrefix, MemorySize, MemorySizeExt, Mnemonic, OpCodeOperandKind as K } from "iced-x86";

export interface Form {
  code: Code;
  /** Lower-case iced mnemonic. */
  mnemonic: string;
  ops: K[];
  /** Size of the memory operand in bytes; 0 when the instruction does not fix it (LEA, INVLPG…). */
  memSize: number;
  /** A far pointer in memory (m16:16, m16:32, m16:64). */
  farMem: boolean;
  operandSize: number;
  addressSize: number;
  defaultOpSize64: boolean;
  modes: { 16: boolean; 32: boolean; 64: boolean };
  canLock: boolean;
  canRep: boolean;
  canRepne: boolean;
  /** F3 is part of the opcode (VIA PadLock `rep xsha1`): a written `rep` is that byte. */
  mandatoryF3: boolean;
}

/**
 * Encodings the assembler accepts. EVEX (AVX-512: masks, broadcast, rounding),
 * MVEX, XOP and 3DNow! need operand syntax the assembler does not have.
 */
const ENCODINGS = new Set([EncodingKind.Legacy, EncodingKind.VEX]);

/**
 * Forms left out because another form with the same mnemonic and operands is
 * the documented encoding (iced keeps undocumented aliases for its decoder).
 */
const EXCLUDED = new Set<Code>([
  Code.Test_rm8_imm8_F6r1,
  Code.Test_rm16_imm16_F7r1,
  Code.Test_rm32_imm32_F7r1,
  Code.Test_rm64_imm32_F7r1,
  Code.Fcom_st0_sti_DCD0,
  Code.Fcomp_st0_sti_DCD8,
  Code.Fxch_st0_sti_DDC8,
  Code.Fxch_st0_sti_DFC8,
  Code.Fstp_sti_DFD0,
  Code.Fstp_sti_DFD8,
  Code.Fcomp_st0_sti_DED0,
  Code.Mfence_F2,
  Code.Mfence_F3,
  Code.Mfence_F6,
  Code.Lfence_E9,
  Code.Lfence_EA,
  Code.Lfence_EB,
  Code.Lfence_EC,
  Code.Lfence_ED,
  Code.Lfence_EE,
  Code.Lfence_EF,
  Code.Sfence_F9,
  Code.Sfence_FA,
  Code.Sfence_FB,
  Code.Sfence_FC,
  Code.Sfence_FD,
  Code.Sfence_FE,
  Code.Sfence_FF,
  Code.Vmgexit_F2,
]);

/**
 * Code families left out by name: Knights Corner's VEX forms (a decoder option
 * away from ordinary x86) and the reserved-NOP space 0F 18-1F (iced gives
 * them two operands; NASM and GAS write `nop r/m`), the 486-A0 step's
 * CMPXCHG opcode (0F A6/A7, reused later) and VIA's undocumented opcodes.
 */
const EXCLUDED_PREFIXES = ["VEX_KNC_", "Reservednop", "Cmpxchg486_", "Via_undoc_"];

/**
 * Other spellings (NASM and GAS) of iced mnemonics. A spelling may stand for
 * several mnemonics that differ only in operand size (`pushf` is `pushfq` in
 * 64-bit code): the form with the mode's default operand size wins.
 */
const FIXED_ALIASES: Record<string, string[]> = {
  sal: ["shl"],
  xlat: ["xlatb"],
  icebp: ["int1"],
  movabs: ["mov"],
  retn: ["ret"],
  pushf: ["pushf", "pushfd", "pushfq"],
  popf: ["popf", "popfd", "popfq"],
  iret: ["iret", "iretd"],
  pusha: ["pusha", "pushad"],
  popa: ["popa", "popad"],
  loopz: ["loope"],
  loopnz: ["loopne"],
  sysretl: ["sysret"],
  sysretd: ["sysret"],
  ud2a: ["ud2"],
  wait: ["wait"],
  fwait: ["wait"],
  // GAS names string instructions without a size and takes it from the written operands.
  movs: ["movsb", "movsw", "movsd", "movsq"],
  cmps: ["cmpsb", "cmpsw", "cmpsd", "cmpsq"],
  stos: ["stosb", "stosw", "stosd", "stosq"],
  lods: ["lodsb", "lodsw", "lodsd", "lodsq"],
  scas: ["scasb", "scasw", "scasd", "scasq"],
  ins: ["insb", "insw", "insd"],
  outs: ["outsb", "outsw", "outsd"],
};

let aliases: Record<string, string[]> | undefined;
function mnemonicAliases(): Record<string, string[]> {
  return (aliases ??= { ...conditionAliases(formTable()), ...FIXED_ALIASES });
}

/** Spellings of one condition (SDM Vol. 1 Appendix B, EFLAGS condition codes). */
const CONDITION_SYNONYMS = [
  ["o"], ["no"], ["b", "c", "nae"], ["ae", "nb", "nc"], ["e", "z"], ["ne", "nz"], ["be", "na"], ["a", "nbe"],
  ["s"], ["ns"], ["p", "pe"], ["np", "po"], ["l", "nge"], ["ge", "nl"], ["le", "ng"], ["g", "nle"],
];
/** Mnemonic families with a condition inside: Jcc, SETcc, CMOVcc, CMPccXADD. */
const CONDITION_FAMILIES: [string, string][] = [["j", ""], ["set", ""], ["cmov", ""], ["cmp", "xadd"]];

/** Every spelling of a conditional mnemonic, mapped to the one iced uses. */
function conditionAliases(table: Map<string, Form[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [pre, post] of CONDITION_FAMILIES)
    for (const group of CONDITION_SYNONYMS) {
      const known = group.map((cc) => pre + cc + post).find((n) => table.has(n));
      if (!known) continue;
      for (const cc of group) if (pre + cc + post !== known) out[pre + cc + post] = [known];
    }
  return out;
}

let byMnemonic: Map<string, Form[]> | undefined;

function memSizeBytes(m: MemorySize): number {
  return m === MemorySize.Unknown ? 0 : MemorySizeExt.size(m);
}

const FAR_SIZES = new Set([MemorySize.SegPtr16, MemorySize.SegPtr32, MemorySize.SegPtr64]);

function build(): Map<string, Form[]> {
  const map = new Map<string, Form[]>();
  for (const value of Object.values(Code)) {
    if (typeof value !== "number" || EXCLUDED.has(value)) continue;
    const codeName = Code[value]!;
    if (EXCLUDED_PREFIXES.some((p) => codeName.startsWith(p))) continue;
    const o = CodeExt.opCode(value);
    try {
      if (!o.isInstruction || !ENCODINGS.has(o.encoding)) continue;
      const ops: K[] = [];
      for (let i = 0; i < o.opCount; i++) ops.push(o.opKind(i));
      const f: Form = {
        code: value,
        mnemonic: Mnemonic[o.mnemonic]!.toLowerCase(),
        ops,
        memSize: memSizeBytes(o.memorySize),
        farMem: FAR_SIZES.has(o.memorySize),
        operandSize: o.operandSize,
        addressSize: o.addressSize,
        defaultOpSize64: o.defaultOpSize64,
        modes: { 16: o.mode16, 32: o.mode32, 64: o.mode64 },
        canLock: o.canUseLockPrefix,
        canRep: o.canUseRepPrefix,
        canRepne: o.canUseRepnePrefix,
        mandatoryF3: o.mandatoryPrefix === MandatoryPrefix.PF3,
      };
      const list = map.get(f.mnemonic) ?? [];
      list.push(f);
      map.set(f.mnemonic, list);
    } finally {
      o.free();
    }
  }
  // SAL is SHL (SDM Vol. 2B "SAL/SAR/SHL/SHR"); iced's `sal` forms are the undocumented /6 encoding.
  map.delete("sal");
  return map;
}

export function formTable(): Map<string, Form[]> {
  return (byMnemonic ??= build());
}

/** Forms for a mnemonic as written (any case, aliases resolved); undefined if unknown. */
export function formsFor(mnemonic: string): Form[] | undefined {
  const name = mnemonic.toLowerCase();
  const table = formTable();
  const sized = SIZED_SPELLINGS[name];
  if (sized) return (table.get(sized[0]) ?? []).filter((f) => f.operandSize === sized[1]);
  const names = mnemonicAliases()[name] ?? [name];
  const out = names.flatMap((n) => table.get(n) ?? []);
  return out.length ? out : undefined;
}

/**
 * Forms for NASM's `o16`/`o32`/`o64` prefix: the operand size picks among the
 * mnemonic and its size-suffixed spellings (`o64 sysret` is SYSRETQ).
 */
export function formsWithOperandSize(mnemonic: string, operandSize: number): Form[] {
  const name = mnemonic.toLowerCase();
  const all = [name, name + "w", name + "d", name + "q"].flatMap((n) => (n === name ? (formsFor(n) ?? []) : (formTable().get(n) ?? [])));
  return [...new Set(all)].filter((f) => f.operandSize === operandSize);
}

/** Spellings with the operand size in the name, as iced's NASM formatter prints them: the mnemonic and the size. */
const SIZED_SPELLINGS: Record<string, [string, number]> = {
  pushfw: ["pushf", 16],
  popfw: ["popf", 16],
  iretw: ["iret", 16],
  pushaw: ["pusha", 16],
  popaw: ["popa", 16],
  retw: ["ret", 16],
  retd: ["ret", 32],
  retq: ["ret", 64],
  retfw: ["retf", 16],
  retfd: ["retf", 32],
  retfq: ["retf", 64],
};

/** Comparison predicates of CMPPS/CMPPD/CMPSS/CMPSD (0-7) and their VEX forms (0-31), SDM Vol. 2A Table 3-1. */
const CMP_PREDICATES = [
  "eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord",
  "eq_uq", "nge", "ngt", "false", "neq_oq", "ge", "gt", "true",
  "eq_os", "lt_oq", "le_oq", "unord_s", "neq_us", "nlt_uq", "nle_uq", "ord_s",
  "eq_us", "nge_uq", "ngt_uq", "false_os", "neq_os", "ge_oq", "gt_oq", "true_us",
];
/** PCLMULQDQ's immediate selects the quadwords: bit 0 of the first source, bit 4 of the second. */
const PCLMUL_PSEUDO: Record<string, number> = { lqlq: 0x00, hqlq: 0x01, lqhq: 0x10, hqhq: 0x11 };

/** `cmpltps x, y` is `cmpps x, y, 1`: the base mnemonic and the immediate it implies. */
export function pseudoOp(mnemonic: string): { mnemonic: string; imm: number } | undefined {
  const name = mnemonic.toLowerCase();
  const cmp = /^(v?)cmp([a-z_]+?)(ps|pd|ss|sd)$/.exec(name);
  if (cmp) {
    const imm = CMP_PREDICATES.indexOf(cmp[2]!);
    if (imm >= 0 && (cmp[1] === "v" || imm < 8)) return { mnemonic: `${cmp[1]}cmp${cmp[3]}`, imm };
  }
  const pcl = /^(v?)pclmul(lqlq|hqlq|lqhq|hqhq)dq$/.exec(name);
  if (pcl) return { mnemonic: `${pcl[1]}pclmulqdq`, imm: PCLMUL_PSEUDO[pcl[2]!]! };
  return undefined;
}

/** Every spelling the assembler accepts (for did-you-mean suggestions). */
export function allMnemonics(): string[] {
  return [...formTable().keys(), ...Object.keys(mnemonicAliases()), ...Object.keys(SIZED_SPELLINGS)];
}
