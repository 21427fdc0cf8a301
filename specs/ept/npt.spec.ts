/**
 * AMD nested paging (APM Vol. 2 15.25): long-mode tables under nCR3, every
 * nested access a user access, guest page-table accesses treated as writes.
 * #VMEXIT(NPF) reports EXITINFO1 = #PF-style error code (bit 0 P, 1 W, 2 U,
 * 3 RSVD, 4 I/D) plus bit 32 (final translation) or bit 33 (guest page-table
 * walk), and EXITINFO2 = the faulting guest-physical address (15.25.6).
 */
import { GuestTableBuilder, NptBuilder, PageArena } from "../../src/ept/builder";
import { createNptPhysicalMap } from "../../src/ept/nested";
import { type Access, translate2d } from "../../src/ept/translate2d";
import { HostMemory } from "../../src/memory/host-memory";
import { GUEST, KiB, MiB } from "./rig";

const P = 1, W = 2, U = 4, RSVD = 8, ID = 16;
const FINAL = 2 ** 32, TABLE = 2 ** 33;

const LIN = 0x4000_0000, DATA_GPA = 0x30_0000, TABLES_GPA = 0x1_0000, RAM_HOST = 4 * MiB;

function setUp() {
  const mem = new HostMemory(16 * MiB);
  const npt = new NptBuilder(mem, new PageArena(mem, 12 * MiB, 16 * MiB));
  npt.map({ from: 0, to: RAM_HOST, size: 4 * MiB, maxPage: 4 * KiB });
  const toHost = (gpa: number): number => gpa + RAM_HOST;
  const guest = new GuestTableBuilder(mem, new PageArena(mem, TABLES_GPA, 0x2_0000, toHost), toHost);
  guest.map({ from: LIN, to: DATA_GPA, size: 4 * KiB });
  const run = (access: Access) =>
    translate2d(mem, { ...GUEST, cr3: guest.root }, createNptPhysicalMap(mem, npt.root, { maxPhys: 48 }), LIN + 0x10, access);
  return { mem, npt, guest, run };
}

describe("nested page faults (APM Vol. 2 15.25.6)", () => {
  it("translates when the nested tables allow it", () => {
    const { run } = setUp();
    const r = run("write");
    expect(r.fault).toBeNull();
    expect(r.hpa).toBe(RAM_HOST + DATA_GPA + 0x10);
  });

  it.each([
    { name: "final page not present, read", perms: null, access: "read", ec: U | FINAL },
    { name: "final page not present, write", perms: null, access: "write", ec: W | U | FINAL },
    { name: "write to a read-only final page", perms: { perms: "r-x" }, access: "write", ec: P | W | U | FINAL },
    { name: "fetch from a no-execute final page", perms: { perms: "rw-" }, access: "fetch", ec: P | U | ID | FINAL },
    { name: "read of a supervisor-only final page (U/S = 0)", perms: { user: false }, access: "read", ec: P | U | FINAL },
  ] as const)("$name", ({ perms, access, ec }) => {
    const { npt, run } = setUp();
    if (perms === null) npt.unmap(DATA_GPA, 4 * KiB);
    else npt.map({ from: DATA_GPA, to: RAM_HOST + DATA_GPA, size: 4 * KiB, ...perms });
    expect(run(access).fault).toEqual({ kind: "nested-page-fault", exitInfo1: ec, exitInfo2: DATA_GPA + 0x10, level: 3 });
  });

  it("a reserved bit in a nested entry: P, RSVD and U with the final-translation bit", () => {
    const { npt, run } = setUp();
    const pde = npt.entryAddr(DATA_GPA, 2);
    npt.mem.write(pde, 8, npt.mem.read(pde, 8) | (1n << 50n)); // above MAXPHYADDR 48
    expect(run("read").fault).toEqual({ kind: "nested-page-fault", exitInfo1: P | RSVD | U | FINAL, exitInfo2: DATA_GPA + 0x10, level: 2 });
  });

  it("the guest's PML4 not present in the nested tables: a write-type fault during the guest page-table walk", () => {
    const { npt, run } = setUp();
    npt.unmap(TABLES_GPA, 4 * KiB);
    // Linear 1 GiB uses guest PML4 entry 0, at the PML4's guest-physical address.
    expect(run("read").fault).toEqual({ kind: "nested-page-fault", exitInfo1: W | U | TABLE, exitInfo2: TABLES_GPA, level: 3 });
  });

  it("the guest's page table read-only in the nested tables faults even for a read", () => {
    const { npt, run } = setUp();
    npt.map({ from: TABLES_GPA + 3 * 0x1000, to: RAM_HOST + TABLES_GPA + 3 * 0x1000, size: 4 * KiB, perms: "r--" });
    expect(run("read").fault).toEqual({ kind: "nested-page-fault", exitInfo1: P | W | U | TABLE, exitInfo2: TABLES_GPA + 3 * 0x1000, level: 3 });
  });

  it("sets nested accessed flags on the way and dirty flags on pages written, guest tables included", () => {
    const { npt, run } = setUp();
    run("read");
    const A = 1n << 5n, D = 1n << 6n;
    expect(npt.lookup(DATA_GPA).value & (A | D)).toBe(A);
    expect(npt.lookup(TABLES_GPA).value & (A | D)).toBe(A | D);
    run("write");
    expect(npt.lookup(DATA_GPA).value & D).toBe(D);
  });
});
