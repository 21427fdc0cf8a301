/** A tiny deterministic machine for session specs: every 3rd step "exits" and bumps a VMCS field. */
import type { LabEvent, LabTarget } from "../../src/lab/target";

interface FakeState {
  rip: bigint;
  rax: bigint;
  exits: bigint;
  mem: Uint8Array;
}

export class FakeTarget implements LabTarget {
  s: FakeState = { rip: 0x10000n, rax: 0n, exits: 0n, mem: new Uint8Array(32) };
  constructor(private readonly end = 100) {}
  step(): LabEvent[] {
    const s = this.s;
    s.rip += 2n;
    s.rax = (s.rax * 31n + 7n) & 0xffffn;
    s.mem[Number(s.rax % 32n)] = Number(s.rax & 0xffn);
    if (((s.rip - 0x10000n) / 2n) % 3n === 0n) {
      s.exits++;
      return [{ kind: "exit", reason: "CPUID", text: `#${s.exits} CPUID  rip 0x${s.rip.toString(16)}` }];
    }
    return [];
  }
  finished(): string | null {
    return this.s.rip >= 0x10000n + BigInt(2 * this.end) ? "hlt" : null;
  }
  regs(): Record<string, bigint> {
    return { rax: this.s.rax, rip: this.s.rip };
  }
  vmcs(): Record<string, bigint> {
    return { GUEST_RIP: this.s.rip, VM_EXIT_REASON: this.s.exits ? 10n : 0n, EXITS: this.s.exits };
  }
  vmcsGroups(): Record<string, string[]> {
    return { guest: ["GUEST_RIP"], "exit-info": ["VM_EXIT_REASON"] };
  }
  readMemory(gpa: bigint, len: number): Uint8Array {
    return this.s.mem.slice(Number(gpa), Number(gpa) + len);
  }
  disasm(gla: bigint, count: number): string[] {
    return Array.from({ length: count }, (_, i) => `0x${(gla + BigInt(2 * i)).toString(16)}  nop2`);
  }
  walk(gla: bigint): string[] {
    return [`walk 0x${gla.toString(16)}`];
  }
  tlb(): string[] {
    return ["(empty)"];
  }
  explainExit(): string[] {
    return ["CPUID (10): CPUID always exits in VMX non-root operation (SDM Vol. 3C 26.1.2)"];
  }
  save(): unknown {
    return { ...this.s, mem: this.s.mem.slice() };
  }
  restore(snapshot: unknown): void {
    const s = snapshot as FakeState;
    this.s = { ...s, mem: s.mem.slice() };
  }
}
