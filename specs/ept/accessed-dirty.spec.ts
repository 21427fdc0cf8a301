/**
 * Accessed and dirty flags for EPT (SDM Vol. 3C 29.3.5), enabled by EPTP bit
 * 6: every EPT entry used gets A (bit 8), the leaf of a written guest-physical
 * address gets D (bit 9), and guest paging-structure accesses count as writes,
 * so the pages holding the guest's tables become dirty too.
 */
import { GUEST_TABLES, makeRig, TARGET_GPA } from "./rig";

const A = 1n << 8n, D = 1n << 9n;
/** Guest entry flags (SDM Vol. 3A 4.8). */
const GA = 1n << 5n, GD = 1n << 6n;

function eptEntries(rig: ReturnType<typeof makeRig>, gpa: number): bigint[] {
  return [0, 1, 2, 3].map((l) => rig.mem.read(rig.ept.entryAddr(gpa, l), 8));
}

describe("accessed and dirty flags for EPT (SDM Vol. 3C 29.3.5)", () => {
  it("a read sets A in every EPT entry used and leaves D clear", () => {
    const rig = makeRig();
    expect(rig.translate("read", { ad: true }).fault).toBeNull();
    const e = eptEntries(rig, TARGET_GPA);
    expect(e.map((v) => (v & A) !== 0n)).toEqual([true, true, true, true]);
    expect(e[3]! & D).toBe(0n);
  });

  it("a write also sets D in the leaf", () => {
    const rig = makeRig();
    expect(rig.translate("write", { ad: true }).fault).toBeNull();
    expect(eptEntries(rig, TARGET_GPA)[3]! & D).toBe(D);
  });

  it("guest paging-structure reads count as writes: the leaf mapping the guest's tables becomes dirty", () => {
    const rig = makeRig();
    expect(rig.translate("read", { ad: true }).fault).toBeNull();
    // The guest tables sit in the EPT 2-MiB page mapping gpa [0, 2 MiB).
    const leaf = rig.ept.lookup(GUEST_TABLES);
    expect(leaf.value & (A | D)).toBe(A | D);
  });

  it("without EPTP bit 6 the processor leaves EPT entries alone", () => {
    const rig = makeRig();
    const before = eptEntries(rig, TARGET_GPA);
    expect(rig.translate("write", { ad: false }).fault).toBeNull();
    expect(eptEntries(rig, TARGET_GPA)).toEqual(before);
    expect(rig.ept.lookup(GUEST_TABLES).value & (A | D)).toBe(0n);
  });

  it("the guest's own flags are set through EPT: A on the walk, D on the write", () => {
    const rig = makeRig();
    const pte = () => rig.guest.lookup(1 << 30).value;
    expect(pte() & (GA | GD)).toBe(0n);
    rig.translate("read");
    expect(pte() & (GA | GD)).toBe(GA);
    rig.translate("write");
    expect(pte() & (GA | GD)).toBe(GA | GD);
  });

  it("setting the guest's dirty flag in an EPT read-only table page is an EPT violation on that entry", () => {
    const rig = makeRig();
    rig.translate("read"); // guest accessed flags set; dirty still clear
    rig.ept.map({ from: GUEST_TABLES, size: 0x10000, perms: "r-x" });
    const res = rig.translate("write");
    expect(res.fault?.kind).toBe("ept-violation");
    if (res.fault?.kind !== "ept-violation") return;
    // Data write to a paging-structure entry: bits 1, 3, 5 and 7; bit 8 clear.
    expect(res.fault.qualification).toBe((1 << 1) | (1 << 3) | (1 << 5) | (1 << 7));
    // The PTE of linear 1 GiB: PT page = 4th table page, index 0.
    expect(res.fault.gpa).toBe(GUEST_TABLES + 3 * 0x1000);
  });
});
