/**
 * "Use TPR shadow" (SDM Vol. 3C 30.1, 30.3): MOV to/from CR8 use VTPR at
 * offset 80H of the virtual-APIC page instead of the TPR; a MOV to CR8 that
 * drops VTPR[7:4] below TPR_THRESHOLD[3:0] causes a trap-like
 * TPR-below-threshold VM exit (RIP past the MOV).
 */
import { assemble } from "../../src/asm/assemble";
import { RBX } from "../../src/guest-cpu/registers";
import { GUEST_CODE, rig } from "./rig";

const VAPIC = 0x5_0000;
const CODE = "mov eax, 2\nmov cr8, rax\nafter: mov rbx, cr8\nhlt";

function setUp(threshold: number) {
  const r = rig({ code: CODE });
  r.controls("primary", ["use-tpr-shadow"]);
  r.set("VIRTUAL_APIC_PAGE_ADDR", VAPIC);
  r.set("TPR_THRESHOLD", threshold);
  r.cpu.mem.write(VAPIC + 0x80, 4, 0xf0n);
  return r;
}

describe("TPR shadow", () => {
  it("MOV to CR8 writes VTPR and MOV from CR8 reads it; the real CR8 is untouched", () => {
    const r = setUp(1);
    expect(r.launch(100).stop).toBe("hlt");
    expect(r.cpu.mem.read(VAPIC + 0x80, 4)).toBe(0x20n);
    expect(r.cpu.s.lo[RBX]).toBe(2);
    expect(r.cpu.s.cr8).toBe(0);
  });

  it("dropping VTPR below the threshold exits after the MOV (reason 43)", () => {
    const r = setUp(3);
    expect(r.launch(100).stop).toBe("exit");
    const after = assemble(CODE, { org: GUEST_CODE }).labels.get("after")!;
    expect(r.engine.exits[0]).toMatchObject({ reason: "TPR_BELOW_THRESHOLD", basicReason: 43, guestRip: BigInt(after), instructionLength: 0 });
  });
});
