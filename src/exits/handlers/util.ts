/** Small pieces the default handlers share: operand widths, EDX:EAX, CPL, common injections. */
import { CONTROL_WORDS, type ControlNames, type ControlWord } from "../../vmcs/controls";
import type { GprName, Vcpu } from "../vcpu";

const U32 = 0xffff_ffffn;

/** 64-bit mode: IA-32e mode guest (VM_ENTRY_CONTROLS bit 9) and CS.L (access rights bit 13), SDM Vol. 3C 27.3.1.2. */
export function guestIn64BitMode(vcpu: Vcpu): boolean {
  return controlOn(vcpu, "entry", "ia32e-mode-guest") && (vcpu.vmread("GUEST_CS_AR_BYTES") >> 13n & 1n) === 1n;
}

/** CPL is SS.DPL (SDM Vol. 3A 5.5; access rights bits 6:5 of GUEST_SS_AR_BYTES). */
export function guestCpl(vcpu: Vcpu): number {
  return Number(vcpu.vmread("GUEST_SS_AR_BYTES") >> 5n & 3n);
}

/** Reads a GPR as an operand: the full register in 64-bit mode, its low 32 bits otherwise. */
export function readOperand(vcpu: Vcpu, reg: GprName): bigint {
  const v = vcpu.getReg(reg);
  return guestIn64BitMode(vcpu) ? v : v & U32;
}

/** A 32-bit destination write: zero-extends into the 64-bit register (SDM Vol. 1 3.4.1.1). */
export function setReg32(vcpu: Vcpu, reg: GprName, value: bigint | number): void {
  vcpu.setReg(reg, BigInt(value) & U32);
}

/** Writes a value of `size` bytes into a GPR as a MOV/IN would: 4-byte writes zero-extend, 1/2-byte writes merge. */
export function setRegSized(vcpu: Vcpu, reg: GprName, size: number, value: bigint): void {
  if (size >= 8) return vcpu.setReg(reg, value);
  if (size === 4) return setReg32(vcpu, reg, value);
  const mask = (1n << BigInt(size * 8)) - 1n;
  vcpu.setReg(reg, (vcpu.getReg(reg) & ~mask) | (value & mask));
}

/** EDX:EAX as RDMSR/RDTSC/XGETBV produce them (upper halves of RAX and RDX cleared). */
export function setEdxEax(vcpu: Vcpu, value: bigint): void {
  setReg32(vcpu, "rax", value & U32);
  setReg32(vcpu, "rdx", (value >> 32n) & U32);
}

export function getEdxEax(vcpu: Vcpu): bigint {
  return ((vcpu.getReg("rdx") & U32) << 32n) | (vcpu.getReg("rax") & U32);
}

export function injectGp(vcpu: Vcpu, errorCode = 0): void {
  vcpu.inject({ vector: "GP", errorCode });
}

export function injectUd(vcpu: Vcpu): void {
  vcpu.inject({ vector: "UD" });
}

/** Canonical for 48-bit linear addresses: bits 63:47 all equal (SDM Vol. 1 3.3.7.1). */
export function isCanonical(v: bigint): boolean {
  const top = BigInt.asUintN(64, v) >> 47n;
  return top === 0n || top === 0x1_ffffn;
}

/** The mask of a control bit, from the control table (src/vmcs/controls.ts, SDM Vol. 3C 25.6–25.8). */
export function controlMask<W extends ControlWord>(word: W, name: ControlNames[W]): bigint {
  return 1n << BigInt(CONTROL_WORDS[word].bitsByName[name]!);
}

/** Is the control set? Secondary controls count only with activate-secondary-controls (SDM 25.6.2). */
export function controlOn<W extends ControlWord>(vcpu: Vcpu, word: W, name: ControlNames[W]): boolean {
  if (word === "secondary" && !controlOn(vcpu, "primary", "activate-secondary-controls")) return false;
  return (vcpu.vmread(CONTROL_WORDS[word].field) & controlMask(word, name)) !== 0n;
}

export function setControl<W extends ControlWord>(vcpu: Vcpu, word: W, name: ControlNames[W], on: boolean): void {
  const f = CONTROL_WORDS[word].field;
  const old = vcpu.vmread(f);
  vcpu.vmwrite(f, on ? old | controlMask(word, name) : old & ~controlMask(word, name));
}
