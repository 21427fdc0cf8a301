/**
 * MOV DR exits (reason 29, mov-dr-exiting; qualification SDM Vol. 3C
 * Table 28-4), emulated as KVM's handle_dr does: #GP(0) at CPL > 0, DR4/DR5
 * alias DR6/DR7 unless CR4.DE (then #UD), DR7 lives in GUEST_DR7, the others
 * in the vCPU. Upper 32 bits of DR6/DR7 must be 0 on writes (#GP).
 */
import type { RegisterName } from "../vcpu";
import type { Handler } from "./types";
import { guestCpl, guestIn64BitMode, injectGp, readOperand } from "./util";
import { guestVisibleCr } from "./cr-access";

const CR4_DE = 1n << 3n;
/** DR6 bits that read as 1 and DR7 bit 10 (SDM Vol. 3A 18.2.3, 18.2.4). */
const DR6_FIXED1 = 0xffff_0ff0n, DR7_FIXED1 = 0x400n;

export const handleDrAccess: Handler = (vcpu) => {
  const q = vcpu.exit.qualification.dr;
  if (guestCpl(vcpu) !== 0) return injectGp(vcpu);
  let dr = q.dr;
  if (dr === 4 || dr === 5) {
    if (guestVisibleCr(vcpu, 4) & CR4_DE) return vcpu.inject({ vector: "UD" });
    dr += 2;
  }
  const reg = `dr${dr}` as RegisterName;
  if (q.direction === "from-dr") {
    const v = vcpu.getReg(reg);
    vcpu.setReg(q.gpr, guestIn64BitMode(vcpu) ? v : v & 0xffff_ffffn);
  } else {
    const v = readOperand(vcpu, q.gpr);
    if ((dr === 6 || dr === 7) && v >> 32n !== 0n) return injectGp(vcpu);
    vcpu.setReg(reg, dr === 6 ? v | DR6_FIXED1 : dr === 7 ? v | DR7_FIXED1 : v);
  }
  vcpu.advanceRip();
};
