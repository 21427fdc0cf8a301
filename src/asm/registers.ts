/** Register names as written in source, mapped to iced-x86 registers and their classes. */
import { Register, RegisterExt } from "iced-x86";

export type RegClass = "gpr8" | "gpr16" | "gpr32" | "gpr64" | "seg" | "cr" | "dr" | "tr" | "st" | "mm" | "xmm" | "ymm" | "zmm" | "k" | "bnd" | "tmm" | "ip";

export interface RegInfo {
  reg: Register;
  cls: RegClass;
  /** Lower-case name as written in messages. */
  name: string;
}

function classOf(r: Register): RegClass | undefined {
  if (RegisterExt.isGPR8(r)) return "gpr8";
  if (RegisterExt.isGPR16(r)) return "gpr16";
  if (RegisterExt.isGPR32(r)) return "gpr32";
  if (RegisterExt.isGPR64(r)) return "gpr64";
  if (RegisterExt.isSegmentRegister(r)) return "seg";
  if (RegisterExt.isCR(r)) return "cr";
  if (RegisterExt.isDR(r)) return "dr";
  if (RegisterExt.isTR(r)) return "tr";
  if (RegisterExt.isST(r)) return "st";
  if (RegisterExt.isMM(r)) return "mm";
  if (RegisterExt.isXMM(r)) return "xmm";
  if (RegisterExt.isYMM(r)) return "ymm";
  if (RegisterExt.isZMM(r)) return "zmm";
  if (RegisterExt.isK(r)) return "k";
  if (RegisterExt.isBND(r)) return "bnd";
  if (RegisterExt.isTMM(r)) return "tmm";
  if (RegisterExt.isIP(r)) return "ip";
  return undefined;
}

let table: Map<string, RegInfo> | undefined;

/** All register names: iced's names plus NASM/GAS spellings (r8b, st(1) is handled by the parser, st). */
export function registerTable(): Map<string, RegInfo> {
  if (table) return table;
  table = new Map();
  for (const [key, value] of Object.entries(Register)) {
    if (typeof value !== "number" || key.startsWith("DontUse") || value === Register.None) continue;
    const cls = classOf(value);
    if (!cls) continue;
    const name = key.toLowerCase().replace(/^(r\d+)l$/, "$1b");
    table.set(name, { reg: value, cls, name });
    if (/^r\d+l$/.test(key.toLowerCase())) table.set(key.toLowerCase(), { reg: value, cls, name });
  }
  table.set("st", { reg: Register.ST0, cls: "st", name: "st0" });
  return table;
}

export function lookupRegister(name: string): RegInfo | undefined {
  return registerTable().get(name.toLowerCase());
}

/** Operand size in bits a general-purpose register implies. */
export const GPR_BITS: Partial<Record<RegClass, number>> = { gpr8: 8, gpr16: 16, gpr32: 32, gpr64: 64 };
