/**
 * CPUID (exit reason 10, unconditional, SDM Vol. 3C 26.1.2). Like KVM, the
 * answer is the CPU profile's CPUID adjusted for a guest: VMX (leaf 1 ECX
 * bit 5) only when nested virtualization is offered, the "hypervisor
 * present" bit (leaf 1 ECX bit 31), OSXSAVE mirroring the guest's
 * CR4.OSXSAVE, and a hypervisor leaf range at 0x40000000.
 */
import { CPUID1_ECX, CpuidModel } from "../../guest-cpu/cpuid";
import type { CpuidResult, Vcpu } from "../vcpu";
import type { Handler } from "./types";
import { setReg32 } from "./util";

/** "VMXLabVMXLab" in EBX, ECX, EDX of leaf 0x40000000 (KVM answers "KVMKVMKVM\0\0\0"). */
export const HYPERVISOR_SIGNATURE = "VMXLabVMXLab";
export const HYPERVISOR_LEAF = 0x4000_0000;

const CR4_OSXSAVE = 1n << 18n;
let profileCpuid: CpuidModel | undefined;

function str4(s: string): number {
  return (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
}

/** What the guest sees for CPUID(leaf, subleaf). */
export function guestCpuid(vcpu: Vcpu, leaf: number, subleaf: number): CpuidResult {
  if (leaf === HYPERVISOR_LEAF) {
    const s = HYPERVISOR_SIGNATURE;
    return [HYPERVISOR_LEAF + 1, str4(s.slice(0, 4)), str4(s.slice(4, 8)), str4(s.slice(8, 12))];
  }
  if (leaf === HYPERVISOR_LEAF + 1) return [0, 0, 0, 0]; // no paravirtual features
  const base = vcpu.vm.cpuid?.(leaf, subleaf) ?? (profileCpuid ??= new CpuidModel()).query(leaf, subleaf);
  const r = [...base] as CpuidResult;
  if (leaf === 1) {
    r[2] = vcpu.vm.nested ? r[2] | CPUID1_ECX.VMX : r[2] & ~CPUID1_ECX.VMX;
    r[2] |= CPUID1_ECX.HYPERVISOR;
    const osxsave = (vcpu.getReg("cr4") & CR4_OSXSAVE) !== 0n;
    r[2] = osxsave ? r[2] | CPUID1_ECX.OSXSAVE : r[2] & ~CPUID1_ECX.OSXSAVE;
  }
  return r.map((x) => x >>> 0) as CpuidResult;
}

export const handleCpuid: Handler = (vcpu) => {
  const leaf = Number(vcpu.getReg("rax") & 0xffff_ffffn);
  const subleaf = Number(vcpu.getReg("rcx") & 0xffff_ffffn);
  const [a, b, c, d] = guestCpuid(vcpu, leaf, subleaf);
  // CPUID writes EAX..EDX, clearing bits 63:32 of RAX..RDX in 64-bit mode (SDM Vol. 2A CPUID).
  setReg32(vcpu, "rax", a);
  setReg32(vcpu, "rbx", b);
  setReg32(vcpu, "rcx", c);
  setReg32(vcpu, "rdx", d);
  vcpu.advanceRip();
};
