/**
 * The TLB caches combined (guest-linear → host-physical) translations tagged
 * by VPID, PCID and EP4TA, and is not coherent with EPT changes: a guest keeps
 * using a stale translation until INVEPT, INVVPID, INVLPG, a CR3 load or a VM
 * transition without VPIDs removes it (SDM Vol. 3C 29.4). Real guest code runs
 * on the CPU: `mov rax, [rsi]; hlt`, with EPT installed as VM entry installs it.
 */
import { enterNestedPaging, leaveNestedPaging } from "../../src/ept/attach";
import { EptBuilder, PageArena } from "../../src/ept/builder";
import { createEptPhysicalMap } from "../../src/ept/nested";
import {
  INVEPT_ALL, INVEPT_SINGLE, INVVPID_ADDRESS, INVVPID_ALL, INVVPID_SINGLE, INVVPID_SINGLE_RETAIN_GLOBALS,
} from "../../src/guest-cpu/mmu";
import { CR4, RAX, RSI } from "../../src/guest-cpu/registers";
import { ACTIVE } from "../../src/guest-cpu/state";
import { BARE_LAYOUT } from "../../src/vmm/bare";
import { machine } from "../support/machine";

const DATA = 0x30_0000; // guest-physical (and linear: the bare machine identity-maps)
const OLD = 0x100_0000, NEW = 0x100_1000; // host pages the EPT maps DATA to, before and after the change
const VPID = 1;

function setUp(o: { vpidEnabled?: boolean; globalPage?: boolean } = {}) {
  const cpu = machine("48 8b 06 f4", { memory: 32 << 20, regs: { rsi: DATA } }); // mov rax, [rsi]; hlt
  const mem = cpu.mem;
  mem.write(OLD, 8, 0x1111n);
  mem.write(NEW, 8, 0x2222n);
  if (o.globalPage) {
    // Make the guest's 2-MiB page holding DATA global (PDE bit 8) and turn on CR4.PGE.
    const pde = BARE_LAYOUT.pd + 8 * (DATA >> 21);
    mem.write(pde, 8, mem.read(pde, 8) | 0x100n);
    cpu.s.cr4 |= CR4.PGE;
  }
  const ept = new EptBuilder(mem, new PageArena(mem, 24 << 20, 32 << 20));
  ept.identity(16 << 20);
  ept.map({ from: DATA, to: OLD, size: 0x1000 });
  const eptp = ept.eptp();
  const tags = { vpid: VPID, vpidEnabled: o.vpidEnabled ?? true };
  enterNestedPaging(cpu, createEptPhysicalMap(mem, eptp), tags);
  /** Runs the guest code from the start and returns what it read. */
  const read = (): bigint => {
    cpu.s.rip = 0x10000;
    cpu.s.activity = ACTIVE;
    cpu.s.lo[RSI] = DATA;
    expect(cpu.run(10).stop).toBe("hlt");
    return BigInt(cpu.s.lo[RAX]! >>> 0);
  };
  /** The VMM changes the EPT mapping of DATA (no invalidation). */
  const remap = () => ept.map({ from: DATA, to: NEW, size: 0x1000 });
  return { cpu, ept, eptp, tags, read, remap };
}

describe("a stale translation after an EPT change", () => {
  it("is used until invalidated (the stale-tlb-invept lab)", () => {
    const { cpu, eptp, read, remap } = setUp();
    expect(read()).toBe(0x1111n);
    remap();
    expect(read()).toBe(0x1111n); // the TLB still maps DATA to the old host page
    cpu.mmu.invalidateEpt(INVEPT_SINGLE, eptp);
    expect(read()).toBe(0x2222n);
  });
});

describe("INVEPT (SDM Vol. 3C 29.4.3.1)", () => {
  it.each([
    { name: "single-context with this EPTP", type: INVEPT_SINGLE, other: false, fresh: true },
    { name: "single-context with another EPTP", type: INVEPT_SINGLE, other: true, fresh: false },
    { name: "all-context", type: INVEPT_ALL, other: true, fresh: true },
  ])("$name", ({ type, other, fresh }) => {
    const { cpu, eptp, read, remap } = setUp();
    read();
    remap();
    cpu.mmu.invalidateEpt(type, other ? eptp + 0x1000n : eptp);
    expect(read()).toBe(fresh ? 0x2222n : 0x1111n);
  });
});

