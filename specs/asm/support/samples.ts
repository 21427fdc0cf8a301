/**
 * Sample instructions for every form in iced-x86's tables (Legacy and VEX
 * encodings): operands are chosen per operand kind, the instruction is built
 * and encoded with iced directly (not through the assembler), and its text is
 * iced's own formatting.
 */
import { Code, Decoder, DecoderOptions, Encoder, Instruction, OpCodeOperandKind as K, OpKind, Register } from "iced-x86";
import { disassemble } from "../../../src/asm/disasm";
import { Form, formTable } from "../../../src/asm/forms";

export interface Sample {
  bits: 16 | 32 | 64;
  code: Code;
  name: string;
  /** Where the instruction is encoded. */
  ip: number;
  bytes: Uint8Array;
  /** The disassembler's text of `bytes` (iced's NASM syntax). */
  text: string;
}

/** Where samples are encoded: 16-bit code stays below 64 KiB so branch targets need no wrap-around. */
export const sampleIp = (bits: number): number => (bits === 16 ? 0x1000 : 0x10000);

const REGS: Record<string, (bits: number) => Register[]> = {
  gpr8: (b) => (b === 64 ? [Register.CL, Register.R9L] : [Register.CL, Register.DH]),
  gpr16: (b) => (b === 64 ? [Register.DX, Register.R10W] : [Register.DX]),
  gpr32: (b) => (b === 64 ? [Register.ESI, Register.R11D] : [Register.ESI]),
  gpr64: () => [Register.RBX, Register.R12],
  seg: () => [Register.FS, Register.SS],
  cr: (b) => (b === 64 ? [Register.CR3, Register.CR8] : [Register.CR3]),
  dr: () => [Register.DR7],
  tr: () => [Register.TR6],
  bnd: () => [Register.BND1],
  k: () => [Register.K2],
  mm: () => [Register.MM3],
  xmm: (b) => (b === 64 ? [Register.XMM5, Register.XMM9] : [Register.XMM5]),
  ymm: (b) => (b === 64 ? [Register.YMM2, Register.YMM12] : [Register.YMM2]),
  st: () => [Register.ST3],
  tmm: () => [Register.TMM1],
};

const KIND_REGS: Partial<Record<K, string>> = {
  [K.r8_reg]: "gpr8",
  [K.r8_opcode]: "gpr8",
  [K.r8_or_mem]: "gpr8",
  [K.r16_reg]: "gpr16",
  [K.r16_reg_mem]: "gpr16",
  [K.r16_rm]: "gpr16",
  [K.r16_opcode]: "gpr16",
  [K.r16_or_mem]: "gpr16",
  [K.r32_reg]: "gpr32",
  [K.r32_reg_mem]: "gpr32",
  [K.r32_rm]: "gpr32",
  [K.r32_opcode]: "gpr32",
  [K.r32_vvvv]: "gpr32",
  [K.r32_or_mem]: "gpr32",
  [K.r32_or_mem_mpx]: "gpr32",
  [K.r64_reg]: "gpr64",
  [K.r64_reg_mem]: "gpr64",
  [K.r64_rm]: "gpr64",
  [K.r64_opcode]: "gpr64",
  [K.r64_vvvv]: "gpr64",
  [K.r64_or_mem]: "gpr64",
  [K.r64_or_mem_mpx]: "gpr64",
  [K.seg_reg]: "seg",
  [K.cr_reg]: "cr",
  [K.dr_reg]: "dr",
  [K.tr_reg]: "tr",
  [K.bnd_reg]: "bnd",
  [K.bnd_or_mem_mpx]: "bnd",
  [K.k_reg]: "k",
  [K.kp1_reg]: "k",
  [K.k_rm]: "k",
  [K.k_vvvv]: "k",
  [K.k_or_mem]: "k",
  [K.mm_reg]: "mm",
  [K.mm_rm]: "mm",
  [K.mm_or_mem]: "mm",
  [K.xmm_reg]: "xmm",
  [K.xmm_rm]: "xmm",
  [K.xmm_vvvv]: "xmm",
  [K.xmm_is4]: "xmm",
  [K.xmm_or_mem]: "xmm",
  [K.ymm_reg]: "ymm",
  [K.ymm_rm]: "ymm",
  [K.ymm_vvvv]: "ymm",
  [K.ymm_is4]: "ymm",
  [K.ymm_or_mem]: "ymm",
  [K.sti_opcode]: "st",
  [K.tmm_reg]: "tmm",
  [K.tmm_rm]: "tmm",
  [K.tmm_vvvv]: "tmm",
};

