/**
 * Exit-qualification and instruction-information encodings the intercepts
 * produce (SDM Vol. 3C 28.2.1 Tables 28-3, 28-4, 28-5; 28.2.5 Tables 28-8 ..
 * 28-14). The decoders for handlers live in src/exits/qualification/; these
 * are the encoders, kept minimal and next to the code that fills the fields.
 */
import type { Insn, MemOperand } from "../../guest-cpu/insn";
import { RIP_BASE } from "../../guest-cpu/insn";

/** Table 28-3: bits 3:0 CR number, 5:4 access type, 6 LMSW operand type, 11:8 GPR, 31:16 LMSW source data. */
export function crAccessQual(cr: number, access: number, gpr: number, lmswMem = false, lmswData = 0): number {
  return ((cr & 0xf) | ((access & 3) << 4) | (lmswMem ? 0x40 : 0) | ((gpr < 0 ? 0 : gpr & 0xf) << 8)) + (lmswData & 0xffff) * 0x1_0000;
}

/** Table 28-4: bits 2:0 DR number, 4 direction (1 = MOV from DR), 11:8 GPR. */
export function drAccessQual(dr: number, fromDr: boolean, gpr: number): number {
  return (dr & 7) | (fromDr ? 0x10 : 0) | ((gpr & 0xf) << 8);
}

/** Table 28-5: bits 2:0 size − 1, 3 direction (1 = IN), 4 string, 5 REP, 6 immediate port operand, 31:16 port. */
export function ioQual(port: number, size: number, isIn: boolean, isString: boolean, isRep: boolean, immediate: boolean): number {
  return (((size - 1) & 7) | (isIn ? 8 : 0) | (isString ? 0x10 : 0) | (isRep ? 0x20 : 0) | (immediate ? 0x40 : 0)) + (port & 0xffff) * 0x1_0000;
}

const ADDR_SIZE = { 2: 0, 4: 1, 8: 2 } as const;

/**
 * The memory-operand part shared by the instruction-information formats
 * (Tables 28-9 .. 28-14): bits 1:0 scaling, 9:7 address size, 17:15 segment,
 * 21:18 index (22 invalid), 26:23 base (27 invalid).
 */
export function memInfo(m: MemOperand, segDefault: number): number {
  const scale = m.scale === 8 ? 3 : m.scale === 4 ? 2 : m.scale === 2 ? 1 : 0;
  const seg = m.seg >= 0 ? m.seg : segDefault;
  let v = scale | (ADDR_SIZE[m.addrSize] << 7) | ((seg & 7) << 15);
  v |= m.index >= 0 ? (m.index & 0xf) << 18 : 1 << 22;
  v |= m.base >= 0 ? (m.base & 0xf) << 23 : 1 << 27;
  return v >>> 0;
}

/** The displacement a memory operand carries: the exit qualification of instructions with one (28.2.1). */
export function displacement(m: MemOperand): number {
  return m.base === RIP_BASE ? m.disp : m.disp;
}

/**
 * VMX instruction information for VMCLEAR/VMPTRLD/VMPTRST/VMXON/VMREAD/VMWRITE/
 * INVEPT/INVVPID/INVPCID (Tables 28-12 .. 28-14): register operands go to
 * bits 6:3 (reg1, with bit 10 = 1 when the other operand is a register) and
 * 31:28 (reg2).
 */
export function vmxInstrInfo(insn: Insn, reg1Index: number, reg2Index: number): { info: number; disp: number } {
  let info = 0;
  let disp = 0;
  const mem = insn.ops.find((o) => o.kind === "mem");
  if (mem && mem.kind === "mem") {
    info |= memInfo(mem.m, 3 /* DS */);
    disp = displacement(mem.m);
  } else {
    // Register form: bit 10 set; scaling, address size and segment are undefined (reported 0).
    info |= 1 << 10;
  }
  const r1 = insn.ops[reg1Index];
  if (r1 && r1.kind === "reg") info |= (r1.reg & 0xf) << 3;
  const r2 = insn.ops[reg2Index];
  if (r2 && r2.kind === "reg") info = (info | ((r2.reg & 0xf) << 28)) >>> 0;
  return { info: info >>> 0, disp };
}
