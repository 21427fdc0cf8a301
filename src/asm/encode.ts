/**
 * One instruction statement to bytes: every iced form of the mnemonic is tried
 * against the operands (operand kinds from `OpCodeInfo`), the iced `Encoder`
 * encodes the forms that fit, and the choice follows NASM/GAS: no implicit
 * operand size, the mode's default operand size, then the shortest encoding.
 */
import { Code, Encoder, Instruction, OpCodeOperandKind as K, OpKind, Register, RegisterExt } from "iced-x86";
import { evaluate, EvalContext, Value } from "./expr";
import { Form, formsFor, formsWithOperandSize } from "./forms";
import type { ImmOperand, MemOperand, Operand } from "./operands";
import { SIZE_NAMES } from "./operands";
import type { InsnStmt, Prefix } from "./parser";
import { GPR_BITS, RegClass, RegInfo } from "./registers";
import { AsmError } from "./source";

export interface EncodeEnv {
  bits: 16 | 32 | 64;
  ip: bigint;
  ctx: EvalContext;
  defaultRel: boolean;
  /** The length chosen in an earlier pass: encodings never shrink between passes, so layout converges. */
  minLength: number;
}

/** Mnemonics whose operand size may be left out: the mode's default applies (SDM Vol. 1 3.6). */
const DEFAULT_SIZE_MNEMONICS = new Set(["push", "pop", "call", "jmp", "lgdt", "lidt", "sgdt", "sidt", "fldenv", "fnstenv", "fstenv", "frstor", "fnsave", "fsave"]);
/**
 * Forms that use only 16 bits of their register operands (a selector, the MSW):
 * NASM and GAS accept the 16-bit register and emit no operand-size prefix, so
 * the 32/64-bit-register form takes it too.
 */
const WIDENS_16_BIT_REGISTERS = new Set<Code>([
  Code.Lldt_r32m16, Code.Lldt_r64m16, Code.Ltr_r32m16, Code.Ltr_r64m16, Code.Verr_r32m16, Code.Verr_r64m16,
  Code.Verw_r32m16, Code.Verw_r64m16, Code.Lmsw_r32m16, Code.Lmsw_r64m16, Code.Lkgs_r32m16, Code.Lkgs_r64m16,
  Code.Mov_Sreg_r32m16, Code.Mov_Sreg_r64m16, Code.Arpl_r32m16_r32,
]);
/** Operand order does not matter: `xchg rax, rbx` may use XCHG r64, RAX; `test eax, [x]` is TEST r/m32, r32. */
const COMMUTATIVE = new Set(["xchg", "test"]);
/** LGDT/LIDT/SGDT/SIDT: `fword` asks for the full 32-bit base (o32) in 16-bit code, as in GAS. */
const DESCRIPTOR_TABLE = new Set(["lgdt", "lidt", "sgdt", "sidt"]);
/** Mnemonics with both near and far memory forms: the far one needs `far` or its exact size. */
const NEAR_OR_FAR = new Set(["jmp", "call"]);

type Resolved =
  | { k: "reg"; reg: RegInfo; col: number; size?: number }
  | { k: "mem"; m: MemOperand; disp: Value | undefined; scale: number; col: number }
  | { k: "imm"; o: ImmOperand; v: Value; col: number }
  | { k: "farptr"; seg: Value; off: Value; col: number; size?: number };

/** Why a form does not take the operands, worst last. */
type Status = "ok" | "range" | "size" | "class";
const STATUS_ORDER: Status[] = ["ok", "range", "size", "class"];

type Setter = (ins: Instruction, ip: bigint, len: number) => void;

interface Match {
  form: Form;
  status: Status;
  /** Lower is better: 0 all operands written, 1-3 an FPU st0/st1 left implicit. */
  rank: number;
  setters: Setter[];
  /** Operand the status is about (for the error column). */
  col: number;
  detail?: string;
  /** A RIP-relative displacement written as a number: the target depends on the instruction length. */
  needsLength: boolean;
}

const encoders = new Map<number, Encoder>();
function encoderFor(bits: number): Encoder {
  let e = encoders.get(bits);
  if (!e) encoders.set(bits, (e = new Encoder(bits)));
  return e;
}

export function encodeInsn(s: InsnStmt, env: EncodeEnv): Uint8Array {
  let forms = formsFor(s.mnemonic)!.filter((f) => f.modes[env.bits]);
  if (!forms.length) throw new AsmError(`'${s.mnemonic}' is not available in ${env.bits}-bit code`, s.line, s.col);
  for (const p of s.prefixes) {
    const size = SIZE_PREFIX[p.name];
    if (!size) continue;
    const [what, bits] = size;
    forms =
      what === "o"
        ? formsWithOperandSize(s.mnemonic, bits).filter((f) => f.modes[env.bits])
        : forms.filter((f) => f.addressSize === bits || (f.addressSize === 0 && usesImplicitMemory(f)));
    if (!forms.length) throw new AsmError(`'${p.name}' does not apply to '${s.mnemonic}' in ${env.bits}-bit code`, s.line, p.col);
  }
  const sizePrefixes = s.prefixes.map((p) => SIZE_PREFIX[p.name]);
  const addrBits = sizePrefixes.find((x) => x?.[0] === "a")?.[1] ?? env.bits;
  const opSize = sizePrefixes.find((x) => x?.[0] === "o")?.[1];
  const ops = s.operands.map((o) => resolve(o, env, s.line));
  const orders = COMMUTATIVE.has(forms[0]!.mnemonic) && ops.length === 2 ? [ops, [ops[1]!, ops[0]!]] : [ops];
  const matches = orders.flatMap((o) => forms.map((f) => matchForm(f, o, s, env, addrBits, opSize))).filter((m): m is Match => m !== undefined);
  if (!matches.length) throw countError(s, forms);
  const ok = matches.filter((m) => m.status === "ok");
  if (!ok.length) {
    // Among the closest forms, blame the latest operand: in `mov rax, ebx` the destination sets the size.
    const best = matches.reduce((a, b) => {
      const d = STATUS_ORDER.indexOf(b.status) - STATUS_ORDER.indexOf(a.status);
      return d < 0 || (d === 0 && b.col > a.col) ? b : a;
    });
    throw statusError(best, s, forms);
  }
  const chosen = choose(ok, ops, s, env);
  checkPrefixes(s, chosen[0]!.form, ops);
  return encodeBest(chosen, s, env);
}

