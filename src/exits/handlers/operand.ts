/**
 * The memory operand of an instruction exit, computed from VMX_INSTRUCTION_INFO
 * and the displacement in the exit qualification (SDM Vol. 3C 28.2.5, Tables
 * 28-9..28-14): segment base + base + index × scale + displacement, truncated
 * to the address size. Handlers that emulate LGDT/SGDT or, in a nested
 * hypervisor, VMPTRLD/VMREAD use it to find their operand.
 */
import type { SegmentName } from "../qualification";
import type { Vcpu, VmcsFieldName } from "../vcpu";
import { guestIn64BitMode } from "./util";

const SEGMENT_BASE: Record<SegmentName, VmcsFieldName> = {
  es: "GUEST_ES_BASE", cs: "GUEST_CS_BASE", ss: "GUEST_SS_BASE", ds: "GUEST_DS_BASE", fs: "GUEST_FS_BASE", gs: "GUEST_GS_BASE",
};

/** Linear address of the exiting instruction's memory operand. */
export function memoryOperandAddress(vcpu: Vcpu): bigint {
  const info = vcpu.exit.instructionInfo;
  const mask = (1n << BigInt(info.addressSize)) - 1n;
  let offset = vcpu.exit.qualification.displacement;
  if (info.base) offset += vcpu.getReg(info.base);
  if (info.index) offset += vcpu.getReg(info.index) * BigInt(info.scale);
  offset &= mask;
  // In 64-bit mode only FS and GS have a base (SDM Vol. 3A 3.4.4).
  const useBase = !guestIn64BitMode(vcpu) || info.segment === "fs" || info.segment === "gs";
  const base = useBase ? vcpu.vmread(SEGMENT_BASE[info.segment]) : 0n;
  return BigInt.asUintN(guestIn64BitMode(vcpu) ? 64 : 32, base + offset);
}
