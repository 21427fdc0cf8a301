/**
 * A user's own exit handlers, written against vmxlab's handler API. Plug them
 * into a VM's dispatcher with `new Dispatcher().set("RDTSC", deterministicRdtsc())`.
 * A scenario's `handlers: { CPUID: { module: ./my-handlers.ts } }` entry
 * names a module whose default export is the handler.
 */
import type { Handler } from "../../src/exits/dispatcher";

/** CPUID as the default answers it, but without RDRAND (CPUID.1:ECX bit 30): compose with `next()`. */
export const cpuidWithoutRdrand: Handler = (vcpu, next) => {
  const leaf = vcpu.regs.rax & 0xffff_ffffn;
  next(); // the default handler fills EAX..EDX and advances RIP
  if (leaf === 1n) vcpu.regs.rcx &= ~(1n << 30n);
};

/** A clock for reproducible runs: every RDTSC reads 1000 cycles more than the last. */
export function deterministicRdtsc(step = 1000n): Handler {
  let now = 0n;
  return (vcpu) => {
    now += step;
    vcpu.regs.rax = now & 0xffff_ffffn; // RDTSC writes EDX:EAX and clears bits 63:32
    vcpu.regs.rdx = now >> 32n;
    vcpu.advanceRip();
  };
}

/** POST codes: OUT to port 0x80 is logged in the hypervisor and never reaches userspace; other ports go on as usual. */
export function postCodeLogger(log: number[]): Handler {
  return (vcpu, next) => {
    const io = vcpu.exit.qualification.io;
    if (io.port !== 0x80 || io.direction !== "out" || io.string) return next();
    log.push(Number(vcpu.regs.rax & 0xffn));
    vcpu.advanceRip();
    vcpu.resume();
  };
}

export default cpuidWithoutRdrand;
