/**
 * Guest code running under EPT on the CPU, installed with the one call the
 * VMX layer makes at VM entry (enterNestedPaging). Accesses reach host pages
 * through EPT; a failing access throws the EPT signal to the run loop before
 * any side effect, with RIP still at the instruction (SDM Vol. 3C 28.1).
 */
import { enterNestedPaging } from "../../src/ept/attach";
import { EptBuilder, PageArena } from "../../src/ept/builder";
import { createEptPhysicalMap } from "../../src/ept/nested";
import { EptMisconfig, EptViolation } from "../../src/ept/signals";
import { RAX, RBX } from "../../src/guest-cpu/registers";
import { machine } from "../support/machine";

const DATA = 0x30_0000, HOST_PAGE = 0x100_0000;

function setUp(code: string, dataPerms = "rw-") {
  const cpu = machine(code, { memory: 32 << 20, regs: { rsi: DATA, rax: 0x1234_5678 } });
  const ept = new EptBuilder(cpu.mem, new PageArena(cpu.mem, 24 << 20, 32 << 20));
  ept.identity(16 << 20);
  ept.map({ from: DATA, to: HOST_PAGE, size: 0x1000, perms: dataPerms });
  enterNestedPaging(cpu, createEptPhysicalMap(cpu.mem, ept.eptp()), { vpid: 1, vpidEnabled: true });
  const signals: unknown[] = [];
  cpu.onSignal = (sig) => { signals.push(sig); return true; };
  return { cpu, ept, signals };
}

describe("guest memory accesses in non-root operation with EPT", () => {
  it("land in the host page the EPT maps the guest-physical page to", () => {
    const { cpu, signals } = setUp("48 89 06 48 8b 1e f4"); // mov [rsi], rax; mov rbx, [rsi]; hlt
    expect(cpu.run(10).stop).toBe("hlt");
    expect(signals).toEqual([]);
    expect(cpu.s.lo[RBX]).toBe(0x1234_5678);
    expect(cpu.mem.read(HOST_PAGE, 8)).toBe(0x1234_5678n);
    expect(cpu.mem.read(DATA, 8)).toBe(0n);
  });

  it("a write to an EPT read-only page exits with the instruction not executed", () => {
    const { cpu, signals } = setUp("48 89 06 f4", "r--"); // mov [rsi], rax
    expect(cpu.run(10).stop).toBe("exit");
    expect(signals).toHaveLength(1);
    const v = signals[0] as EptViolation;
    expect(v).toBeInstanceOf(EptViolation);
    // Table 28-7: write (1), readable (3), GLA valid (7), linear translation (8), writable linear address (10);
    // bit 11 stays 0 because the guest maps the page executable (1 would mean execute-disable).
    expect(v.qualification).toBe((1 << 1) | (1 << 3) | (1 << 7) | (1 << 8) | (1 << 10));
    expect([v.gpa, v.gla]).toEqual([DATA, DATA]);
    expect(cpu.s.rip).toBe(0x10000);
    expect(cpu.mem.read(HOST_PAGE, 8)).toBe(0n);
  });

  it("an instruction fetch from an EPT page without execute access exits as a fetch", () => {
    const { cpu, ept, signals } = setUp("f4");
    ept.map({ from: 0x10000, size: 0x1000, perms: "rw-" });
    cpu.mmu.invalidateEpt(2, 0n);
    expect(cpu.run(10).stop).toBe("exit");
    const v = signals[0] as EptViolation;
    expect(v.qualification & 7).toBe(4);
    expect(v.gpa).toBe(0x10000);
  });

  it("a misconfigured entry exits as EPT misconfiguration with the guest-physical address", () => {
    const { cpu, ept, signals } = setUp("48 8b 1e f4"); // mov rbx, [rsi]
    ept.setEntry(DATA, 3, BigInt(HOST_PAGE) | 0x3an); // write-only, WB
    expect(cpu.run(10).stop).toBe("exit");
    expect(signals[0]).toEqual(new EptMisconfig(DATA, 3));
    expect(cpu.s.lo[RAX]).toBe(0x1234_5678);
  });
});
