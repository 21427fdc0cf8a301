import { CpuidFeature, Decoder, DecoderOptions, Instruction, MemorySizeExt, OpKind, Register } from "iced-x86";
import { FPU_MEDIA, FPU_X87, Insn, MemOperand, Operand, RIP_BASE } from "./insn";

/** Which CR0.EM/TS rules apply to an instruction, from the CPUID features iced lists for it. */
function fpuClass(ins: Instruction): number {
  let c = 0;
  for (const f of ins.cpuidFeatures()) {
    const name = CpuidFeature[f] ?? "";
    if (name.startsWith("FPU") || name === "CMOV_FPU" || name === "FPU387SL_ONLY") c = FPU_X87;
    else if (/^(MMX|SSE|SSSE3|SSE4|FXSR|AVX|FMA|F16C|AES|PCLMULQDQ|SHA)/.test(name)) return FPU_MEDIA;
  }
  return c;
}

/** iced Register → GPR index and size; AH..BH are high8 of RAX..RBX. */
export function gprOf(r: number): { reg: number; size: 1 | 2 | 4 | 8; high8: boolean } | undefined {
  if (r >= Register.AL && r <= Register.BL) return { reg: r - Register.AL, size: 1, high8: false };
  if (r >= Register.AH && r <= Register.BH) return { reg: r - Register.AH, size: 1, high8: true };
  if (r >= Register.SPL && r <= Register.R15L) return { reg: r - Register.SPL + 4, size: 1, high8: false };
  if (r >= Register.AX && r <= Register.R15W) return { reg: r - Register.AX, size: 2, high8: false };
  if (r >= Register.EAX && r <= Register.R15D) return { reg: r - Register.EAX, size: 4, high8: false };
  if (r >= Register.RAX && r <= Register.R15) return { reg: r - Register.RAX, size: 8, high8: false };
  return undefined;
}

function segOf(r: number): number {
  return r >= Register.ES && r <= Register.GS ? r - Register.ES : -1;
}

function baseOf(r: number): number {
  if (r === Register.None) return -1;
  if (r === Register.RIP || r === Register.EIP) return RIP_BASE;
  const g = gprOf(r);
  if (!g) throw new Error(`unexpected memory base register ${r}`);
  return g.reg;
}

function immOperand(ins: Instruction, n: number, kind: number): Operand {
  let v: bigint;
  let size: number;
  switch (kind) {
    case OpKind.Immediate8: v = BigInt(ins.immediate8); size = 1; break;
    case OpKind.Immediate8_2nd: v = BigInt(ins.immediate8_2nd); size = 1; break;
    case OpKind.Immediate16: v = BigInt(ins.immediate16); size = 2; break;
    case OpKind.Immediate32: v = BigInt(ins.immediate32); size = 4; break;
    case OpKind.Immediate64: v = ins.immediate64; size = 8; break;
    case OpKind.Immediate8to16: v = BigInt(ins.immediate8to16 & 0xffff); size = 2; break;
    case OpKind.Immediate8to32: v = BigInt(ins.immediate8to32 >>> 0); size = 4; break;
    case OpKind.Immediate8to64: v = ins.immediate8to64; size = 8; break;
    case OpKind.Immediate32to64: v = ins.immediate32to64; size = 8; break;
    default: throw new Error(`operand ${n}: not an immediate`);
  }
  const u = BigInt.asUintN(64, v);
  return { kind: "imm", lo: Number(u & 0xffff_ffffn) | 0, hi: Number(u >> 32n) | 0, size };
}

const STRING_KINDS: Record<number, { si: boolean }> = {
  [OpKind.MemorySegSI]: { si: true },
  [OpKind.MemorySegESI]: { si: true },
  [OpKind.MemorySegRSI]: { si: true },
  [OpKind.MemoryESDI]: { si: false },
  [OpKind.MemoryESEDI]: { si: false },
  [OpKind.MemoryESRDI]: { si: false },
  [OpKind.MemorySegDI]: { si: false },
  [OpKind.MemorySegEDI]: { si: false },
  [OpKind.MemorySegRDI]: { si: false },
};

