/**
 * Descriptor-table exits (descriptor-table-exiting, reasons 46 GDTR_IDTR and
 * 47 LDTR_TR; instruction information SDM Vol. 3C Tables 28-10, 28-11). The
 * default emulates the store forms and LGDT/LIDT the way the instructions
 * define them (SDM Vol. 2 SGDT, SIDT, LGDT, LIDT, SLDT, STR) — the usual reason
 * to enable the exit is to emulate UMIP or to watch the guest's tables. LLDT
 * and LTR need a descriptor load from the GDT and are left to a custom handler
 * (internal error). Privilege checks (CPL, UMIP) precede the VM exit
 * (SDM 26.1.1), so they are not repeated here.
 */
import type { Vcpu } from "../vcpu";
import { memoryFault } from "./faults";
import { memoryOperandAddress } from "./operand";
import type { Handler } from "./types";
import { guestIn64BitMode } from "./util";

function le(value: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

function fromLe(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/** Pseudo-descriptor size: 2-byte limit + 8-byte base in 64-bit mode, + 4-byte base otherwise. */
function baseBytes(vcpu: Vcpu): number {
  return guestIn64BitMode(vcpu) ? 8 : 4;
}

export const handleGdtrIdtr: Handler = (vcpu) => {
  const info = vcpu.exit.instructionInfo;
  const table = info.identity & 1 ? "IDTR" : "GDTR";
  const baseField = table === "IDTR" ? "GUEST_IDTR_BASE" : "GUEST_GDTR_BASE";
  const limitField = table === "IDTR" ? "GUEST_IDTR_LIMIT" : "GUEST_GDTR_LIMIT";
  const addr = memoryOperandAddress(vcpu);
  const n = baseBytes(vcpu);
  // 16-bit operand size outside 64-bit mode uses a 24-bit base (SDM Vol. 2 LGDT/SGDT).
  const baseMask = !guestIn64BitMode(vcpu) && info.operandSize === 16 ? 0xff_ffffn : (1n << BigInt(8 * n)) - 1n;
  try {
    if (info.identity < 2) {
      const bytes = new Uint8Array(2 + n);
      bytes.set(le(vcpu.vmread(limitField) & 0xffffn, 2));
      bytes.set(le(vcpu.vmread(baseField) & baseMask, n), 2);
      vcpu.writeGuest(addr, bytes);
    } else {
      const bytes = vcpu.readGuest(addr, 2 + n);
      vcpu.vmwrite(limitField, fromLe(bytes.subarray(0, 2)));
      vcpu.vmwrite(baseField, fromLe(bytes.subarray(2)) & baseMask);
    }
  } catch (e) {
    return memoryFault(vcpu, e, info.identity < 2, "GDTR_IDTR");
  }
  vcpu.advanceRip();
};

export const handleLdtrTr: Handler = (vcpu) => {
  const info = vcpu.exit.instructionInfo;
  if (info.identity >= 2) {
    return vcpu.toUserspace("internal-error", {
      message: `${info.identity === 2 ? "LLDT" : "LTR"} exits need a descriptor load the default handler does not emulate; override LDTR_TR`,
      reason: "LDTR_TR",
    });
  }
  const selector = vcpu.vmread(info.identity === 0 ? "GUEST_LDTR_SELECTOR" : "GUEST_TR_SELECTOR") & 0xffffn;
  if (info.registerOperand) {
    // A register destination receives the selector zero-extended (SDM Vol. 2 SLDT/STR).
    vcpu.setReg(info.reg1, selector);
  } else {
    try {
      vcpu.writeGuest(memoryOperandAddress(vcpu), le(selector, 2));
    } catch (e) {
      return memoryFault(vcpu, e, true, "LDTR_TR");
    }
  }
  vcpu.advanceRip();
};
