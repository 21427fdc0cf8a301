/**
 * INVPCID (reason 58: invlpg-exiting with enable-invpcid; instruction
 * information SDM Vol. 3C Table 28-9), emulated as KVM's handle_invpcid: the
 * type comes from reg2, the 16-byte descriptor from the memory operand
 * (PCID in bits 11:0, linear address in bits 127:64), and the checks of
 * SDM Vol. 2B INVPCID raise #GP(0). Invalidation goes through the VM's TLB
 * services; without PCIDs modelled per context, single-context types flush
 * the non-global translations.
 */
import { memoryFault } from "./faults";
import { memoryOperandAddress } from "./operand";
import type { Handler } from "./types";
import { guestIn64BitMode, injectGp, isCanonical } from "./util";
import { guestVisibleCr } from "./cr-access";

const CR4_PCIDE = 1n << 17n;

export const handleInvpcid: Handler = (vcpu) => {
  const info = vcpu.exit.instructionInfo;
  const type = guestIn64BitMode(vcpu) ? vcpu.getReg(info.reg2) : vcpu.getReg(info.reg2) & 0xffff_ffffn;
  if (type > 3n) return injectGp(vcpu);
  let desc: Uint8Array;
  try {
    desc = vcpu.readGuest(memoryOperandAddress(vcpu), 16);
  } catch (e) {
    return memoryFault(vcpu, e, false, "INVPCID");
  }
  const view = new DataView(desc.buffer, desc.byteOffset, 16);
  const low = view.getBigUint64(0, true);
  const linear = view.getBigUint64(8, true);
  const pcid = low & 0xfffn;
  // Bits 63:12 of the descriptor are reserved; a PCID other than 0 needs CR4.PCIDE for types 0 and 1.
  if (low >> 12n !== 0n) return injectGp(vcpu);
  if (type <= 1n && pcid !== 0n && !(guestVisibleCr(vcpu, 4) & CR4_PCIDE)) return injectGp(vcpu);
  if (type === 0n) {
    if (!isCanonical(linear)) return injectGp(vcpu);
    vcpu.vm.invalidateLinear?.(linear);
  } else vcpu.vm.flushGuestTlb?.(type === 2n ? "all" : "non-global");
  vcpu.advanceRip();
};
