/**
 * EPT permissions as a generated matrix: R/W/X of one EPT entry × access type
 * × page size × level of that entry. Expected outcomes and qualifications are
 * computed here by hand from the SDM, not with src/ept's encoder:
 *   SDM Vol. 3C 29.3.3.1  bits 2:0 = 010b or 110b → EPT misconfiguration;
 *   SDM Vol. 3C 29.3.3.2  not present, or the access's R/W/X bit clear in an entry used → EPT violation;
 *   SDM Vol. 3C 28.2.1 Table 28-7 for the qualification bits.
 */
import { GiB, KiB, makeRig, MiB, OFFSET, TARGET_GPA, TARGET_LIN } from "./rig";

/** Table 28-7, written out independently of src/ept/qualification.ts. */
const T28_7 = {
  dataRead: 1 << 0,
  dataWrite: 1 << 1,
  fetch: 1 << 2,
  readable: 1 << 3, // AND of bit 0 over the EPT entries used
  writable: 1 << 4, // AND of bit 1
  executable: 1 << 5, // AND of bit 2
  glaValid: 1 << 7,
  linearTranslation: 1 << 8, // 1: final access; 0: guest paging-structure access
  userLinear: 1 << 9, // advanced information (the default capabilities report it)
  writableLinear: 1 << 10,
  executeDisableLinear: 1 << 11, // 0: the guest maps the linear address executable
};

const ACCESSES = ["read", "write", "fetch"] as const;
const PAGE_SIZES = [4 * KiB, 2 * MiB, 1 * GiB];
/** Level of the leaf (0 = EPT PML4E) for each page size. */
const LEAF_LEVEL: Record<number, number> = { [4 * KiB]: 3, [2 * MiB]: 2, [1 * GiB]: 1 };
const PERMS = ["---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx"];

interface Case {
  perms: string;
  access: (typeof ACCESSES)[number];
  pageSize: number;
  level: number;
}

const cases: Case[] = [];
for (const perms of PERMS)
  for (const access of ACCESSES)
    for (const pageSize of PAGE_SIZES)
      for (let level = 0; level <= LEAF_LEVEL[pageSize]!; level++) cases.push({ perms, access, pageSize, level });

function expected(c: Case): { kind: "ok" } | { kind: "misconfig" } | { kind: "violation"; qualification: number } {
  const r = c.perms[0] === "r", w = c.perms[1] === "w", x = c.perms[2] === "x";
  if (w && !r) return { kind: "misconfig" };
  const allowed = c.access === "read" ? r : c.access === "write" ? w : x;
  if (allowed) return { kind: "ok" };
  let q = c.access === "read" ? T28_7.dataRead : c.access === "write" ? T28_7.dataWrite : T28_7.fetch;
  // Every other entry on the path grants R/W/X, so the ANDs equal this entry's bits (0 when not present).
  if (r) q |= T28_7.readable;
  if (w) q |= T28_7.writable;
  if (x) q |= T28_7.executable;
  // A linear access by supervisor code to a page the guest maps read/write and executable (bits 9 and 11 clear).
  q |= T28_7.glaValid | T28_7.linearTranslation | T28_7.writableLinear;
  return { kind: "violation", qualification: q };
}

describe("EPT permissions (generated matrix, SDM Vol. 3C 29.3.3 and Table 28-7)", () => {
  it("covers every combination", () => {
    expect(cases.length).toBe(PERMS.length * ACCESSES.length * (4 + 3 + 2));
  });

  it.each(cases.map((c) => [`${c.perms} ${c.access} ${c.pageSize / KiB} KiB page, entry at level ${c.level}`, c] as const))(
    "%s",
    (_name, c) => {
      const rig = makeRig({ targetPage: c.pageSize });
      // Give the entry at `level` on the target's path the permissions under test.
      const addr = rig.ept.entryAddr(TARGET_GPA, c.level);
      const old = rig.mem.read(addr, 8);
      const bits = (c.perms[0] === "r" ? 1n : 0n) | (c.perms[1] === "w" ? 2n : 0n) | (c.perms[2] === "x" ? 4n : 0n);
      rig.mem.write(addr, 8, (old & ~0x407n) | bits | (c.perms[2] === "x" ? 0x400n : 0n));
      const res = rig.translate(c.access);
      const e = expected(c);
      if (e.kind === "ok") {
        expect(res.fault).toBeNull();
        expect(res.gpa).toBe(TARGET_GPA + OFFSET);
        expect(res.hpa).toBe(rig.targetHpa + OFFSET);
      } else if (e.kind === "misconfig") {
        expect(res.fault).toEqual({ kind: "ept-misconfig", gpa: TARGET_GPA + OFFSET, level: c.level });
      } else {
        expect(res.fault).toMatchObject({ kind: "ept-violation", gpa: TARGET_GPA + OFFSET, gla: TARGET_LIN + OFFSET });
        if (res.fault?.kind !== "ept-violation") throw new Error("unreachable");
        expect(res.fault.qualification.toString(2)).toBe(e.qualification.toString(2));
        // A not-present entry stops the walk at its level.
        if (c.perms === "---") expect(res.fault.level).toBe(c.level);
      }
    },
  );
});

describe("EPT violations on guest paging-structure accesses (Table 28-7 bits 0, 1 and 8)", () => {
  // The guest's PML4 page (gpa 1 MiB) loses EPT read/write access; the walk reads it first.
  const cases = [
    { perms: "---", ad: false, expectQ: T28_7.dataRead | T28_7.glaValid },
    { perms: "--x", ad: false, expectQ: T28_7.dataRead | T28_7.executable | T28_7.glaValid },
    { perms: "---", ad: true, expectQ: T28_7.dataRead | T28_7.dataWrite | T28_7.glaValid },
    { perms: "r-x", ad: true, expectQ: T28_7.dataRead | T28_7.dataWrite | T28_7.readable | T28_7.executable | T28_7.glaValid },
  ];
  it.each(cases)("EPT entry $perms for the guest PML4, A/D flags $ad", ({ perms, ad, expectQ }) => {
    const rig = makeRig();
    rig.ept.map({ from: 1 * MiB, size: 4 * KiB, perms });
    const res = rig.translate("read", { ad });
    expect(res.fault).toEqual({ kind: "ept-violation", qualification: expectQ, gpa: 1 * MiB, gla: TARGET_LIN + OFFSET, level: 3 });
  });

  it("a read-only guest table page is enough without EPT A/D flags once the guest's accessed flags are set", () => {
    const rig = makeRig();
    expect(rig.translate("read").fault).toBeNull(); // sets the guest's accessed flags
    rig.ept.map({ from: 1 * MiB, size: 1 * MiB, perms: "r-x" });
    expect(rig.translate("read").fault).toBeNull();
  });

  it("setting a guest accessed flag in a read-only page is a data write (bit 1 only)", () => {
    const rig = makeRig();
    rig.ept.map({ from: 1 * MiB, size: 4 * KiB, perms: "r--" });
    const res = rig.translate("read");
    expect(res.fault).toEqual({
      kind: "ept-violation", qualification: T28_7.dataWrite | T28_7.readable | T28_7.glaValid, gpa: 1 * MiB, gla: TARGET_LIN + OFFSET, level: 3,
    });
  });
});
