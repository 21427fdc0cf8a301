/**
 * VMCALL (exit reason 18, unconditional): vmxlab's paravirtual hypercall
 * interface, modelled on KVM's (Documentation/virt/kvm/x86/hypercalls.rst):
 * number in RAX, arguments in RBX, RCX, RDX, RSI, result in RAX; RIP advances
 * past VMCALL. Unknown numbers return -1000 (KVM's -KVM_ENOSYS); calls from
 * CPL > 0 return -1 (-KVM_EPERM) without doing anything.
 */
import type { Vcpu } from "../vcpu";
import type { Handler } from "./types";
import { guestCpl } from "./util";

export const HC_ENOSYS = -1000n;
export const HC_EPERM = -1n;
export const HC_EINVAL = -22n;
export const HC_EFAULT = -14n;

export interface Hypercall {
  nr: number;
  name: string;
  args: string;
  returns: string;
  run(vcpu: Vcpu, a: bigint[]): bigint | undefined; // undefined: the call decided the outcome itself (exit/userspace)
}

/** The hypercall ABI (numbers are the contract; `vmxlab explain VMCALL` points here). */
export const HYPERCALLS: readonly Hypercall[] = [
  {
    nr: 0, name: "PRINT_CHAR", args: "RBX = character (bits 7:0)", returns: "0",
    run: (v, a) => (v.vm.console?.(String.fromCharCode(Number(a[0]! & 0xffn))), 0n),
  },
  {
    nr: 1, name: "PRINT_STRING", args: "RBX = guest-linear address, RCX = length (≤ 4096)", returns: "0, or -14 (EFAULT) when the buffer is not mapped, -22 (EINVAL) for a longer string",
    run: (v, a) => {
      const len = Number(a[1]! & 0xffff_ffffn);
      if (len > 4096) return HC_EINVAL;
      try {
        v.vm.console?.(Buffer.from(v.readGuest(a[0]!, len)).toString("latin1"));
      } catch {
        return HC_EFAULT;
      }
      return 0n;
    },
  },
  {
    nr: 2, name: "EXIT", args: "RBX = exit code", returns: "nothing: the run stops with reason 'guest-exit' and the code",
    run: (v, a) => (v.stop("guest-exit", { code: Number(BigInt.asIntN(32, a[0]!)) }), undefined),
  },
  {
    nr: 3, name: "MAP_PAGE", args: "RBX = guest-physical page address, RCX = permissions (bit 0 R, 1 W, 2 X)", returns: "0, or -22 (EINVAL) when the VM cannot map it",
    run: (v, a) => {
      const perms = Number(a[1]! & 7n);
      const text = `${perms & 1 ? "r" : "-"}${perms & 2 ? "w" : "-"}${perms & 4 ? "x" : "-"}`;
      return v.vm.mapPage?.(a[0]! & ~0xfffn, text) ? 0n : HC_EINVAL;
    },
  },
  {
    nr: 4, name: "VERSION", args: "none", returns: "the ABI version (1) in RAX",
    run: () => 1n,
  },
  {
    nr: 5, name: "USERSPACE", args: "RBX, RCX, RDX = data for the VMM", returns: "0; the VMM sees a 'hypercall' userspace exit",
    run: (v, a) => (v.toUserspace("hypercall", { nr: 5, args: a.slice(0, 3) }), 0n),
  },
];

export function findHypercall(nr: number | bigint): Hypercall | undefined {
  return HYPERCALLS.find((h) => BigInt(h.nr) === BigInt(nr));
}

export const handleVmcall: Handler = (vcpu) => {
  const nr = vcpu.getReg("rax");
  vcpu.advanceRip();
  if (guestCpl(vcpu) !== 0) return vcpu.setReg("rax", HC_EPERM);
  const hc = findHypercall(nr);
  if (!hc) return vcpu.setReg("rax", HC_ENOSYS);
  const args = (["rbx", "rcx", "rdx", "rsi"] as const).map((r) => vcpu.getReg(r));
  const result = hc.run(vcpu, args);
  if (result !== undefined) vcpu.setReg("rax", result);
};
