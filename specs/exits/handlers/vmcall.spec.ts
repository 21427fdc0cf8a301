import { fakeVcpu } from "../../../src/testing";
import { HYPERCALLS } from "../../../src/exits/handlers";

describe("VMCALL hypercall ABI (RAX = number, RBX/RCX/RDX/RSI = arguments, result in RAX)", () => {
  it("numbers are unique and documented", () => {
    expect(new Set(HYPERCALLS.map((h) => h.nr)).size).toBe(HYPERCALLS.length);
    expect(HYPERCALLS.map((h) => [h.nr, h.name])).toEqual([
      [0, "PRINT_CHAR"], [1, "PRINT_STRING"], [2, "EXIT"], [3, "MAP_PAGE"], [4, "VERSION"], [5, "USERSPACE"],
    ]);
  });

  it("0 PRINT_CHAR prints BL and returns 0", () => {
    const v = fakeVcpu({ exit: "VMCALL", regs: { rax: 0, rbx: 0x41 } });
    v.handle();
    expect(v.record.console).toBe("A");
    expect(v.regs.rax).toBe(0n);
    expect(v).toHaveAdvancedRip(3);
    expect(v).toHaveResumed();
  });

  it("1 PRINT_STRING reads the string through guest paging", () => {
    const v = fakeVcpu({
      exit: "VMCALL",
      regs: { rax: 1, rbx: 0xffff_8000_0000_2000n, rcx: 6 },
      memory: { 0x2000: "Hello\n" },
      translate: (l) => l - 0xffff_8000_0000_0000n,
    });
    v.handle();
    expect(v.record.console).toBe("Hello\n");
  });

  it("1 PRINT_STRING with an unmapped buffer returns -EFAULT", () => {
    const v = fakeVcpu({ exit: "VMCALL", regs: { rax: 1, rbx: 0x5000, rcx: 4 } });
    v.handle();
    expect(v.regs.rax).toBe(BigInt.asUintN(64, -14n));
  });

  it("2 EXIT stops the run with the code", () => {
    const v = fakeVcpu({ exit: "VMCALL", regs: { rax: 2, rbx: 3 } });
    v.handle();
    expect(v).toHaveStopped("guest-exit");
    expect(v.outcome).toEqual({ action: "stop", reason: "guest-exit", detail: { code: 3 } });
  });

  it("3 MAP_PAGE asks the VM to map the page", () => {
    const maps: [bigint, string][] = [];
    const v = fakeVcpu({ exit: "VMCALL", regs: { rax: 3, rbx: 0x20_0123, rcx: 3 }, vm: { mapPage: (g, p) => (maps.push([g, p]), true) } });
    v.handle();
    expect(maps).toEqual([[0x20_0000n, "rw-"]]);
    expect(v.regs.rax).toBe(0n);
  });

  it("5 USERSPACE hands the arguments to the VMM", () => {
    const v = fakeVcpu({ exit: "VMCALL", regs: { rax: 5, rbx: 1, rcx: 2, rdx: 3 } });
    v.handle();
    expect(v).toHaveExitedToUserspace("hypercall", { nr: 5, args: [1n, 2n, 3n] });
  });

  it("an unknown number returns -1000 (KVM's -KVM_ENOSYS)", () => {
    const v = fakeVcpu({ exit: "VMCALL", regs: { rax: 0x99 } });
    v.handle();
    expect(v.regs.rax).toBe(BigInt.asUintN(64, -1000n));
    expect(v).toHaveAdvancedRip(3);
  });

  it("from CPL 3 returns -1 (-KVM_EPERM) and does nothing", () => {
    const v = fakeVcpu({ exit: "VMCALL", regs: { rax: 2, rbx: 1 }, vmcs: { GUEST_SS_AR_BYTES: 0xc0f3n } });
    v.handle();
    expect(v.regs.rax).toBe(BigInt.asUintN(64, -1n));
    expect(v).toHaveResumed();
  });
});
