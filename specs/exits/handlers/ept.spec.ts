import { assemble } from "../../../src/asm/assemble";
import { completeMmioRead, fakeVcpu } from "../../../src/testing";
import type { VmServices } from "../../../src/exits/vcpu";

/** Guest code at RIP 0x10000 (the fake's default), assembled from Intel syntax. */
function code(src: string): Record<number, Uint8Array> {
  return { 0x10000: assemble(src, { org: 0x10000 }).bytes };
}

const MMIO: VmServices = { memoryKind: (gpa) => (gpa >= 0xfe00_0000n ? "mmio" : "ram") };

describe("EPT violation (SDM Vol. 3C 29.3.3.2, Table 28-7)", () => {
  it("maps RAM lazily and retries the instruction (RIP unchanged)", () => {
    const mapped: bigint[] = [];
    const v = fakeVcpu({
      exit: { reason: "EPT_VIOLATION", qualification: { ept: { read: true, glaValid: true, translated: true } }, guestPhysicalAddress: 0x20_0010 },
      vm: { memoryKind: () => "ram", mapRam: (g) => void mapped.push(g) },
    });
    v.handle();
    expect(mapped).toEqual([0x20_0010n]);
    expect(v).toHaveResumed();
    expect(v).not.toHaveAdvancedRip();
  });

  it("turns a store to device memory into an mmio exit and completes the instruction", () => {
    const v = fakeVcpu({
      exit: { reason: "EPT_VIOLATION", qualification: { ept: { write: true, glaValid: true, translated: true } }, guestPhysicalAddress: 0xfe00_0004n },
      regs: { rax: 0xfe00_0004n, rbx: 0x1122_3344_5566_7788n },
      memory: code("mov dword [rax], ebx"),
      vm: MMIO,
    });
    v.handle();
    expect(v).toHaveExitedToUserspace("mmio", { address: 0xfe00_0004n, direction: "write", size: 4, value: 0x5566_7788n });
    expect(v).toHaveAdvancedRip(2);
  });

  it("stores of an immediate carry the immediate", () => {
    const v = fakeVcpu({
      exit: { reason: "EPT_VIOLATION", qualification: { ept: { write: true } }, guestPhysicalAddress: 0xfe00_0000n },
      regs: { rdi: 0xfe00_0000n },
      memory: code("mov byte [rdi], 0x41"),
      vm: MMIO,
    });
    v.handle();
    expect(v).toHaveExitedToUserspace("mmio", { direction: "write", size: 1, value: 0x41n });
  });

  it.each([
    ["mov eax, [rbx]", "rax", 0xffff_ffff_ffff_ffffn, 0x8765_4321n, 0x8765_4321n],
    ["movzx ecx, byte [rbx]", "rcx", 0xffff_ffff_ffff_ffffn, 0xf0n, 0xf0n],
    ["movsx rax, word [rbx]", "rax", 0n, 0x8001n, 0xffff_ffff_ffff_8001n],
    ["mov ah, [rbx]", "rax", 0x1111n, 0x22n, 0x2211n],
  ] as const)("a load (%s) exits to userspace and completes with the device's value", (src, reg, before, dev, after) => {
    const v = fakeVcpu({
      exit: { reason: "EPT_VIOLATION", qualification: { ept: { read: true } }, guestPhysicalAddress: 0xfe00_0000n },
      regs: { rbx: 0xfe00_0000n, [reg]: before },
      memory: code(src),
      vm: MMIO,
    });
    v.handle();
    expect(v).toHaveExitedToUserspace("mmio", { direction: "read" });
    completeMmioRead(v, dev);
    expect(v.getReg(reg)).toBe(after);
    expect(v).toHaveAdvancedRip(assemble(src).bytes.length);
  });

  it("an address with no memory behind it is MMIO too (KVM: no memslot)", () => {
    const v = fakeVcpu({
      exit: { reason: "EPT_VIOLATION", qualification: { ept: { read: true } }, guestPhysicalAddress: 0x4000_0000n },
      regs: { rbx: 0x4000_0000n },
      memory: code("mov eax, [rbx]"),
    });
    v.handle();
    expect(v).toHaveExitedToUserspace("mmio", { address: 0x4000_0000n, size: 4 });
  });

  it("an instruction the MMIO emulator does not know is an internal error", () => {
    const v = fakeVcpu({
      exit: { reason: "EPT_VIOLATION", qualification: { ept: { write: true, readable: true } }, guestPhysicalAddress: 0xfe00_0000n },
      memory: code("add [rax], ebx"),
      vm: MMIO,
    });
    v.handle();
    expect(v).toHaveExitedToUserspace("internal-error");
    expect(v.outcome).toMatchObject({ exit: { message: expect.stringMatching(/MOV\/MOVZX\/MOVSX.*Add/) } });
  });

  it("a write to RAM mapped read-only goes to userspace as MMIO (KVM read-only memslot)", () => {
    const v = fakeVcpu({
      exit: { reason: "EPT_VIOLATION", qualification: { ept: { write: true, readable: true, executable: true } }, guestPhysicalAddress: 0x1000n },
      regs: { rax: 0x1000n, rbx: 7n },
      memory: code("mov [rax], bl"),
      vm: { memoryKind: () => "ram", mapRam: () => { throw new Error("must not map"); } },
    });
    v.handle();
    expect(v).toHaveExitedToUserspace("mmio", { direction: "write", value: 7n, size: 1 });
  });
});

describe("EPT misconfiguration (SDM Vol. 3C 29.3.3.1)", () => {
  it("is an internal error naming the address", () => {
    const v = fakeVcpu({ exit: { reason: "EPT_MISCONFIG", guestPhysicalAddress: 0x5000n } });
    v.handle();
    expect(v).toHaveExitedToUserspace("internal-error", { reason: "EPT_MISCONFIG" });
    expect(v.outcome).toMatchObject({ exit: { message: expect.stringContaining("GPA 0x5000") } });
  });

  it("on device memory is emulated as MMIO (KVM's MMIO SPTEs)", () => {
    const v = fakeVcpu({ exit: { reason: "EPT_MISCONFIG", guestPhysicalAddress: 0xfe00_0000n }, regs: { rbx: 0xfe00_0000n }, memory: code("mov eax, [rbx]"), vm: MMIO });
    v.handle();
    expect(v).toHaveExitedToUserspace("mmio", { direction: "read" });
  });
});

describe("APIC access (Table 28-6) without an in-kernel APIC", () => {
  it("a write to the EOI register becomes an MMIO write at APIC_ACCESS_ADDR + offset", () => {
    const v = fakeVcpu({
      exit: { reason: "APIC_ACCESS", qualification: { apicAccess: { offset: 0xb0, access: "linear-write" } } },
      vmcs: { APIC_ACCESS_ADDR: 0xfee0_0000n },
      regs: { rax: 0xfee0_00b0n, rbx: 0 },
      memory: code("mov dword [rax], ebx"),
    });
    v.handle();
    expect(v).toHaveExitedToUserspace("mmio", { address: 0xfee0_00b0n, direction: "write", size: 4, value: 0n });
  });

  it("an access during event delivery is an internal error", () => {
    const v = fakeVcpu({ exit: { reason: "APIC_ACCESS", qualification: { apicAccess: { access: "physical-event-delivery" } } } });
    v.handle();
    expect(v).toHaveExitedToUserspace("internal-error", { reason: "APIC_ACCESS" });
  });
});
