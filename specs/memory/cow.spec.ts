/**
 * Copy-on-write snapshots of host memory, driven by a real CPU: the first
 * write to a page after a snapshot preserves it, including writes by compiled
 * code through TLB entries filled before the snapshot.
 */
import { assemble } from "../../src/asm/assemble";
import { createBareMachine } from "../../src/vmm/bare";
import { CowTracker } from "../../src/memory/cow";
import { HostMemory, PAGE_SIZE } from "../../src/memory/host-memory";
import { flushCpuCaches, restoreCpuState, saveCpuState } from "../../src/vmm/snapshot/cpu-state";
import type { Cpu } from "../../src/guest-cpu/cpu";

const MEM = 1 << 20;

/** Loops `rcx` times storing an incrementing counter at [0x20000] and [0x30008], then HLT. */
const LOOP = `
  mov rbx, 0x20000
l: inc qword [rbx]
  mov rax, [rbx]
  mov [0x30008], rax
  dec rcx
  jnz l
  hlt
`;

function machine(): { cpu: Cpu; cow: CowTracker } {
  const code = assemble(LOOP, { org: 0x10000 }).bytes;
  const cpu = createBareMachine(code, { memory: MEM, mode: "long64", load: 0x10000 });
  const cow = new CowTracker(cpu.mem, {
    protect: () => cpu.mmu.protectAll(), // without it the first test fails: the TLB keeps write permission
    invalidateCode: () => flushCpuCaches(cpu),
  });
  return { cpu, cow };
}

const q = (cpu: Cpu, pa: number) => cpu.mem.read(pa, 8);

describe("copy-on-write snapshots of host memory", () => {
  it("a snapshot copies nothing until a page is written", () => {
    const mem = new HostMemory(16 * PAGE_SIZE);
    const cow = new CowTracker(mem, { protect: () => {}, invalidateCode: () => {} });
    const s = cow.snapshot();
    expect(s.copiedPages).toBe(0);
    mem.write(0x1000, 4, 0x1234n);
    mem.write(0x1004, 4, 0x5678n); // second write to the same page: no second copy
    expect(s.copiedPages).toBe(1);
    expect(s.read(0x1000, 4)).toEqual(new Uint8Array(4));
    expect(cow.restore(s)).toEqual([1]);
    expect(mem.read(0x1000, 4)).toBe(0n);
  });

  it("writes by compiled guest code through TLB entries filled before the snapshot are tracked", () => {
    const { cpu, cow } = machine();
    cpu.s.lo[1] = 10; // rcx
    cpu.run(1_000_000); // warms the TLB with write permission to 0x20000 and 0x30000
    expect(q(cpu, 0x20000)).toBe(10n);
    cpu.s.activity = 0;
    cpu.s.rip = 0x10000;
    cpu.s.lo[1] = 5;
    const cpuBefore = saveCpuState(cpu.s);
    const snap = cow.snapshot("after 10");
    cpu.run(1_000_000);
    expect(q(cpu, 0x20000)).toBe(15n);
    expect(snap.copiedPages).toBe(2);
    expect(snap.read(0x20000, 1)[0]).toBe(10);
    cow.restore(snap);
    restoreCpuState(cpu, cpuBefore);
    expect(q(cpu, 0x20000)).toBe(10n);
    expect(q(cpu, 0x30008)).toBe(10n);
    // Running again from the restored state gives the same result as the first time.
    cpu.run(1_000_000);
    expect(q(cpu, 0x20000)).toBe(15n);
    expect(cpu.s.lo[1]).toBe(0);
  });

  it("restoring twice from the same snapshot works (tracking is re-armed)", () => {
    const { cpu, cow } = machine();
    cpu.s.lo[1] = 3;
    const start = saveCpuState(cpu.s);
    const snap = cow.snapshot();
    for (let i = 0; i < 2; i++) {
      cpu.run(1_000_000);
      expect(q(cpu, 0x20000)).toBe(3n);
      cow.restore(snap);
      restoreCpuState(cpu, start);
      expect(q(cpu, 0x20000)).toBe(0n);
    }
  });

  it("several snapshots each keep their own view; restoring an older one keeps a newer one valid", () => {
    const mem = new HostMemory(16 * PAGE_SIZE);
    const cow = new CowTracker(mem, { protect: () => {}, invalidateCode: () => {} });
    mem.write(0x2000, 1, 1n);
    const a = cow.snapshot("a");
    mem.write(0x2000, 1, 2n);
    const b = cow.snapshot("b");
    mem.write(0x2000, 1, 3n);
    mem.write(0x3000, 1, 9n);
    expect(a.read(0x2000, 1)[0]).toBe(1);
    expect(b.read(0x2000, 1)[0]).toBe(2);
    expect(b.read(0x3000, 1)[0]).toBe(0);
    cow.restore(a);
    expect(mem.read(0x2000, 1)).toBe(1n);
    expect(mem.read(0x3000, 1)).toBe(0n);
    expect(b.read(0x2000, 1)[0]).toBe(2);
    cow.restore(b);
    expect(mem.read(0x2000, 1)).toBe(2n);
  });

  it("restoring code pages drops decoded blocks (the restored code runs, not the stale one)", () => {
    const { cpu, cow } = machine();
    cpu.s.lo[1] = 1;
    const start = saveCpuState(cpu.s);
    const snap = cow.snapshot();
    cpu.run(1_000_000);
    // Patch `inc qword [rbx]` into `dec qword [rbx]` (opcode extension /1): decoded code must follow.
    const patched = assemble(LOOP.replace("inc qword", "dec qword"), { org: 0x10000 }).bytes;
    cpu.mem.writeBytes(0x10000, patched);
    restoreCpuState(cpu, start);
    cpu.mem.write(0x20000, 8, 0n);
    cpu.run(1_000_000);
    expect(q(cpu, 0x20000)).toBe(0xffff_ffff_ffff_ffffn);
    cow.restore(snap);
    restoreCpuState(cpu, start);
    cpu.run(1_000_000);
    expect(q(cpu, 0x20000)).toBe(1n);
  });

  it("materialize gives the full image as of the snapshot", () => {
    const mem = new HostMemory(4 * PAGE_SIZE);
    const cow = new CowTracker(mem, { protect: () => {}, invalidateCode: () => {} });
    mem.write(0x10, 1, 7n);
    const s = cow.snapshot();
    mem.write(0x10, 1, 8n);
    const img = s.materialize();
    expect(img.length).toBe(4 * PAGE_SIZE);
    expect(img[0x10]).toBe(7);
  });
});
