import { HostMemory } from "../../src/memory/host-memory";
import { SLOT } from "../../src/vmcs/fields";
import { REGION, Vmcs } from "../../src/vmcs/vmcs";

describe("Vmcs field storage", () => {
  it.each([
    ["GUEST_CS_SELECTOR", 0x1234_5678n, 0x5678n],
    ["GUEST_CS_LIMIT", 0x1_ffff_ffffn, 0xffff_ffffn],
    ["GUEST_RIP", 0xffff_8000_0000_1000n, 0xffff_8000_0000_1000n],
    ["TSC_OFFSET", -5n, 0xffff_ffff_ffff_fffbn],
    ["VMCS_LINK_POINTER", 0xffff_ffff_ffff_ffffn, 0xffff_ffff_ffff_ffffn],
  ])("write(%s, %s) truncates to the field's width", (name, v, expected) => {
    const vm = new Vmcs(0x1000, 4);
    vm.write(name, v);
    expect(vm.read(name)).toBe(expected);
  });

  it("the _HIGH access reads and writes bits 63:32 only (SDM 25.11.2)", () => {
    const vm = new Vmcs(0x1000, 4);
    vm.write("EPT_POINTER", 0x1122_3344_5566_7788n);
    expect(vm.read("EPT_POINTER_HIGH")).toBe(0x1122_3344n);
    vm.write("EPT_POINTER_HIGH", 0xaaaa_bbbb_cccc_ddddn);
    expect(vm.read("EPT_POINTER")).toBe(0xcccc_dddd_5566_7788n);
  });

  it("the numeric path agrees with the bigint path", () => {
    const vm = new Vmcs(0x1000, 4);
    vm.setNum(SLOT.GUEST_RIP, -0x7fff_f000);
    expect(vm.read("GUEST_RIP")).toBe(BigInt.asUintN(64, -0x7fff_f000n));
    expect(vm.num(SLOT.GUEST_RIP)).toBe(-0x7fff_f000);
    vm.write("HOST_RSP", 0x0000_7fff_ffff_f000n);
    expect(vm.num(SLOT.HOST_RSP)).toBe(0x7fff_ffff_f000);
    vm.setU32(SLOT.GUEST_ES_SELECTOR, 0xabcdef);
    expect(vm.u32(SLOT.GUEST_ES_SELECTOR)).toBe(0xcdef);
    vm.setU32(SLOT.CPU_BASED_VM_EXEC_CONTROL, 0x8401_e172);
    expect(vm.u32(SLOT.CPU_BASED_VM_EXEC_CONTROL)).toBe(0x8401_e172);
  });

  it("records fields changed since the last entry", () => {
    const vm = new Vmcs(0x1000, 4);
    vm.clearChanged();
    vm.write("GUEST_RIP", 1n);
    vm.setU32(SLOT.EXCEPTION_BITMAP, 2);
    vm.write("GUEST_RIP", 3n);
    expect(vm.changedFields()).toEqual(["GUEST_RIP", "EXCEPTION_BITMAP"]);
    vm.clearChanged();
    expect(vm.changedFields()).toEqual([]);
  });

  it("round-trips through its region in memory (VMCLEAR write-back, VMPTRLD load)", () => {
    const mem = new HostMemory(1 << 20);
    const vm = new Vmcs(0x5000, 0x1234, true);
    vm.write("GUEST_RIP", 0xffff_ffff_8000_0000n);
    vm.write("GUEST_CS_SELECTOR", 0x10n);
    vm.launched = true;
    vm.flushTo(mem);
    expect(mem.read32(0x5000 + REGION.REVISION) >>> 0).toBe(0x8000_1234);
    const back = Vmcs.loadFrom(mem, 0x5000);
    expect(back.revisionId).toBe(0x1234);
    expect(back.shadow).toBe(true);
    expect(back.launched).toBe(true);
    expect(back.read("GUEST_RIP")).toBe(0xffff_ffff_8000_0000n);
    expect(back.read("GUEST_CS_SELECTOR")).toBe(0x10n);
  });

  it("rejects unknown names as a programming error", () => {
    expect(() => new Vmcs(0, 4).read("GUEST_RIPP")).toThrow(/unknown VMCS field/);
  });
});
