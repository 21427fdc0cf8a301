import { Vm } from "../../src/vmm/vm";

describe("EPT mappings of a VM", () => {
  it("guest RAM left out of the EPT is mapped lazily on its first EPT violation (KVM's page fault path)", () => {
    const vm = new Vm({
      memory: 1 << 20,
      ept: [{ gpa: 0, size: 0x80000 }],
      asm: "mov rbx, 0x90000\nmov qword [rbx], 0x77\nmov rax, [rbx]\nhlt",
    });
    const r = vm.run();
    expect(r.exits.map((e) => e.reason)).toEqual(["EPT_VIOLATION", "HLT"]);
    expect(r.exits[0]!.guestPhysicalAddress).toBe(0x90000n);
    expect(r.regs.rax).toBe("0x77");
    expect(vm.ept!.lookup(0x90000).addr).not.toBeNull();
  });

  it("a mapping to another host-physical address: the guest's page is elsewhere in host memory", () => {
    const vm = new Vm({
      memory: 1 << 20,
      ept: [{ gpa: 0, size: 0x80000 }, { gpa: 0x80000, size: 0x1000, hpa: 0x81000 }],
      asm: "mov rbx, 0x80000\nmov dword [rbx], 0x1234\nhlt",
    });
    vm.run();
    expect(vm.mem.read32(0x81000)).toBe(0x1234);
    expect(vm.mem.read32(0x80000)).toBe(0);
  });

  it("misaligned mappings are input errors", () => {
    expect(() => new Vm({ memory: 1 << 20, ept: [{ gpa: 0x10, size: 0x1000 }] })).toThrow(/not 4-KByte aligned/);
  });
});
