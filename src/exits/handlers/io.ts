/**
 * I/O instructions (exit reason 30; qualification SDM Vol. 3C Table 28-5) go
 * to the userspace VMM's devices, as KVM_EXIT_IO does. OUT completes before
 * the exit (RIP advances, the value travels with the exit); IN exits first
 * and `completeIoIn` writes the device's answer and advances RIP before the
 * next entry (KVM's complete_userspace_io). String forms move up to
 * MAX_STRING_ELEMENTS elements per exit through guest memory.
 */
import type { IoQualification } from "../qualification";
import type { Vcpu } from "../vcpu";
import { memoryFault } from "./faults";
import type { Handler } from "./types";
import { guestIn64BitMode, setRegSized } from "./util";

export const MAX_STRING_ELEMENTS = 4096;
const RFLAGS_DF = 1n << 10n;

function sizeMask(size: number): bigint {
  return (1n << BigInt(size * 8)) - 1n;
}

/** Element count of a (REP) INS/OUTS: RCX (ECX outside 64-bit mode), capped per exit. */
function stringCount(vcpu: Vcpu, q: IoQualification): { count: number; all: bigint } {
  if (!q.rep) return { count: 1, all: 1n };
  const all = guestIn64BitMode(vcpu) ? vcpu.getReg("rcx") : vcpu.getReg("rcx") & 0xffff_ffffn;
  return { count: Number(all > BigInt(MAX_STRING_ELEMENTS) ? BigInt(MAX_STRING_ELEMENTS) : all), all };
}

function readElement(bytes: Uint8Array, i: number, size: number): number {
  let v = 0;
  for (let b = size - 1; b >= 0; b--) v = v * 256 + bytes[i * size + b]!;
  return v;
}

/** After `done` string elements: RSI/RDI move by done×size (down when RFLAGS.DF), RCX counts down; RIP advances when all are done. */
function finishString(vcpu: Vcpu, q: IoQualification, indexReg: "rsi" | "rdi", done: number, all: bigint): void {
  const step = BigInt(done * q.size);
  const df = (vcpu.getReg("rflags") & RFLAGS_DF) !== 0n;
  vcpu.setReg(indexReg, vcpu.getReg(indexReg) + (df ? -step : step));
  if (q.rep) vcpu.setReg("rcx", all - BigInt(done));
  // With elements left, RIP stays: the instruction re-executes and exits again.
  if (!q.rep || all - BigInt(done) === 0n) vcpu.advanceRip();
}

/** Linear addresses of `count` consecutive elements, honouring RFLAGS.DF. */
function elementBase(vcpu: Vcpu, q: IoQualification, count: number): bigint {
  const first = vcpu.exit.guestLinearAddress;
  const df = (vcpu.getReg("rflags") & RFLAGS_DF) !== 0n;
  return df ? first - BigInt((count - 1) * q.size) : first;
}

export const handleIo: Handler = (vcpu) => {
  const q = vcpu.exit.qualification.io;
  const base = { port: q.port, size: q.size };
  if (!q.string) {
    if (q.direction === "out") {
      const value = Number(vcpu.getReg("rax") & sizeMask(q.size));
      vcpu.advanceRip();
      vcpu.toUserspace("io", { ...base, direction: "out", value });
    } else vcpu.toUserspace("io", { ...base, direction: "in" });
    return;
  }
  const { count, all } = stringCount(vcpu, q);
  if (count === 0) return vcpu.advanceRip(); // REP with RCX = 0 does nothing
  if (q.direction === "out") {
    let bytes: Uint8Array;
    try {
      bytes = vcpu.readGuest(elementBase(vcpu, q, count), count * q.size);
    } catch (e) {
      return memoryFault(vcpu, e, false, "IO_INSTRUCTION");
    }
    const df = (vcpu.getReg("rflags") & RFLAGS_DF) !== 0n;
    const values = Array.from({ length: count }, (_, i) => readElement(bytes, df ? count - 1 - i : i, q.size));
    finishString(vcpu, q, "rsi", count, all);
    vcpu.toUserspace("io", { ...base, direction: "out", count, values });
  } else vcpu.toUserspace("io", { ...base, direction: "in", count });
};

/**
 * Completes an IN/INS after the VMM's device answered: `values` has one value
 * per element (IN: one). IN AL/AX merge into RAX, IN EAX zero-extends
 * (SDM Vol. 1 3.4.1.1).
 */
export function completeIoIn(vcpu: Vcpu, values: number | readonly number[]): void {
  const q = vcpu.exit.qualification.io;
  const list = typeof values === "number" ? [values] : values;
  if (!q.string) {
    setRegSized(vcpu, "rax", q.size, BigInt(list[0] ?? 0) & sizeMask(q.size));
    return vcpu.advanceRip();
  }
  const { count, all } = stringCount(vcpu, q);
  const df = (vcpu.getReg("rflags") & RFLAGS_DF) !== 0n;
  const bytes = new Uint8Array(count * q.size);
  for (let i = 0; i < count; i++) {
    const at = df ? count - 1 - i : i;
    let v = list[i] ?? 0;
    for (let b = 0; b < q.size; b++) {
      bytes[at * q.size + b] = v & 0xff;
      v = Math.floor(v / 256);
    }
  }
  try {
    vcpu.writeGuest(elementBase(vcpu, q, count), bytes);
  } catch (e) {
    return memoryFault(vcpu, e, true, "IO_INSTRUCTION");
  }
  finishString(vcpu, q, "rdi", count, all);
}
