/**
 * Instruction exits with short KVM-like answers (SDM Vol. 3C 26.1.2, 26.1.3):
 * XSETBV, INVLPG, RDTSC/RDTSCP, HLT, RDPMC and the ones a hypervisor treats as
 * no-ops (PAUSE, MWAIT, MONITOR, WBINVD, INVD, UMWAIT, TPAUSE).
 */
import type { Handler } from "./types";
import { guestTsc, IA32_TSC_AUX } from "./msr";
import { getEdxEax, guestCpl, injectGp, setEdxEax, setReg32 } from "./util";

/** XCR0 bits this model supports: x87 (0), SSE (1), AVX (2) (CPUID.(EAX=0DH,ECX=0):EAX). */
export const XCR0_SUPPORTED = 0x7n;

/** XSETBV (KVM's kvm_emulate_xsetbv): #GP(0) at CPL > 0, for ECX ≠ 0, and for invalid XCR0 values (SDM Vol. 2C XSETBV). */
export const handleXsetbv: Handler = (vcpu) => {
  const xcr = vcpu.getReg("rcx") & 0xffff_ffffn;
  const value = getEdxEax(vcpu);
  const invalid =
    guestCpl(vcpu) !== 0 ||
    xcr !== 0n ||
    (value & 1n) === 0n || // x87 state must be enabled
    (value & ~XCR0_SUPPORTED) !== 0n ||
    ((value & 4n) !== 0n && (value & 2n) === 0n); // AVX requires SSE
  if (invalid) return injectGp(vcpu);
  vcpu.setReg("xcr0", value);
  vcpu.advanceRip();
};

/** INVLPG: the instruction did not execute, so the hypervisor performs the invalidation for the guest. */
export const handleInvlpg: Handler = (vcpu) => {
  const linear = vcpu.exit.qualification.linearAddress;
  vcpu.vm.invalidateLinear?.(linear);
  vcpu.advanceRip();
};

export const handleRdtsc: Handler = (vcpu) => {
  setEdxEax(vcpu, guestTsc(vcpu));
  vcpu.advanceRip();
};

/** RDTSCP also loads ECX with IA32_TSC_AUX[31:0]. */
export const handleRdtscp: Handler = (vcpu) => {
  setEdxEax(vcpu, guestTsc(vcpu));
  setReg32(vcpu, "rcx", (vcpu.msrs.get(IA32_TSC_AUX) ?? 0n) & 0xffff_ffffn);
  vcpu.advanceRip();
};

const RFLAGS_IF = 1n << 9n;

/**
 * HLT: the instruction completes (RIP advances) and the vCPU waits for an
 * interrupt. If the VM can deliver one (RFLAGS.IF and a source), resume;
 * otherwise the guest would sleep forever: exit to userspace with `hlt`
 * (KVM_EXIT_HLT).
 */
export const handleHlt: Handler = (vcpu) => {
  vcpu.advanceRip();
  const canWake = (vcpu.getReg("rflags") & RFLAGS_IF) !== 0n && vcpu.vm.waitForInterrupt?.() === true;
  if (canWake) vcpu.resume();
  else vcpu.toUserspace("hlt", {});
};

/** No performance counters are virtualized: RDPMC is #GP(0) (KVM without a vPMU does the same). */
export const handleRdpmc: Handler = (vcpu) => injectGp(vcpu);

/** PAUSE, MWAIT, MONITOR, WBINVD, INVD, UMWAIT, TPAUSE: nothing to emulate; the instruction is skipped. */
export const skipInstruction: Handler = (vcpu) => vcpu.advanceRip();