const OR_MEM = new Set([K.r8_or_mem, K.r16_or_mem, K.r32_or_mem, K.r32_or_mem_mpx, K.r64_or_mem, K.r64_or_mem_mpx, K.bnd_or_mem_mpx, K.k_or_mem, K.mm_or_mem, K.xmm_or_mem, K.ymm_or_mem]);
const MEM = new Set([K.mem, K.mem_mpx, K.mem_mib, K.sibmem]);

const FIXED: Partial<Record<K, Register>> = {
  [K.al]: Register.AL,
  [K.cl]: Register.CL,
  [K.ax]: Register.AX,
  [K.dx]: Register.DX,
  [K.eax]: Register.EAX,
  [K.rax]: Register.RAX,
  [K.st0]: Register.ST0,
  [K.es]: Register.ES,
  [K.cs]: Register.CS,
  [K.ss]: Register.SS,
  [K.ds]: Register.DS,
  [K.fs]: Register.FS,
  [K.gs]: Register.GS,
};

type Op = (ins: Instruction, i: number) => void;

interface MemShape {
  base: Register;
  index: Register;
  scale: number;
  displ: bigint;
  displSize: number;
  seg: Register;
}

function memShapes(bits: number): MemShape[] {
  const N = Register.None;
  if (bits === 64)
    return [
      { base: Register.RBX, index: Register.RSI, scale: 4, displ: 0x10n, displSize: 1, seg: N },
      { base: Register.RIP, index: N, scale: 1, displ: BigInt(sampleIp(64) + 0x200), displSize: 8, seg: N },
      { base: Register.R13, index: N, scale: 1, displ: 0x12345n, displSize: 8, seg: Register.FS },
    ];
  if (bits === 32)
    return [
      { base: Register.EBX, index: Register.ESI, scale: 4, displ: 0x10n, displSize: 1, seg: N },
      { base: N, index: N, scale: 1, displ: 0x2000n, displSize: 4, seg: Register.GS },
    ];
  return [
    { base: Register.BP, index: Register.DI, scale: 1, displ: 0x10n, displSize: 1, seg: N },
    { base: Register.BX, index: N, scale: 1, displ: 0x1234n, displSize: 2, seg: Register.ES },
  ];
}

function memOp(m: MemShape): Op {
  return (ins, i) => {
    ins.setOpKind(i, OpKind.Memory);
    ins.memoryBase = m.base;
    ins.memoryIndex = m.index;
    ins.memoryIndexScale = m.scale;
    ins.memoryDisplacement = m.displ;
    ins.memoryDisplSize = m.displSize;
    ins.segmentPrefix = m.seg;
  };
}

const IMM: Partial<Record<K, [OpKind, bigint[]]>> = {
  [K.imm8]: [OpKind.Immediate8, [0x7fn, 3n]],
  [K.imm8_const_1]: [OpKind.Immediate8, [1n]],
  [K.imm8sex16]: [OpKind.Immediate8to16, [0xfffdn]],
  [K.imm8sex32]: [OpKind.Immediate8to32, [0xfffffffdn]],
  [K.imm8sex64]: [OpKind.Immediate8to64, [0xfffffffffffffffdn]],
  [K.imm16]: [OpKind.Immediate16, [0x1234n]],
  [K.imm32]: [OpKind.Immediate32, [0x12345678n]],
  [K.imm32sex64]: [OpKind.Immediate32to64, [0xfffffffffff00000n]],
  [K.imm64]: [OpKind.Immediate64, [0x123456789abcdef0n, 0x100000001n]],
};

