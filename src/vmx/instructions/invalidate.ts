/**
 * INVEPT and INVVPID (SDM Vol. 3C 31.3; cached mappings 29.4.3): operand
 * checks against IA32_VMX_EPT_VPID_CAP, then the TLB invalidation the MMU
 * performs (guest-cpu/mmu.ts TlbControl).
 */
import { CpuFault, UD } from "../../guest-cpu/exceptions";
import { OP } from "../../guest-cpu/intercept";
import { eptCapsFromMsr, validateEptp } from "../../ept/eptp";
import { VM_ERROR } from "../vm-errors";
import { gpUnlessCpl0, OK, type Operand, operand, u64, udUnlessInVmx, type VmxContext, vmfail, type VmxResult, exitNonRoot } from "./common";

/** EPT_VPID_CAP bits per INVEPT type (1 single-context: bit 25, 2 all-context: bit 26) and INVVPID type (0..3: bits 40..43). */
const INVEPT_TYPE_BIT: Record<number, number> = { 1: 25, 2: 26 };
const INVVPID_TYPE_BIT: Record<number, number> = { 0: 40, 1: 41, 2: 42, 3: 43 };

/** Descriptor of INVEPT: bits 63:0 EPTP, 127:64 reserved. */
export interface InveptDescriptor {
  readonly eptp: bigint;
}

/** Descriptor of INVVPID: bits 15:0 VPID, 63:16 reserved (must be 0), 127:64 linear address. */
export interface InvvpidDescriptor {
  readonly lo: bigint;
  readonly address: bigint;
}

export function invept(c: VmxContext, type: bigint | number, desc: Operand<InveptDescriptor>): VmxResult {
  const caps = c.state.caps;
  udUnlessInVmx(c);
  if (!caps.allows("secondary", "enable-ept") || !caps.eptVpidCapBit(20)) throw new CpuFault(UD);
  if (c.state.nonRoot) exitNonRoot(c, OP.INVEPT);
  gpUnlessCpl0(c.s);
  const t = u64(type);
  const bit = t <= 2n ? INVEPT_TYPE_BIT[Number(t)] : undefined;
  if (bit === undefined || !caps.eptVpidCapBit(bit)) return vmfail(c, VM_ERROR.INVALID_OPERAND_TO_INVEPT_INVVPID);
  const d = operand(desc);
  if (t === 1n) {
    if (validateEptp(d.eptp, eptCapsFromMsr(caps.eptVpidCap, caps.physAddrWidth))) {
      return vmfail(c, VM_ERROR.INVALID_OPERAND_TO_INVEPT_INVVPID);
    }
  }
  c.s.mmu.invalidateEpt(Number(t), d.eptp);
  return OK;
}

/** Canonical for 48-bit linear addresses (bits 63:47 equal). */
function canonical(a: bigint): boolean {
  const top = a >> 47n;
  return top === 0n || top === 0x1_ffffn;
}

export function invvpid(c: VmxContext, type: bigint | number, desc: Operand<InvvpidDescriptor>): VmxResult {
  const caps = c.state.caps;
  udUnlessInVmx(c);
  if (!caps.allows("secondary", "enable-vpid") || !caps.eptVpidCapBit(32)) throw new CpuFault(UD);
  if (c.state.nonRoot) exitNonRoot(c, OP.INVVPID);
  gpUnlessCpl0(c.s);
  const t = u64(type);
  const bit = t <= 3n ? INVVPID_TYPE_BIT[Number(t)] : undefined;
  if (bit === undefined || !caps.eptVpidCapBit(bit)) return vmfail(c, VM_ERROR.INVALID_OPERAND_TO_INVEPT_INVVPID);
  const d = operand(desc);
  const lo = u64(d.lo), addr = u64(d.address);
  if (lo >> 16n !== 0n) return vmfail(c, VM_ERROR.INVALID_OPERAND_TO_INVEPT_INVVPID);
  const vpid = Number(lo & 0xffffn);
  const bad = t === 0n ? vpid === 0 || !canonical(addr) : t === 2n ? false : vpid === 0;
  if (bad) return vmfail(c, VM_ERROR.INVALID_OPERAND_TO_INVEPT_INVVPID);
  c.s.mmu.invalidateVpid(Number(t), vpid, Number(BigInt.asIntN(64, addr)));
  return OK;
}