function resolve(o: Operand, env: EncodeEnv, line: number): Resolved {
  if (env.bits !== 64)
    for (const r of registersOf(o))
      if (needs64BitCode(r)) throw new AsmError(`register '${r.name}' is only available in 64-bit code`, line, o.col);
  const ev = (e: Parameters<typeof evaluate>[0]): Value => evaluate(e, env.ctx, line);
  switch (o.k) {
    case "reg":
      return { k: "reg", reg: o.reg, col: o.col, size: o.size };
    case "imm":
      return { k: "imm", o, v: ev(o.expr), col: o.col };
    case "farptr":
      if (env.bits === 64) throw new AsmError("a far jump or call to an immediate selector:offset is not available in 64-bit code; use 'jmp far [mem]'", line, o.col);
      return { k: "farptr", seg: ev(o.seg), off: ev(o.off), col: o.col, size: o.size };
    case "mem": {
      let scale = 1;
      if (o.scale) {
        const v = ev(o.scale).v;
        if (![1n, 2n, 4n, 8n].includes(v)) throw new AsmError(`index scale must be 1, 2, 4 or 8, not ${v}`, line, o.scale.col);
        scale = Number(v);
      }
      return { k: "mem", m: o, disp: o.disp ? ev(o.disp) : undefined, scale, col: o.col };
    }
  }
}

function registersOf(o: Operand): RegInfo[] {
  if (o.k === "reg") return [o.reg];
  if (o.k === "mem") return [o.base, o.index].filter((r): r is RegInfo => r !== undefined);
  return [];
}

/** RAX…R15, their low parts SPL…R15B, XMM8-15, CR8 and the like exist only with REX (SDM Vol. 1 3.7.2.1). */
function needs64BitCode(r: RegInfo): boolean {
  return r.cls === "gpr64" || r.cls === "ip" || /^(r\d+[bwdl]?|spl|bpl|sil|dil|[xy]mm(8|9|1\d|2\d|3[01])|cr(8|9|1\d)|dr(8|9|1\d))$/.test(r.name);
}

const IMPLICIT_MEM = new Set([K.es_rDI, K.seg_rSI, K.seg_rDI, K.seg_rBX_al]);

function usesImplicitMemory(f: Form): boolean {
  return f.ops.some((k) => IMPLICIT_MEM.has(k));
}

