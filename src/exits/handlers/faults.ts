/** Guest memory a handler cannot reach while emulating an instruction. */
import { hex } from "../../common/u64";
import type { ExitReason } from "../reasons";
import { GuestMemoryError, type Vcpu } from "../vcpu";
import { guestCpl } from "./util";

/**
 * A linear address the guest has not mapped is a #PF for the guest, as KVM's
 * emulator raises it (error code W for writes, U at CPL 3; CR2 = the address);
 * guest-physical memory the VM has no RAM for is an internal error.
 */
export function memoryFault(vcpu: Vcpu, e: unknown, write: boolean, reason: ExitReason): void {
  if (!(e instanceof GuestMemoryError)) throw e;
  if (e.space === "linear") {
    vcpu.setReg("cr2", e.address);
    const user = guestCpl(vcpu) === 3 ? 4 : 0;
    return vcpu.inject({ vector: "PF", errorCode: (write ? 2 : 0) | user });
  }
  vcpu.toUserspace("internal-error", { message: `${reason}: guest-physical ${hex(e.address)} is not RAM (${e.message})`, reason });
}