function choicesFor(kind: K, i: number, bits: 16 | 32 | 64, immSeen: boolean): Op[] | undefined {
  const fixed = FIXED[kind];
  if (fixed !== undefined)
    return [
      (ins) => {
        ins.setOpKind(i, OpKind.Register);
        ins.setOpRegister(i, fixed);
      },
    ];
  const cls = KIND_REGS[kind];
  const out: Op[] = [];
  if (cls)
    for (const r of REGS[cls]!(bits))
      out.push((ins) => {
        ins.setOpKind(i, OpKind.Register);
        ins.setOpRegister(i, r);
      });
  if (OR_MEM.has(kind) || MEM.has(kind)) out.push(...memShapes(bits).map(memOp));
  if (kind === K.mem_offs)
    out.push((ins) => {
      ins.setOpKind(i, OpKind.Memory);
      ins.memoryDisplacement = 0x3000n;
      ins.memoryDisplSize = bits / 8;
    });
  const imm = IMM[kind];
  if (imm)
    for (const v of imm[1])
      out.push((ins) => {
        ins.setOpKind(i, kind === K.imm8 && immSeen ? OpKind.Immediate8_2nd : imm[0]);
        ins.setImmediateU64(i, v);
      });
  const branch: Partial<Record<K, [OpKind, number]>> = {
    [K.br16_1]: [OpKind.NearBranch16, 0x10],
    [K.br32_1]: [OpKind.NearBranch32, 0x10],
    [K.br64_1]: [OpKind.NearBranch64, 0x10],
    [K.br16_2]: [OpKind.NearBranch16, 0x400],
    [K.br32_4]: [OpKind.NearBranch32, 0x400],
    [K.br64_4]: [OpKind.NearBranch64, 0x400],
    [K.xbegin_2]: [OpKind.NearBranch16, 0x400],
    [K.xbegin_4]: [bits === 64 ? OpKind.NearBranch64 : OpKind.NearBranch32, 0x400],
  };
  const b = branch[kind];
  if (b)
    out.push((ins) => {
      ins.setOpKind(i, b[0]);
      const t = sampleIp(bits) + b[1];
      if (b[0] === OpKind.NearBranch64) ins.nearBranch64 = BigInt(t);
      else if (b[0] === OpKind.NearBranch32) ins.nearBranch32 = t;
      else ins.nearBranch16 = t;
    });
  if (kind === K.farbr2_2 || kind === K.farbr4_2)
    out.push((ins) => {
      ins.setOpKind(i, kind === K.farbr2_2 ? OpKind.FarBranch16 : OpKind.FarBranch32);
      ins.farBranchSelector = 8;
      if (kind === K.farbr2_2) ins.farBranch16 = 0x1234;
      else ins.farBranch32 = 0x12345;
    });
  const implicit: Partial<Record<K, OpKind[]>> = {
    [K.es_rDI]: [OpKind.MemoryESDI, OpKind.MemoryESEDI, OpKind.MemoryESRDI],
    [K.seg_rSI]: [OpKind.MemorySegSI, OpKind.MemorySegESI, OpKind.MemorySegRSI],
    [K.seg_rDI]: [OpKind.MemorySegDI, OpKind.MemorySegEDI, OpKind.MemorySegRDI],
  };
  const im = implicit[kind];
  if (im) out.push((ins) => ins.setOpKind(i, im[bits === 16 ? 0 : bits === 32 ? 1 : 2]!));
  if (kind === K.seg_rBX_al)
    out.push((ins) => {
      ins.setOpKind(i, OpKind.Memory);
      ins.memoryBase = bits === 16 ? Register.BX : bits === 32 ? Register.EBX : Register.RBX;
      ins.memoryIndex = Register.AL;
      ins.memoryIndexScale = 1;
    });
  return out.length ? out : undefined;
}

/** Up to `perForm` operand combinations per form (each operand's choices cycled). */
function combos(f: Form, bits: 16 | 32 | 64, perForm: number): Op[][] {
  const per: Op[][] = [];
  let immSeen = false;
  for (let i = 0; i < f.ops.length; i++) {
    const c = choicesFor(f.ops[i]!, i, bits, immSeen);
    if (IMM[f.ops[i]!]) immSeen = true;
    if (!c) return [];
    per.push(c);
  }
  const n = Math.min(perForm, Math.max(1, ...per.map((c) => c.length)));
  return Array.from({ length: n }, (_, j) => per.map((c) => c[j % c.length]!));
}

/** Samples of every form available in `bits`-bit code that iced can encode. */
export function samples(bits: 16 | 32 | 64, perForm = 3): Sample[] {
  const enc = new Encoder(bits);
  const out: Sample[] = [];
  for (const forms of formTable().values())
    for (const f of forms) {
      if (!f.modes[bits]) continue;
      for (const ops of combos(f, bits, perForm)) {
        const ins = new Instruction();
        ins.code = f.code;
        ops.forEach((set, i) => set(ins, i));
        try {
          const ip = sampleIp(bits);
          enc.encode(ins, BigInt(ip));
          const bytes = enc.takeBuffer();
          const d = disassemble(bytes, ip, bits, 1)[0]!;
          if (d.bytes.length !== bytes.length || decodedCode(bytes, bits) !== f.code) continue;
          out.push({ bits, code: f.code, name: Code[f.code]!, ip, bytes, text: d.text });
        } catch {
          enc.takeBuffer();
        } finally {
          ins.free();
        }
      }
    }
  enc.free();
  return out;
}

function decodedCode(bytes: Uint8Array, bits: number): Code {
  const d = new Decoder(bits, bytes, DecoderOptions.None);
  const ins = d.decode();
  const c = ins.code;
  ins.free();
  d.free();
  return c;
}
