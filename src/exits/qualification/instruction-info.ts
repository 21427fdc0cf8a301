/**
 * VM-exit instruction-information field (VMX_INSTRUCTION_INFO, SDM Vol. 3C
 * 28.2.5 Tables 28-8 to 28-14). The instructions share one skeleton for their
 * memory operand (scaling, address size, segment, index, base) and differ in
 * the register and identity fields, which this record exposes under the names
 * the SDM uses for each group.
 */
import { bit, field, flag, gprNumber, GPR_BY_NUMBER, put, SEGMENT_BY_NUMBER, type GprName, type SegmentName } from "./bits";

export interface InstructionInfo {
  /** Bits 1:0: index scaling 1, 2, 4 or 8. */
  scale: 1 | 2 | 4 | 8;
  /** Bits 6:3: reg1 — the register operand of VMREAD/VMWRITE (bit 10 = 1), LLDT-group, RDRAND/RDSEED destination. */
  reg1: GprName;
  /** Bits 9:7: address size. */
  addressSize: 16 | 32 | 64;
  /** Bit 10: 1 = register operand (VMREAD/VMWRITE, SLDT/SMSW-group), 0 = memory. */
  registerOperand: boolean;
  /** Bits 12:11: operand size (RDRAND/RDSEED: 0 = 16, 1 = 32, 2 = 64; LGDT group: bit 11 only, 0 = 16, 1 = 32, bit 12 reads 0). */
  operandSize: 16 | 32 | 64;
  /** Bits 17:15. */
  segment: SegmentName;
  /** Bits 21:18, undefined when bit 22 (index invalid) is set. */
  index: GprName | null;
  /** Bits 26:23, undefined when bit 27 (base invalid) is set. */
  base: GprName | null;
  /** Bits 31:28: reg2 — INVEPT/INVVPID/INVPCID type register, VMREAD/VMWRITE field-encoding register. */
  reg2: GprName;
  /** Bits 29:28 for LGDT-group (0 SGDT, 1 SIDT, 2 LGDT, 3 LIDT) and LLDT-group (0 SLDT, 1 STR, 2 LLDT, 3 LTR). */
  identity: number;
}

const ADDR = [16, 32, 64] as const;
const OPSIZE = [16, 32, 64] as const;

export function decodeInstructionInfo(v: bigint | number): InstructionInfo {
  const q = BigInt(v);
  return {
    scale: (1 << field(q, 1, 0)) as 1 | 2 | 4 | 8,
    reg1: GPR_BY_NUMBER[field(q, 6, 3)]!,
    addressSize: ADDR[field(q, 9, 7)] ?? 64,
    registerOperand: bit(q, 10),
    operandSize: OPSIZE[field(q, 12, 11)] ?? 64,
    segment: SEGMENT_BY_NUMBER[field(q, 17, 15)] ?? "ds",
    index: bit(q, 22) ? null : GPR_BY_NUMBER[field(q, 21, 18)]!,
    base: bit(q, 27) ? null : GPR_BY_NUMBER[field(q, 26, 23)]!,
    reg2: GPR_BY_NUMBER[field(q, 31, 28)]!,
    identity: field(q, 29, 28),
  };
}

export function encodeInstructionInfo(v: Partial<InstructionInfo>): bigint {
  const scale = v.scale ?? 1;
  return (
    BigInt(Math.log2(scale)) |
    put(gprNumber(v.reg1 ?? "rax"), 6, 3, "reg1") |
    BigInt(ADDR.indexOf(v.addressSize ?? 64)) << 7n |
    flag(v.registerOperand, 10) |
    BigInt(OPSIZE.indexOf(v.operandSize ?? 32)) << 11n |
    BigInt(SEGMENT_BY_NUMBER.indexOf(v.segment ?? "ds")) << 15n |
    (v.index ? put(gprNumber(v.index), 21, 18, "index") : 1n << 22n) |
    (v.base ? put(gprNumber(v.base), 26, 23, "base") : 1n << 27n) |
    (v.identity !== undefined ? put(v.identity, 29, 28, "identity") : put(gprNumber(v.reg2 ?? "rax"), 31, 28, "reg2"))
  );
}
