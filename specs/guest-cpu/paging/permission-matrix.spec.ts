/**
 * Access rights of 4-level paging as a generated matrix (SDM Vol. 3A 4.6.1
 * "Determination of Access Rights", 4.6.2 protection keys aside, 4.7 #PF
 * error code): leaf U/S × R/W × XD × CPL × access (read, write, fetch) ×
 * CR0.WP × CR4.SMEP × CR4.SMAP × RFLAGS.AC — 768 cases. The expected
 * outcome is computed below from the SDM's rules, written out independently
 * of src/guest-cpu/paging.ts; every case goes through the CPU's MMU.
 */
import { CpuFault } from "../../../src/guest-cpu/exceptions";
import { AR, CR0, CR4, CS, FLAG, SS } from "../../../src/guest-cpu/registers";
import { setSegment } from "../../../src/guest-cpu/descriptors";
import { L, sysMachine } from "../support/system-machine";

const PD2 = 0x105000, PT2 = 0x106000, TARGET = 0x40000000, FRAME = 0x300000;

interface Case { us: number; rw: number; xd: number; cpl: 0 | 3; access: "read" | "write" | "fetch"; wp: number; smep: number; smap: number; ac: number }

const cases: Case[] = [];
for (const us of [0, 1]) for (const rw of [0, 1]) for (const xd of [0, 1]) for (const cpl of [0, 3] as const)
  for (const access of ["read", "write", "fetch"] as const) for (const wp of [0, 1]) for (const smep of [0, 1]) for (const smap of [0, 1]) for (const ac of [0, 1])
    cases.push({ us, rw, xd, cpl, access, wp, smep, smap, ac });

/** SDM Vol. 3A 4.6.1 (with EFER.NXE = 1 and every non-leaf entry granting everything); returns the #PF error code or null. */
function expected(c: Case): number | null {
  const user = c.cpl === 3;
  let ok: boolean;
  if (user) {
    // User-mode accesses need U/S = 1; writes need R/W = 1 (CR0.WP does not matter); fetches need XD = 0.
    ok = c.us === 1 && (c.access !== "write" || c.rw === 1) && (c.access !== "fetch" || c.xd === 0);
  } else if (c.access === "fetch") {
    // Supervisor fetches: XD = 0, and from a user page only without SMEP.
    ok = c.xd === 0 && !(c.us === 1 && c.smep === 1);
  } else {
    // Supervisor data accesses to user pages: SMAP blocks explicit accesses when AC = 0.
    const smapBlocks = c.us === 1 && c.smap === 1 && c.ac === 0;
    const writeBlocked = c.access === "write" && c.rw === 0 && c.wp === 1;
    ok = !smapBlocks && !writeBlocked;
  }
  if (ok) return null;
  // 4.7: P = 1 (a protection violation), W/R, U/S = CPL 3, I/D for fetches (NXE = 1).
  return 1 | (c.access === "write" ? 2 : 0) | (user ? 4 : 0) | (c.access === "fetch" ? 0x10 : 0);
}

describe("4-level paging access rights (generated matrix, SDM Vol. 3A 4.6.1 and 4.7)", () => {
  const cpu = sysMachine("nop", { fresh: true });
  const s = cpu.s;
  const mem = cpu.mem;
  mem.write(L.pdpt + 8, 8, BigInt(PD2 | 7));
  mem.write(PD2, 8, BigInt(PT2 | 7));

  function outcome(c: Case): number | null {
    mem.write(PT2, 8, (BigInt(c.xd) << 63n) | BigInt(FRAME | 1 | (c.rw << 1) | (c.us << 2) | 0x60));
    s.cr0 = (s.cr0 & ~CR0.WP) | (c.wp ? CR0.WP : 0);
    s.cr4 = (s.cr4 & ~(CR4.SMEP | CR4.SMAP)) | (c.smep ? CR4.SMEP : 0) | (c.smap ? CR4.SMAP : 0);
    s.rflagsRest = (s.rflagsRest & ~FLAG.AC) | (c.ac ? FLAG.AC : 0);
    const dpl = c.cpl << AR.DPL_SHIFT;
    setSegment(s, CS, c.cpl ? 0x2b : 0x08, 0, 0xffffffff, AR.P | AR.S | 0xb | AR.L | AR.G | dpl);
    setSegment(s, SS, c.cpl ? 0x23 : 0x10, 0, 0xffffffff, AR.P | AR.S | 0x3 | AR.DB | AR.G | dpl);
    s.mmu.flushCurrentVpid();
    try {
      if (c.access === "read") s.mmu.read(TARGET, 4);
      else if (c.access === "write") s.mmu.write(TARGET, 4, 0, 0);
      else s.mmu.fetch(TARGET);
      return null;
    } catch (e) {
      if (e instanceof CpuFault && e.vector === 14) return e.errorCode;
      throw e;
    }
  }

  it(`agrees with the SDM rules on all ${cases.length} combinations`, () => {
    const bad = cases.map((c) => ({ c, want: expected(c), got: outcome(c) })).filter((x) => x.want !== x.got);
    expect(bad.slice(0, 5).map((x) => `${JSON.stringify(x.c)}: expected ${x.want}, got ${x.got}`)).toEqual([]);
  });

  it("each outcome kind occurs (the matrix is not trivially all-allowed)", () => {
    const kinds = new Set(cases.map((c) => expected(c)));
    expect([...kinds].sort()).toEqual([0x1, 0x3, 0x5, 0x7, 0x11, 0x15, null].sort());
  });
});