function operand(ins: Instruction, n: number, addrSize: 2 | 4 | 8): Operand {
  const kind = ins.opKind(n);
  const memBytes = MemorySizeExt.size(ins.memorySize);
  switch (kind) {
    case OpKind.Register: {
      const r = ins.opRegister(n);
      const g = gprOf(r);
      if (g) return { kind: "reg", ...g };
      const seg = segOf(r);
      if (seg >= 0) return { kind: "sreg", seg };
      if (r >= Register.CR0 && r <= Register.CR15) return { kind: "creg", n: r - Register.CR0 };
      if (r >= Register.DR0 && r <= Register.DR15) return { kind: "dreg", n: r - Register.DR0 };
      throw new UnsupportedOperand(`register operand ${r}`);
    }
    case OpKind.NearBranch16: return { kind: "rel", rel: ins.nearBranch16 << 16 >> 16, size: 2 };
    case OpKind.NearBranch32: return { kind: "rel", rel: ins.nearBranch32 | 0, size: 4 };
    case OpKind.NearBranch64: return { kind: "rel", rel: Number(BigInt.asIntN(64, ins.nearBranch64)), size: 8 };
    case OpKind.FarBranch16: return { kind: "far", sel: ins.farBranchSelector, off: ins.farBranch16 };
    case OpKind.FarBranch32: return { kind: "far", sel: ins.farBranchSelector, off: ins.farBranch32 >>> 0 };
    case OpKind.Memory: {
      const disp = Number(BigInt.asIntN(64, ins.memoryDisplacement));
      const base = baseOf(ins.memoryBase);
      const m: MemOperand = {
        seg: segOf(ins.memorySegment),
        base,
        index: ins.memoryIndex === Register.None ? -1 : gprOf(ins.memoryIndex)!.reg,
        scale: ins.memoryIndexScale,
        // iced reports RIP-relative displacements as absolute targets from ip 0: make them relative to the next instruction.
        disp: base === RIP_BASE ? disp - ins.length : addrSize === 8 ? disp : addrSize === 4 ? disp >>> 0 : disp & 0xffff,
        addrSize,
      };
      return { kind: "mem", m, size: memBytes };
    }
    default: {
      const s = STRING_KINDS[kind];
      if (s) {
        const g = gprOf(s.si ? Register.RSI : Register.RDI)!;
        const seg = s.si || kind >= OpKind.MemorySegDI ? segOf(ins.memorySegment) : 0; // ES:(E/R)DI cannot be overridden
        return { kind: "str", seg, reg: g.reg, size: memBytes, addrSize };
      }
      return immOperand(ins, n, kind);
    }
  }
}

export class UnsupportedOperand extends Error {}

function opSizeOf(ops: readonly Operand[]): number {
  for (const o of ops) {
    if (o.kind === "reg") return o.size;
    if ((o.kind === "mem" || o.kind === "str") && o.size > 0) return o.size;
  }
  for (const o of ops) if (o.kind === "imm") return o.size;
  return 0;
}

const decoders = new Map<number, { d: Decoder; buf: Uint8Array }>();
const instr = new Instruction();

/**
 * Decodes the instruction at the start of `bytes` (up to 15 bytes; fewer when
 * the fetch stopped at an inaccessible page) for the given code size.
 * Returns undefined when the bytes are an incomplete instruction.
 */
export function decodeInsn(bytes: Uint8Array, bits: 16 | 32 | 64): Insn | undefined {
  const d = new Decoder(bits, bytes, DecoderOptions.None);
  try {
    d.ip = 0n;
    d.decodeOut(instr);
    const ins = instr;
    const len = ins.length;
    if (ins.isInvalid) {
      // NoMoreBytes means the fetch was truncated: the caller decides (#PF on the next page).
      if (d.lastError === 2 /* DecoderError.NoMoreBytes */) return undefined;
      return invalidInsn(bytes, bits);
    }
    const defaultAddr: 2 | 4 | 8 = bits === 64 ? 8 : bits === 32 ? 4 : 2;
    const addrSize = addrSizeFromPrefixes(bytes, len, bits, defaultAddr);
    const ops: Operand[] = [];
    try {
      for (let n = 0; n < ins.opCount; n++) ops.push(operand(ins, n, addrSize));
    } catch (e) {
      // Registers vmxlab does not model (x87, MMX, XMM...): keep the CR0.EM/TS class for #NM.
      if (e instanceof UnsupportedOperand) return { ...invalidInsn(bytes.subarray(0, len), bits), fpu: fpuClass(ins) };
      throw e;
    }
    return {
      code: ins.code,
      mnemonic: ins.mnemonic,
      len,
      bits,
      ops,
      opSize: opSizeOf(ops),
      addrSize,
      rep: ins.hasRepnePrefix ? 2 : ins.hasRepePrefix || ins.hasRepPrefix ? 1 : 0,
      lock: ins.hasLockPrefix,
      segPrefix: segOf(ins.segmentPrefix),
      cc: ins.conditionCode,
      bytes: bytes.slice(0, len),
      invalid: false,
      far: ins.isJmpFar || ins.isJmpFarIndirect || ins.isCallFar || ins.isCallFarIndirect,
      stackInc: ins.stackPointerIncrement,
      fpu: fpuClass(ins),
    };
  } finally {
    d.free();
  }
}

/** The address size: the mode's default, flipped by a 0x67 prefix (SDM Vol. 1 3.6.1). */
function addrSizeFromPrefixes(bytes: Uint8Array, len: number, bits: number, def: 2 | 4 | 8): 2 | 4 | 8 {
  for (let i = 0; i < len; i++) {
    const b = bytes[i]!;
    if (b === 0x67) return bits === 64 ? 4 : bits === 32 ? 2 : 4;
    const isPrefix = b === 0x66 || b === 0xf0 || b === 0xf2 || b === 0xf3 || b === 0x26 || b === 0x2e ||
      b === 0x36 || b === 0x3e || b === 0x64 || b === 0x65 || (bits === 64 && (b & 0xf0) === 0x40);
    if (!isPrefix) break;
  }
  return def;
}

function invalidInsn(bytes: Uint8Array, bits: 16 | 32 | 64): Insn {
  return {
    code: 0, mnemonic: 0, len: Math.max(1, Math.min(bytes.length, 15)), bits, ops: [], opSize: 0, addrSize: 8,
    rep: 0, lock: false, segPrefix: -1, cc: 0, bytes: bytes.slice(0, 1), invalid: true, far: false, stackInc: 0,
  };
}
