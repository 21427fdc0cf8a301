/**
 * MMIO emulation for EPT violations and misconfigurations on device memory:
 * decode the guest instruction at RIP (iced-x86), turn it into a KVM_EXIT_MMIO-
 * like userspace exit, and complete a read when the device has answered. Like
 * KVM's emulator for the common case, it handles MOV to/from memory, MOV of an
 * immediate, MOVZX and MOVSX; anything else is an internal error.
 */
import { Decoder, DecoderOptions, Mnemonic, MemorySizeExt, OpKind, type Instruction } from "iced-x86";
import { gprOf } from "../../guest-cpu/decode";
import { GPR_BY_NUMBER } from "../qualification";
import { hex } from "../../common/u64";
import { GuestMemoryError, type Vcpu } from "../vcpu";
import { guestIn64BitMode, setRegSized } from "./util";

export interface MmioAccess {
  direction: "read" | "write";
  size: number;
  /** For writes: the value stored. */
  value?: bigint;
  length: number;
  text: string;
}

function bitness(vcpu: Vcpu): 16 | 32 | 64 {
  if (guestIn64BitMode(vcpu)) return 64;
  return (vcpu.vmread("GUEST_CS_AR_BYTES") >> 14n & 1n) === 1n ? 32 : 16; // CS.D
}

/** Up to 15 bytes at CS:RIP, stopping early at an unmapped page. */
function fetch(vcpu: Vcpu): Uint8Array {
  const cs = guestIn64BitMode(vcpu) ? 0n : vcpu.vmread("GUEST_CS_BASE");
  const at = cs + vcpu.rip;
  const firstPage = 4096 - Number(at & 0xfffn);
  const first = vcpu.readGuest(at, Math.min(15, firstPage));
  if (first.length === 15) return first;
  try {
    const rest = vcpu.readGuest(at + BigInt(first.length), 15 - first.length);
    const all = new Uint8Array(15);
    all.set(first);
    all.set(rest, first.length);
    return all;
  } catch {
    return first;
  }
}

function decode(vcpu: Vcpu): Instruction {
  const d = new Decoder(bitness(vcpu), fetch(vcpu), DecoderOptions.None);
  d.ip = vcpu.rip;
  return d.decode();
}

function regValue(vcpu: Vcpu, reg: number): bigint {
  const g = gprOf(reg);
  if (!g) throw new Error("not a GPR");
  const full = vcpu.getReg(GPR_BY_NUMBER[g.reg]!);
  const v = g.high8 ? full >> 8n : full;
  return v & ((1n << BigInt(g.size * 8)) - 1n);
}

/** What the instruction at RIP does to memory, or a reason it cannot be emulated. */
export function decodeMmioAccess(vcpu: Vcpu): MmioAccess | string {
  const insn = decode(vcpu);
  const text = `${Mnemonic[insn.mnemonic] ?? "?"} (${insn.length} bytes at RIP)`;
  const memSize = MemorySizeExt.size(insn.memorySize);
  if (insn.mnemonic === Mnemonic.Mov && insn.op0Kind === OpKind.Memory) {
    const value = insn.op1Kind === OpKind.Register ? regValue(vcpu, insn.op1Register) : BigInt.asUintN(memSize * 8, BigInt(insn.immediate(1)));
    return { direction: "write", size: memSize, value, length: insn.length, text };
  }
  if ((insn.mnemonic === Mnemonic.Mov || insn.mnemonic === Mnemonic.Movzx || insn.mnemonic === Mnemonic.Movsx) &&
      insn.op1Kind === OpKind.Memory && insn.op0Kind === OpKind.Register && gprOf(insn.op0Register)) {
    return { direction: "read", size: memSize, length: insn.length, text };
  }
  return `MMIO emulation supports MOV/MOVZX/MOVSX with a memory operand, not ${text}`;
}

/** Completes an MMIO read: the device's value goes to the destination register, RIP moves past the instruction. */
export function completeMmioRead(vcpu: Vcpu, value: bigint): void {
  const insn = decode(vcpu);
  const g = gprOf(insn.op0Register);
  if (!g) throw new Error("completeMmioRead: the instruction at RIP has no register destination");
  const memBits = MemorySizeExt.size(insn.memorySize) * 8;
  let v = BigInt.asUintN(memBits, value);
  if (insn.mnemonic === Mnemonic.Movsx) v = BigInt.asUintN(g.size * 8, BigInt.asIntN(memBits, v));
  const reg = GPR_BY_NUMBER[g.reg]!;
  if (g.high8) {
    vcpu.setReg(reg, (vcpu.getReg(reg) & ~0xff00n) | ((v & 0xffn) << 8n));
  } else setRegSized(vcpu, reg, g.size, v);
  vcpu.advanceRip(insn.length);
}

/** Sends the access at RIP to userspace as an `mmio` exit (writes complete now, reads on completeMmioRead). */
export function exitToMmio(vcpu: Vcpu, gpa: bigint): void {
  let a: MmioAccess | string;
  try {
    a = decodeMmioAccess(vcpu);
  } catch (e) {
    if (!(e instanceof GuestMemoryError)) throw e;
    // The faulting instruction cannot be fetched (e.g. a fetch from device memory): nothing to emulate.
    a = `MMIO emulation cannot fetch the instruction at RIP ${hex(vcpu.rip)}: ${e.message}`;
  }
  if (typeof a === "string") return vcpu.toUserspace("internal-error", { message: a, reason: vcpu.exit.reason });
  if (a.direction === "write") {
    vcpu.advanceRip(a.length);
    vcpu.toUserspace("mmio", { address: gpa, direction: "write", size: a.size, value: a.value! });
  } else vcpu.toUserspace("mmio", { address: gpa, direction: "read", size: a.size });
}