describe("INVVPID (SDM Vol. 3C 29.4.3.1)", () => {
  it.each([
    { name: "individual-address for this page", type: INVVPID_ADDRESS, vpid: VPID, addr: DATA, fresh: true },
    { name: "individual-address for another page", type: INVVPID_ADDRESS, vpid: VPID, addr: DATA + 0x1000, fresh: false },
    { name: "individual-address for another VPID", type: INVVPID_ADDRESS, vpid: 2, addr: DATA, fresh: false },
    { name: "single-context", type: INVVPID_SINGLE, vpid: VPID, addr: 0, fresh: true },
    { name: "single-context for another VPID", type: INVVPID_SINGLE, vpid: 2, addr: 0, fresh: false },
    { name: "all-context", type: INVVPID_ALL, vpid: 0, addr: 0, fresh: true },
    { name: "single-context retaining globals (non-global page)", type: INVVPID_SINGLE_RETAIN_GLOBALS, vpid: VPID, addr: 0, fresh: true },
  ])("$name", ({ type, vpid, addr, fresh }) => {
    const { cpu, read, remap } = setUp();
    read();
    remap();
    cpu.mmu.invalidateVpid(type, vpid, addr);
    expect(read()).toBe(fresh ? 0x2222n : 0x1111n);
  });

  it("single-context retaining globals keeps a global page's translation", () => {
    const { cpu, read, remap } = setUp({ globalPage: true });
    read();
    remap();
    cpu.mmu.invalidateVpid(INVVPID_SINGLE_RETAIN_GLOBALS, VPID, 0);
    expect(read()).toBe(0x1111n);
    cpu.mmu.invalidateVpid(INVVPID_SINGLE, VPID, 0);
    expect(read()).toBe(0x2222n);
  });
});

describe("VM transitions, INVLPG and MOV to CR3", () => {
  it("with VPIDs, translations survive a VM exit and the next VM entry", () => {
    const { cpu, eptp, read, remap, tags } = setUp();
    read();
    remap();
    leaveNestedPaging(cpu, tags);
    enterNestedPaging(cpu, createEptPhysicalMap(cpu.mem, eptp), tags);
    // Same EPTP and VPID: the guest's context comes back with its entries.
    expect(read()).toBe(0x1111n);
  });

  it("without VPIDs, every VM entry and exit flushes VPID 0000H", () => {
    const { cpu, eptp, read, remap, tags } = setUp({ vpidEnabled: false });
    read();
    remap();
    leaveNestedPaging(cpu, tags);
    enterNestedPaging(cpu, createEptPhysicalMap(cpu.mem, eptp), tags);
    expect(read()).toBe(0x2222n);
  });

  it("INVLPG drops the page for the current VPID", () => {
    const { cpu, read, remap } = setUp();
    read();
    remap();
    cpu.mmu.invlpg(DATA);
    expect(read()).toBe(0x2222n);
  });

  it("MOV to CR3 drops non-global entries of the current VPID and PCID", () => {
    const { cpu, read, remap } = setUp();
    read();
    remap();
    cpu.mmu.movCr3();
    expect(read()).toBe(0x2222n);
  });

  it("MOV to CR3 keeps global entries, and with CR4.PCIDE and bit 63 set keeps everything", () => {
    const g = setUp({ globalPage: true });
    g.read();
    g.remap();
    g.cpu.mmu.movCr3();
    expect(g.read()).toBe(0x1111n);
    const p = setUp();
    p.cpu.s.cr4 |= CR4.PCIDE;
    p.read();
    p.remap();
    p.cpu.mmu.movCr3(true);
    expect(p.read()).toBe(0x1111n);
  });

  it("contexts are tagged by VPID: another VPID does not see this one's entries", () => {
    const { cpu, eptp, read, remap } = setUp();
    read();
    remap();
    enterNestedPaging(cpu, createEptPhysicalMap(cpu.mem, eptp), { vpid: 2, vpidEnabled: true });
    expect(read()).toBe(0x2222n);
    expect(cpu.mmu.tags).toEqual({ vpid: 2, pcid: 0, ep4ta: Number(eptp & ~0xfffn) });
  });
});