const SIZE_PREFIX: Partial<Record<Prefix, ["o" | "a", number]>> = {
  o16: ["o", 16],
  o32: ["o", 32],
  o64: ["o", 64],
  a16: ["a", 16],
  a32: ["a", 32],
  a64: ["a", 64],
};
const FIXED_REG: Partial<Record<K, Register>> = {
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

/** Lines up the written operands with a form's operand kinds, leaving out implicit ones. */
function matchForm(f: Form, written: Resolved[], s: InsnStmt, env: EncodeEnv, addrBits: number, opSize: number | undefined): Match | undefined {
  const isString = f.ops.some((k) => k === K.es_rDI || k === K.seg_rSI);
  // GAS may spell out a string instruction's operands: `movsb byte ptr [rdi], byte ptr [rsi]`.
  // GAS may also write just the memory operands (`stosb byte ptr [rdi]`), leaving AL/AX/DX implicit.
  const memCount = f.ops.filter((k) => IMPLICIT_MEM.has(k)).length;
  const spelled = usesImplicitMemory(f) && written.length > 0 && (written.length === f.ops.length || (written.length === memCount && written.every((o) => o.k === "mem")));
  const allSpelled = spelled && written.length === f.ops.length;
  const implicit = f.ops.map((k) => (spelled ? !allSpelled && !IMPLICIT_MEM.has(k) : IMPLICIT_MEM.has(k) || (isString && FIXED_REG[k] !== undefined)));
  const explicit = f.ops.filter((_, i) => !implicit[i]);
  const ops = impliedOperands(f, explicit, written);
  if (!ops) return undefined;
  // 90 is NOP in 64-bit code and leaves RAX[63:32] alone; XCHG EAX, EAX must clear them (SDM Vol. 2B XCHG).
  if (f.code === Code.Xchg_r32_EAX && env.bits === 64 && isReg(ops[0], Register.EAX)) return undefined;
  let omitted = -1;
  let rank = 0;
  let st1 = false;
  if (ops.length !== explicit.length) {
    const st0 = explicit.indexOf(K.st0);
    const sti = explicit.indexOf(K.sti_opcode);
    if (st0 < 0 || sti < 0) return undefined;
    if (ops.length === explicit.length - 1) {
      omitted = st0;
      rank = st0 === 0 ? 1 : 2;
    } else if (ops.length === 0 && explicit.length === 2) {
      omitted = st0;
      st1 = true;
      rank = 3;
    } else return undefined;
  }
  // `fadd to st1` (NASM): the written register is the destination and st0 the source.
  if (s.to) {
    if (written.length !== 1) return { form: f, status: "class", rank, setters: [], col: s.col, needsLength: false, detail: "'to' needs one st register after it" };
    if (omitted < 0 || explicit[0] !== K.sti_opcode) return { form: f, status: "class", rank, setters: [], col: s.col, needsLength: false };
    rank = 0;
  }
  const m: Match = { form: f, status: "ok", rank, setters: [], col: s.col, needsLength: false };
  let ui = 0;
  let explicitIndex = 0;
  let immSeen = false;
  for (let i = 0; i < f.ops.length; i++) {
    const kind = f.ops[i]!;
    if (implicit[i]) {
      m.setters.push(implicitSetter(i, kind, addrBits));
      continue;
    }
    const ei = explicitIndex++;
    if (ei === omitted) {
      const reg = st1 && kind === K.sti_opcode ? Register.ST1 : Register.ST0;
      m.setters.push((ins) => {
        ins.setOpKind(i, OpKind.Register);
        ins.setOpRegister(i, reg);
      });
      continue;
    }
    if (st1 && kind === K.sti_opcode) {
      m.setters.push((ins) => {
        ins.setOpKind(i, OpKind.Register);
        ins.setOpRegister(i, Register.ST1);
      });
      continue;
    }
    const op = ops[ui++]!;
    const r = matchOperand(kind, i, op, f, env, immSeen, s.line, opSize);
    if (r.needsLength) m.needsLength = true;
    if (isImmKind(kind)) immSeen = true;
    if (STATUS_ORDER.indexOf(r.status) > STATUS_ORDER.indexOf(m.status)) {
      m.status = r.status;
      m.col = op.col;
      m.detail = r.detail;
    }
    if (r.setter) m.setters.push(r.setter);
  }
  return m;
}

const isReg = (o: Resolved | undefined, reg: Register): boolean => o?.k === "reg" && o.reg.reg === reg;

/**
 * Operands NASM lets one write or leave out beyond the form's own kinds: the
 * two-operand IMUL (`imul ecx, 5` is `imul ecx, ecx, 5`), the implicit XMM0 of
 * BLENDV/SHA256RNDS2, LOOP's counter register (`loop x, ecx` picks ECX) and
 * rAX of VMRUN/INVLPGA/MONITOR-like instructions (`vmrun rax`). Returns the
 * operands lined up with the form's explicit kinds, or undefined if they cannot be.
 */
function impliedOperands(f: Form, explicit: K[], ops: Resolved[]): Resolved[] | undefined {
  if (ops.length === explicit.length) return ops;
  if (f.mnemonic === "imul" && explicit.length === 3 && ops.length === 2 && ops[1]!.k === "imm") return [ops[0]!, ops[0]!, ops[1]!];
  if (IMPLICIT_XMM0.has(f.mnemonic) && ops.length === explicit.length + 1 && isReg(ops[ops.length - 1], Register.XMM0)) return ops.slice(0, -1);
  const last = ops[ops.length - 1];
  if (f.addressSize !== 0 && last?.k === "reg" && ops.length === explicit.length + 1) {
    const bits = GPR_BITS[last.reg.cls];
    if (explicit.length === 1 && RegisterExt.fullRegister(last.reg.reg) === Register.RCX && bits === f.addressSize) return ops.slice(0, -1);
  }
  const spelledRegs = IMPLICIT_REGISTERS[f.mnemonic];
  if (explicit.length === 0 && spelledRegs && ops.length === spelledRegs.length) {
    const fits = ops.every((o, i) => {
      if (o.k !== "reg" || RegisterExt.fullRegister(o.reg.reg) !== spelledRegs[i]) return false;
      // rAX is the address: its size is the address size; the others are 32-bit.
      return i === 0 && spelledRegs[0] === Register.RAX ? f.addressSize === 0 || GPR_BITS[o.reg.cls] === f.addressSize : GPR_BITS[o.reg.cls] === 32;
    });
    if (fits) return [];
  }
  return ops.length === explicit.length - 1 || ops.length === 0 ? ops : undefined;
}

/** Instructions whose registers are implicit but may be written out (`vmrun rax`, `monitor rax, ecx, edx`, `pvalidate rax`; AMD APM Vol. 3); GAS takes them too. */
const IMPLICIT_REGISTERS: Record<string, Register[]> = {
  vmrun: [Register.RAX],
  vmload: [Register.RAX],
  vmsave: [Register.RAX],
  skinit: [Register.RAX],
  clzero: [Register.RAX],
  pvalidate: [Register.RAX],
  invlpga: [Register.RAX, Register.RCX],
  monitor: [Register.RAX, Register.RCX, Register.RDX],
  monitorx: [Register.RAX, Register.RCX, Register.RDX],
  mwait: [Register.RAX, Register.RCX],
};

/** Instructions that read XMM0 without naming it in the encoding (SDM Vol. 2: BLENDVPS, PBLENDVB, SHA256RNDS2). */
const IMPLICIT_XMM0 = new Set(["blendvps", "blendvpd", "pblendvb", "sha256rnds2"]);

function implicitSetter(i: number, kind: K, bits: number): Setter {
  const fixed = FIXED_REG[kind];
  if (fixed !== undefined)
    return (ins) => {
      ins.setOpKind(i, OpKind.Register);
      ins.setOpRegister(i, fixed);
    };
  const by = (k16: OpKind, k32: OpKind, k64: OpKind): OpKind => (bits === 16 ? k16 : bits === 32 ? k32 : k64);
  switch (kind) {
    case K.es_rDI:
      return (ins) => ins.setOpKind(i, by(OpKind.MemoryESDI, OpKind.MemoryESEDI, OpKind.MemoryESRDI));
    case K.seg_rSI:
      return (ins) => ins.setOpKind(i, by(OpKind.MemorySegSI, OpKind.MemorySegESI, OpKind.MemorySegRSI));
    case K.seg_rDI:
      return (ins) => ins.setOpKind(i, by(OpKind.MemorySegDI, OpKind.MemorySegEDI, OpKind.MemorySegRDI));
    default:
      // XLAT: [rBX + AL]
      return (ins) => {
        ins.setOpKind(i, OpKind.Memory);
        ins.memoryBase = bits === 16 ? Register.BX : bits === 32 ? Register.EBX : Register.RBX;
        ins.memoryIndex = Register.AL;
        ins.memoryIndexScale = 1;
      };
  }
}

/** Register class each register operand kind takes, and whether memory is also accepted. */
const REG_KINDS: Partial<Record<K, [RegClass, boolean]>> = {
  [K.r8_reg]: ["gpr8", false],
  [K.r8_opcode]: ["gpr8", false],
  [K.r8_or_mem]: ["gpr8", true],
  [K.r16_reg]: ["gpr16", false],
  [K.r16_reg_mem]: ["gpr16", false],
  [K.r16_rm]: ["gpr16", false],
  [K.r16_opcode]: ["gpr16", false],
  [K.r16_or_mem]: ["gpr16", true],
  [K.r32_reg]: ["gpr32", false],
  [K.r32_reg_mem]: ["gpr32", false],
  [K.r32_rm]: ["gpr32", false],
  [K.r32_opcode]: ["gpr32", false],
  [K.r32_vvvv]: ["gpr32", false],
  [K.r32_or_mem]: ["gpr32", true],
  [K.r32_or_mem_mpx]: ["gpr32", true],
  [K.r64_reg]: ["gpr64", false],
  [K.r64_reg_mem]: ["gpr64", false],
  [K.r64_rm]: ["gpr64", false],
  [K.r64_opcode]: ["gpr64", false],
  [K.r64_vvvv]: ["gpr64", false],
  [K.r64_or_mem]: ["gpr64", true],
  [K.r64_or_mem_mpx]: ["gpr64", true],
  [K.seg_reg]: ["seg", false],
  [K.cr_reg]: ["cr", false],
  [K.dr_reg]: ["dr", false],
  [K.tr_reg]: ["tr", false],
  [K.bnd_reg]: ["bnd", false],
  [K.bnd_or_mem_mpx]: ["bnd", true],
  [K.k_reg]: ["k", false],
  [K.kp1_reg]: ["k", false],
  [K.k_rm]: ["k", false],
  [K.k_vvvv]: ["k", false],
  [K.k_or_mem]: ["k", true],
  [K.mm_reg]: ["mm", false],
  [K.mm_rm]: ["mm", false],
  [K.mm_or_mem]: ["mm", true],
  [K.xmm_reg]: ["xmm", false],
  [K.xmm_rm]: ["xmm", false],
  [K.xmm_vvvv]: ["xmm", false],
  [K.xmmp3_vvvv]: ["xmm", false],
  [K.xmm_is4]: ["xmm", false],
  [K.xmm_is5]: ["xmm", false],
  [K.xmm_or_mem]: ["xmm", true],
  [K.ymm_reg]: ["ymm", false],
  [K.ymm_rm]: ["ymm", false],
  [K.ymm_vvvv]: ["ymm", false],
  [K.ymm_is4]: ["ymm", false],
  [K.ymm_is5]: ["ymm", false],
  [K.ymm_or_mem]: ["ymm", true],
  [K.zmm_reg]: ["zmm", false],
  [K.zmm_rm]: ["zmm", false],
  [K.zmm_vvvv]: ["zmm", false],
  [K.zmmp3_vvvv]: ["zmm", false],
  [K.zmm_or_mem]: ["zmm", true],
  [K.tmm_reg]: ["tmm", false],
  [K.tmm_rm]: ["tmm", false],
  [K.tmm_vvvv]: ["tmm", false],
  [K.sti_opcode]: ["st", false],
};

const MEM_ONLY = new Set([K.mem, K.mem_mpx, K.mem_mib, K.sibmem]);
/** Register classes of one family: a register of another size is a size mismatch, not a wrong kind. */
const SIZE_FAMILY: Partial<Record<RegClass, string>> = { gpr8: "gpr", gpr16: "gpr", gpr32: "gpr", gpr64: "gpr", xmm: "vec", ymm: "vec", zmm: "vec" };

interface OpMatch {
  status: Status;
  setter?: Setter;
  detail?: string;
  needsLength?: boolean;
}

function regStatus(want: RegClass, got: RegClass): Status {
  if (want === got) return "ok";
  return SIZE_FAMILY[want] !== undefined && SIZE_FAMILY[want] === SIZE_FAMILY[got] ? "size" : "class";
}

function matchOperand(kind: K, i: number, op: Resolved, f: Form, env: EncodeEnv, immSeen: boolean, line: number, opSize: number | undefined): OpMatch {
  const fixed = FIXED_REG[kind];
  if (fixed !== undefined) {
    if (op.k !== "reg") return { status: "class" };
    if (op.reg.reg === fixed) return { status: "ok", setter: regSetter(i, fixed) };
    return { status: op.reg.cls === fixedClass(kind) ? "class" : regStatus(fixedClass(kind), op.reg.cls) };
  }
  const rk = REG_KINDS[kind];
  if (rk) {
    if (op.k === "reg") {
      if (WIDENS_16_BIT_REGISTERS.has(f.code) && op.reg.cls === "gpr16" && (rk[0] === "gpr32" || rk[0] === "gpr64"))
        return { status: "ok", setter: regSetter(i, rk[0] === "gpr32" ? RegisterExt.fullRegister32(op.reg.reg) : RegisterExt.fullRegister(op.reg.reg)) };
      const st = regStatus(rk[0], op.reg.cls);
      if (st !== "ok") return { status: st };
      if (op.size !== undefined && GPR_BITS[op.reg.cls] !== undefined && op.size * 8 !== GPR_BITS[op.reg.cls]) return { status: "size" };
      return { status: "ok", setter: regSetter(i, op.reg.reg) };
    }
    if (op.k === "mem" && rk[1]) return matchMemory(i, op, f, env, false, line);
    return { status: "class" };
  }
  if (IMPLICIT_MEM.has(kind)) return op.k === "mem" ? matchStringMemory(kind, i, op, f) : { status: "class" };
  if (MEM_ONLY.has(kind)) return op.k === "mem" ? matchMemory(i, op, f, env, false, line) : { status: "class" };
  if (kind === K.mem_offs) return op.k === "mem" ? matchMemory(i, op, f, env, true, line) : { status: "class" };
  if (isImmKind(kind)) return op.k === "imm" ? matchImmediate(kind, i, op, f, immSeen) : { status: "class" };
  if (BRANCH_KINDS[kind]) return op.k === "imm" ? matchBranch(kind, i, op, env, opSize) : { status: "class" };
  if (kind === K.farbr2_2 || kind === K.farbr4_2) return op.k === "farptr" ? matchFarPtr(kind, i, op, f) : { status: "class" };
  return { status: "class" };
}

function fixedClass(kind: K): RegClass {
  if (kind === K.al || kind === K.cl) return "gpr8";
  if (kind === K.ax || kind === K.dx) return "gpr16";
  if (kind === K.eax) return "gpr32";
  if (kind === K.rax) return "gpr64";
  if (kind === K.st0) return "st";
  return "seg";
}

function regSetter(i: number, reg: Register): Setter {
  return (ins) => {
    ins.setOpKind(i, OpKind.Register);
    ins.setOpRegister(i, reg);
  };
}

const ADDR_BITS: Partial<Record<RegClass, number>> = { gpr16: 16, gpr32: 32, gpr64: 64, ip: 64 };

function fitsSigned(v: bigint, bits: number): boolean {
  const lim = 1n << BigInt(bits - 1);
  return v >= -lim && v < lim;
}

function matchMemory(i: number, op: Extract<Resolved, { k: "mem" }>, f: Form, env: EncodeEnv, moffs: boolean, line: number): OpMatch {
  const m = op.m;
  // Size: NASM keywords name the operand size; with `far` they may name the offset size (`dword far`).
  if (m.far && !f.farMem) return { status: "class" };
  if (m.size !== undefined && f.memSize !== 0) {
    // `dword far [x]` (NASM) names the offset size of m16:32; `fword ptr [x]` (GAS) the whole pointer.
    const okSize = m.far ? m.size === f.memSize - 2 : m.size === f.memSize;
    if (!okSize) return { status: f.farMem && !m.far && !NEAR_OR_FAR.has(f.mnemonic) ? "size" : f.farMem !== m.far ? "class" : "size" };
  }
  if (f.farMem && !m.far && m.size === undefined && NEAR_OR_FAR.has(f.mnemonic)) return { status: "class" };
  const absolute = !m.base && !m.index;
  let rip = m.rip;
  if (rip === "none" && absolute && env.defaultRel && env.bits === 64 && m.addrSize === undefined && m.seg !== Register.FS && m.seg !== Register.GS)
    rip = "rel";
  if (moffs && (!absolute || rip !== "none")) return { status: "class" };
  if (!moffs && m.addrSize !== undefined && absolute) return { status: "class" };
  const disp = op.disp?.v ?? 0n;
  if (rip !== "none") {
    if (env.bits !== 64) throw new AsmError("rip-relative addressing needs 64-bit code", line, op.col);
    const target = rip === "rel" || op.disp?.sym;
    return {
      status: "ok",
      needsLength: !target,
      setter: (ins, ip, len) => {
        ins.setOpKind(i, OpKind.Memory);
        ins.memoryBase = Register.RIP;
        ins.memoryDisplSize = 8;
        ins.memoryDisplacement = BigInt.asUintN(64, target ? disp : ip + BigInt(len) + disp);
        ins.segmentPrefix = m.seg;
      },
    };
  }
  const regBits = [m.base, m.index].filter((r): r is RegInfo => !!r).map((r) => ADDR_BITS[r.cls]);
  if (regBits.some((b) => b === undefined)) throw new AsmError("only general-purpose registers can address memory here", line, op.col);
  if (new Set(regBits).size > 1) throw new AsmError("base and index registers must have the same size", line, op.col);
  const addrBits = regBits[0] ?? (m.addrSize ? m.addrSize * 8 : env.bits);
  if (addrBits === 64 && env.bits !== 64) throw new AsmError("64-bit registers cannot address memory outside 64-bit code", line, op.col);
  if (addrBits === 16 && env.bits === 64) throw new AsmError("16-bit addressing is not available in 64-bit code", line, op.col);
  // A 64-bit address is a sign-extended 32-bit displacement except in MOV's moffs form.
  const fits = addrBits === 64 && !moffs ? fitsSigned(disp, 32) || fitsSigned(disp - (1n << 64n), 32) : disp >= -(1n << BigInt(addrBits - 1)) && disp < 1n << BigInt(addrBits);
  if (!fits) return { status: "range", detail: `displacement 0x${BigInt.asUintN(64, disp).toString(16)} does not fit in ${addrBits === 64 && !moffs ? 32 : addrBits} bits` };
  const full = addrBits / 8;
  const displSize = absolute ? full : op.disp === undefined ? 0 : op.disp.sym ? full : 1;
  return {
    status: "ok",
    setter: (ins) => {
      ins.setOpKind(i, OpKind.Memory);
      ins.memoryBase = m.base?.reg ?? Register.None;
      ins.memoryIndex = m.index?.reg ?? Register.None;
      ins.memoryIndexScale = op.scale;
      ins.memoryDisplSize = displSize;
      ins.memoryDisplacement = BigInt.asUintN(addrBits === 64 ? 64 : addrBits, disp);
      ins.segmentPrefix = m.seg;
    },
  };
}

/** Base register family each implicit memory operand must be written with. */
const STRING_BASE: Partial<Record<K, [Register, OpKind[]]>> = {
  [K.es_rDI]: [Register.RDI, [OpKind.MemoryESDI, OpKind.MemoryESEDI, OpKind.MemoryESRDI]],
  [K.seg_rSI]: [Register.RSI, [OpKind.MemorySegSI, OpKind.MemorySegESI, OpKind.MemorySegRSI]],
  [K.seg_rDI]: [Register.RDI, [OpKind.MemorySegDI, OpKind.MemorySegEDI, OpKind.MemorySegRDI]],
  [K.seg_rBX_al]: [Register.RBX, []],
};

/** A written-out implicit memory operand: `byte ptr [rsi]`, `fs:[esi]`, `byte ptr es:[rdi]`. */
function matchStringMemory(kind: K, i: number, op: Extract<Resolved, { k: "mem" }>, f: Form): OpMatch {
  const m = op.m;
  const [family, kinds] = STRING_BASE[kind]!;
  if (!m.base || m.index || m.disp || m.rip !== "none" || RegisterExt.fullRegister(m.base.reg) !== family) return { status: "class" };
  const bits = GPR_BITS[m.base.cls];
  if (bits === undefined) return { status: "class" };
  if (kind === K.es_rDI && m.seg !== Register.None && m.seg !== Register.ES) return { status: "class", detail: "the destination of a string instruction is always es:" };
  if (m.size !== undefined && f.memSize !== 0 && m.size !== f.memSize) return { status: "size" };
  const base = m.base.reg;
  return {
    status: "ok",
    setter: (ins) => {
      if (kind === K.seg_rBX_al) {
        ins.setOpKind(i, OpKind.Memory);
        ins.memoryBase = base;
        ins.memoryIndex = Register.AL;
        ins.memoryIndexScale = 1;
      } else ins.setOpKind(i, kinds[bits === 16 ? 0 : bits === 32 ? 1 : 2]!);
      if (kind !== K.es_rDI) ins.segmentPrefix = m.seg;
    },
  };
}

interface ImmKind {
  op: OpKind;
  /** Accepted values: signed minimum and unsigned maximum, or sign-extension from `sext` bits to `bits`. */
  bits: number;
  sext?: number;
}

const IMM_KINDS: Partial<Record<K, ImmKind>> = {
  [K.imm8]: { op: OpKind.Immediate8, bits: 8 },
  [K.imm8_const_1]: { op: OpKind.Immediate8, bits: 8 },
  [K.imm8sex16]: { op: OpKind.Immediate8to16, bits: 16, sext: 8 },
  [K.imm8sex32]: { op: OpKind.Immediate8to32, bits: 32, sext: 8 },
  [K.imm8sex64]: { op: OpKind.Immediate8to64, bits: 64, sext: 8 },
  [K.imm16]: { op: OpKind.Immediate16, bits: 16 },
  [K.imm32]: { op: OpKind.Immediate32, bits: 32 },
  [K.imm32sex64]: { op: OpKind.Immediate32to64, bits: 64, sext: 32 },
  [K.imm64]: { op: OpKind.Immediate64, bits: 64 },
};

function isImmKind(kind: K): boolean {
  return IMM_KINDS[kind] !== undefined;
}

/** The value as it would be written in `bits` bits, if it fits (negative numbers as two's complement). */
function immFits(v: bigint, k: ImmKind): boolean {
  if (k.sext === undefined) return v >= -(1n << BigInt(k.bits - 1)) && v < 1n << BigInt(k.bits);
  const u = BigInt.asUintN(k.bits, v);
  if (v < -(1n << BigInt(k.bits - 1)) || v >= 1n << BigInt(k.bits)) return false;
  return fitsSigned(BigInt.asIntN(k.bits, u), k.sext);
}

function matchImmediate(kind: K, i: number, op: Extract<Resolved, { k: "imm" }>, f: Form, immSeen: boolean): OpMatch {
  if (op.o.jump) return { status: "class" };
  const k = IMM_KINDS[kind]!;
  const v = op.v.v;
  if (kind === K.imm8_const_1 && v !== 1n) return { status: "class" };
  if (op.o.size !== undefined) {
    // `push word 5`: the keyword names the operand size; `push byte 5` asks for the 8-bit immediate.
    if (op.o.size === 1 ? k.bits !== 8 && k.sext !== 8 : f.operandSize !== 0 ? f.operandSize !== op.o.size * 8 : k.bits !== op.o.size * 8) return { status: "size" };
  }
  if (!immFits(v, k)) return { status: "range", detail: `value ${fmt(v)} does not fit in ${k.sext ?? k.bits} bits` };
  const opKind = kind === K.imm8 && immSeen ? OpKind.Immediate8_2nd : k.op;
  return {
    status: "ok",
    setter: (ins) => {
      ins.setOpKind(i, opKind);
      ins.setImmediateU64(i, BigInt.asUintN(k.bits, v));
    },
  };
}

function fmt(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

/** Branch operand kinds: operand size and displacement bytes. */
const BRANCH_KINDS: Partial<Record<K, { bits: 16 | 32 | 64; short: boolean }>> = {
  [K.br16_1]: { bits: 16, short: true },
  [K.br32_1]: { bits: 32, short: true },
  [K.br64_1]: { bits: 64, short: true },
  [K.br16_2]: { bits: 16, short: false },
  [K.br32_4]: { bits: 32, short: false },
  [K.br64_4]: { bits: 64, short: false },
  [K.xbegin_2]: { bits: 16, short: false },
  [K.xbegin_4]: { bits: 32, short: false },
};

function matchBranch(kind: K, i: number, op: Extract<Resolved, { k: "imm" }>, env: EncodeEnv, opSize: number | undefined): OpMatch {
  const b = BRANCH_KINDS[kind]!;
  const isXbegin = kind === K.xbegin_2 || kind === K.xbegin_4;
  // Near branches take the mode's operand size (64 in 64-bit code; SDM Vol. 1 3.6.1) unless `o16`/`word` asks otherwise.
  const wanted = opSize ?? (op.o.size !== undefined ? op.o.size * 8 : undefined);
  if (wanted !== undefined ? b.bits !== wanted : !isXbegin && b.bits !== env.bits) return { status: wanted !== undefined ? "size" : "class" };
  if (op.o.jump === "far") return { status: "class" };
  if ((op.o.jump === "short" && !b.short) || (op.o.jump === "near" && b.short)) return { status: "class" };
  // iced takes XBEGIN's target as a 32-bit address outside 64-bit code, whatever its displacement size.
  const width = env.bits === 64 ? 64 : isXbegin ? 32 : b.bits;
  const target = BigInt.asUintN(width, op.v.v);
  const opKind = width === 16 ? OpKind.NearBranch16 : width === 32 ? OpKind.NearBranch32 : OpKind.NearBranch64;
  return {
    status: "ok",
    setter: (ins) => {
      ins.setOpKind(i, opKind);
      if (width === 64) ins.nearBranch64 = target;
      else if (width === 32) ins.nearBranch32 = Number(target);
      else ins.nearBranch16 = Number(target);
    },
  };
}

function matchFarPtr(kind: K, i: number, op: Extract<Resolved, { k: "farptr" }>, f: Form): OpMatch {
  const offBits = kind === K.farbr2_2 ? 16 : 32;
  if (op.size !== undefined && op.size * 8 !== offBits) return { status: "size" };
  if (op.seg.v < 0n || op.seg.v > 0xffffn) return { status: "range", detail: `segment selector ${fmt(op.seg.v)} does not fit in 16 bits` };
  if (op.off.v < 0n || op.off.v >= 1n << BigInt(offBits)) return { status: "range", detail: `offset ${fmt(op.off.v)} does not fit in ${offBits} bits` };
  void f;
  return {
    status: "ok",
    setter: (ins) => {
      ins.setOpKind(i, offBits === 16 ? OpKind.FarBranch16 : OpKind.FarBranch32);
      ins.farBranchSelector = Number(op.seg.v);
      if (offBits === 16) ins.farBranch16 = Number(op.off.v);
      else ins.farBranch32 = Number(op.off.v);
    },
  };
}

function defaultOperandSize(f: Form, bits: number): number {
  return bits === 64 ? (f.defaultOpSize64 ? 64 : 32) : bits;
}

/** Narrows the fitting forms the way NASM does; the encoder then picks the shortest. */
function choose(ok: Match[], ops: Resolved[], s: InsnStmt, env: EncodeEnv): Match[] {
  const minRank = Math.min(...ok.map((m) => m.rank));
  let c = ok.filter((m) => m.rank === minRank);
  const mem = ops.find((o): o is Extract<Resolved, { k: "mem" }> => o.k === "mem");
  const canonical = c[0]!.form.mnemonic;
  if (mem && mem.m.size === undefined && new Set(c.map((m) => m.form.memSize)).size > 1) {
    if (!DEFAULT_SIZE_MNEMONICS.has(canonical))
      throw new AsmError(`operand size not specified: write ${sizeChoices(c)} before the memory operand`, s.line, mem.col);
  }
  if (!ops.length && new Set(c.map((m) => m.form.memSize)).size > 1)
    throw new AsmError(`operand size not specified: write the operands or a sized mnemonic (${[...new Set(c.map((m) => m.form.mnemonic))].join(", ")})`, s.line, s.col);
  const prefer = (keep: (m: Match) => boolean): void => {
    const kept = c.filter(keep);
    if (kept.length) c = kept;
  };
  if (mem?.m.size === 6 && DESCRIPTOR_TABLE.has(canonical)) prefer((m) => m.form.operandSize !== 16);
  // Without `far`, a size that fits both a near and a far pointer (`call dword [bx]` in 16-bit code) means near.
  prefer((m) => !m.form.farMem || mem?.m.far === true);
  prefer((m) => m.form.operandSize === 0 || m.form.operandSize === defaultOperandSize(m.form, env.bits));
  prefer((m) => m.form.addressSize === 0 || m.form.addressSize === env.bits);
  return c;
}

function sizeChoices(c: Match[]): string {
  const names = [...new Set(c.map((m) => m.form.memSize))].sort((a, b) => a - b).map((n) => SIZE_NAMES[n] ?? `${n}-byte`);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : names[0]!;
}

function checkPrefixes(s: InsnStmt, f: Form, ops: Resolved[]): void {
  for (const p of s.prefixes) {
    if (SIZE_PREFIX[p.name]) continue;
    const allowed =
      p.name === "lock"
        ? f.canLock && ops.some((o) => o.k === "mem")
        : p.name === "repne"
          ? f.canRepne
          : f.canRep || (p.name === "repe" && f.canRepne) || (p.name === "rep" && f.mandatoryF3);
    if (!allowed) throw new AsmError(`'${p.name}' cannot be used with '${s.mnemonic}'${p.name === "lock" && f.canLock ? " without a memory destination" : ""}`, s.line, p.col);
  }
}

function build(m: Match, s: InsnStmt, ip: bigint, len: number): Instruction {
  const ins = new Instruction();
  ins.code = m.form.code;
  for (const set of m.setters) set(ins, ip, len);
  for (const p of s.prefixes) {
    if (p.name === "lock") ins.hasLockPrefix = true;
    else if (p.name === "repne") ins.hasRepnePrefix = true;
    else if ((p.name === "rep" && !m.form.mandatoryF3) || p.name === "repe") ins.hasRepePrefix = true;
  }
  return ins;
}

function tryEncode(m: Match, s: InsnStmt, env: EncodeEnv): Uint8Array | string {
  const enc = encoderFor(env.bits);
  let len = 0;
  // RIP-relative displacements written as numbers depend on the instruction's own length: encode twice.
  for (let round = 0; round < 2; round++) {
    const ins = build(m, s, env.ip, len);
    try {
      const n = enc.encode(ins, env.ip);
      const bytes = enc.takeBuffer();
      if (round === 1 || !m.needsLength) return bytes;
      len = n;
    } catch (e) {
      enc.takeBuffer();
      return e instanceof Error ? e.message : String(e);
    } finally {
      ins.free();
    }
  }
  return "internal: encoding did not settle";
}

/** Sign-extended 8-bit immediates: GAS takes these over a full-size immediate of the same length. */
const IMM8_SEX = new Set([K.imm8sex16, K.imm8sex32, K.imm8sex64]);

/**
 * Shortest encoding first (never shorter than an earlier pass chose), then a
 * sign-extended imm8 (`add ax, -1` is 66 83 C0 FF, not 66 05 FF FF), then iced's order.
 */
function encodeBest(c: Match[], s: InsnStmt, env: EncodeEnv): Uint8Array {
  const encoded: { bytes: Uint8Array; imm8: boolean }[] = [];
  let firstError: string | undefined;
  for (const m of c) {
    const r = tryEncode(m, s, env);
    if (typeof r === "string") firstError ??= r;
    else encoded.push({ bytes: r, imm8: m.form.ops.some((k) => IMM8_SEX.has(k)) });
  }
  if (!encoded.length) throw new AsmError(encoderMessage(firstError!), s.line, s.col);
  const grown = encoded.filter((e) => e.bytes.length >= env.minLength);
  const pool = grown.length ? grown : encoded;
  pool.sort((a, b) => a.bytes.length - b.bytes.length || Number(b.imm8) - Number(a.imm8));
  return pool[0]!.bytes;
}

/** iced's messages end with the instruction in iced's own syntax; users get the reason. */
function encoderMessage(msg: string): string {
  const reason = msg.replace(/\s*\([^()]*\)\s*$/, "");
  if (/AH, CH, DH, BH can't be used if there's a REX prefix/.test(reason))
    return "ah, bh, ch and dh cannot be used together with spl, bpl, sil, dil, r8b-r15b or 64-bit operands (REX prefix)";
  if (/Branch distance is too far away/.test(reason)) {
    const m = /diff = (-?\d+)/.exec(reason);
    return `jump target out of range${m ? ` (${m[1]} bytes away)` : ""}`;
  }
  return reason;
}

function countError(s: InsnStmt, forms: Form[]): AsmError {
  const counts = [...new Set(forms.map((f) => explicitCount(f)))].sort((a, b) => a - b);
  const n = s.operands.length;
  const want = counts.length === 1 ? plural(counts[0]!) : `${counts.slice(0, -1).join(", ")} or ${plural(counts[counts.length - 1]!)}`;
  return new AsmError(`'${s.mnemonic}' takes ${want}, not ${n}`, s.line, s.col);
}

function explicitCount(f: Form): number {
  return explicitKinds(f).length;
}

function plural(n: number): string {
  return n === 0 ? "no operands" : n === 1 ? "1 operand" : `${n} operands`;
}

function statusError(m: Match, s: InsnStmt, forms: Form[]): AsmError {
  switch (m.status) {
    case "range":
      return new AsmError(m.detail ?? "value out of range", s.line, m.col);
    case "size":
      return new AsmError("operand size mismatch", s.line, m.col);
    default:
      return new AsmError(m.detail ?? `invalid combination of operands for '${s.mnemonic}'${acceptedForms(forms)}`, s.line, s.col);
  }
}

/** Operand kinds as the SDM's instruction summary tables write them. */
function kindName(k: K, f: Form): string {
  const n = K[k] ?? "?";
  const reg = /^(r8|r16|r32|r64|mm|xmm|ymm|zmm|k|bnd|tmm)_/.exec(n);
  const m = f.memSize ? `m${f.memSize * 8}` : "m";
  if (n.endsWith("_or_mem") || n.endsWith("_or_mem_mpx")) return `${reg ? reg[1] : n}/${m}`;
  if (reg) return reg[1]!;
  if (n.startsWith("imm")) return n.replace(/sex\d+/, "").replace("_const_1", "=1");
  if (n.startsWith("br") || n.startsWith("xbegin")) return "rel";
  if (n.startsWith("farbr")) return "ptr16:16/32";
  if (n.startsWith("mem")) return m;
  const fixed: Record<string, string> = { seg_reg: "sreg", cr_reg: "cr", dr_reg: "dr", tr_reg: "tr", sti_opcode: "st(i)" };
  return fixed[n] ?? n;
}

/** ": it takes m" or ": it takes r/m, imm | rel" when there are few forms. */
function acceptedForms(forms: Form[]): string {
  const sigs = [...new Set(forms.map((f) => explicitKinds(f).map((k) => kindName(k, f)).join(", ")).filter((x) => x))];
  if (!sigs.length || sigs.length > 6) return "";
  return `: it takes ${sigs.join(" | ")}`;
}

function explicitKinds(f: Form): K[] {
  const isString = f.ops.some((k) => k === K.es_rDI || k === K.seg_rSI);
  return f.ops.filter((k) => !IMPLICIT_MEM.has(k) && !(isString && FIXED_REG[k] !== undefined));
}
