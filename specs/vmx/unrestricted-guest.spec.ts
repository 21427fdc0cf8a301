/**
 * Unrestricted guest (SDM Vol. 3C 25.6.2 Table 25-7 bit 7, 27.3.1.1): with
 * EPT, a guest may run with CR0.PE = 0 (real mode) or CR0.PG = 0 (unpaged
 * protected mode); guest-physical addresses then go through EPT only. The
 * profile decides whether the control exists.
 */
import { assemble } from "../../src/asm/assemble";
import { EptBuilder, PageArena } from "../../src/ept/builder";
import { RAX } from "../../src/guest-cpu/registers";
import { rig } from "./rig";

function unrestricted(profile: string, bits: 16 | 32, code: string) {
  const r = rig({ profile, code: assemble(code, { bits, org: bits === 16 ? 0 : 0x10000 }).bytes });
  const ept = new EptBuilder(r.cpu.mem, new PageArena(r.cpu.mem, 0x30_0000, 0x40_0000));
  ept.identity(0x30_0000);
  r.controls("secondary", ["enable-ept", "unrestricted-guest"]);
  r.controls("entry", []);
  r.set("VM_ENTRY_CONTROLS", r.get("VM_ENTRY_CONTROLS") & ~(1n << 9n)); // not an IA-32e mode guest
  r.set("EPT_POINTER", ept.eptp());
  r.set("GUEST_CR3", 0);
  r.set("GUEST_CR4", 0x2000);
  r.set("GUEST_RSP", 0x8000);
  const flat = (seg: string, sel: number, base: number, limit: number, ar: number) => {
    r.set(`GUEST_${seg}_SELECTOR`, sel);
    r.set(`GUEST_${seg}_BASE`, base);
    r.set(`GUEST_${seg}_LIMIT`, limit);
    r.set(`GUEST_${seg}_AR_BYTES`, ar);
  };
  if (bits === 16) {
    r.set("GUEST_CR0", 0x30); // NE, ET: PE = PG = 0
    flat("CS", 0x1000, 0x10000, 0xffff, 0x9b);
    for (const s of ["SS", "DS", "ES", "FS", "GS"]) flat(s, 0, 0, 0xffff, 0x93);
    r.set("GUEST_RIP", 0);
  } else {
    r.set("GUEST_CR0", 0x31); // PE, NE, ET: PG = 0
    flat("CS", 0x18, 0, 0xffff_ffff, 0xc09b);
    for (const s of ["SS", "DS", "ES", "FS", "GS"]) flat(s, 0x10, 0, 0xffff_ffff, 0xc093);
    r.set("GUEST_RIP", 0x10000);
  }
  return r;
}

describe("unrestricted guest", () => {
  it("runs a real-mode guest (CR0.PE = 0) through EPT", () => {
    const r = unrestricted("default", 16, "mov ax, 0x1234\ncpuid");
    expect(r.launch(100).stop).toBe("exit");
    expect(r.engine.exits[0]).toMatchObject({ reason: "CPUID", guestRip: 3n, instructionLength: 2 });
    expect(r.cpu.s.lo[RAX]! & 0xffff).toBe(0x1234);
    expect(r.get("GUEST_CS_BASE")).toBe(0x10000n);
  });

  it("runs an unpaged protected-mode guest (CR0.PE = 1, PG = 0)", () => {
    const r = unrestricted("default", 32, "mov eax, 0x1234\ncpuid");
    expect(r.launch(100).stop).toBe("exit");
    expect(r.engine.exits[0]).toMatchObject({ reason: "CPUID", guestRip: 0x10005n });
    expect(r.cpu.s.lo[RAX]).toBe(0x1234);
  });

  it("is a reserved control on a profile without it: VMfailValid 7", () => {
    const r = unrestricted("no-unrestricted-guest", 16, "cpuid");
    expect(r.engine.enter(r.vmcs, true)).toMatchObject({ kind: "failValid", error: 7, failure: { id: "ctl-secondary-reserved" } });
  });

  it("without it, CR0.PE = 0 fails the guest CR0 check (fixed bits PE and PG)", () => {
    const r = unrestricted("default", 16, "cpuid");
    r.controls("secondary", ["enable-ept"]);
    expect(r.engine.enter(r.vmcs, true)).toMatchObject({ kind: "entry-failed", failure: { id: "guest-cr0-fixed" } });
  });
});
