/**
 * The 2-D walk (SDM Vol. 3C 29.3.2; Bhargava et al., ASPLOS'08): every guest
 * paging-structure address is itself translated through EPT, so a 4-level
 * guest under 4-level EPT reads 4 × (4 + 1) + 4 = 24 entries. In general g
 * guest levels under n EPT levels read g·(n + 1) + n entries.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EptBuilder, GuestTableBuilder, PageArena } from "../../src/ept/builder";
import { createEptPhysicalMap } from "../../src/ept/nested";
import { formatTrace } from "../../src/ept/trace-text";
import { translate2d } from "../../src/ept/translate2d";
import { HostMemory } from "../../src/memory/host-memory";
import { GiB, GUEST, KiB, MiB } from "./rig";

const GOLDEN = path.join(__dirname, "__golden__", "walk-4level-guest-4level-ept.txt");

/** Guest RAM gpa [0, 4 MiB) lives at host [4 MiB, 8 MiB): gpa ≠ hpa everywhere. */
const RAM_HOST = 4 * MiB;
const LIN = 0x7f12_3456_7890;
const GUEST_PAGE = 0x2ab000;

function setUp(guestPage = 4 * KiB, eptPage = 4 * KiB) {
  const mem = new HostMemory(16 * MiB);
  const ept = new EptBuilder(mem, new PageArena(mem, 12 * MiB, 16 * MiB));
  const toHost = (gpa: number): number => gpa + RAM_HOST;
  // EPT: guest RAM with pages of `eptPage` (a 1 GiB EPT page maps gpa 0 to host 0, so then RAM_HOST is 0 too).
  const host0 = eptPage === GiB ? 0 : RAM_HOST;
  ept.map({ from: 0, to: host0, size: eptPage === GiB ? GiB : 4 * MiB, maxPage: eptPage });
  const g2h = eptPage === GiB ? (gpa: number) => gpa : toHost;
  const guest = new GuestTableBuilder(mem, new PageArena(mem, 0x10000, 0x20000, g2h), g2h);
  const linBase = LIN - (LIN % guestPage);
  const gpaBase = guestPage === GiB ? 0 : GUEST_PAGE - (GUEST_PAGE % guestPage);
  guest.map({ from: linBase, to: gpaBase, size: guestPage, maxPage: guestPage });
  const nested = createEptPhysicalMap(mem, ept.eptp());
  return { mem, ept, guest, res: translate2d(mem, { ...GUEST, cr3: guest.root }, nested, LIN, "read") };
}

describe("2-D walk of a 4-level guest under 4-level EPT", () => {
  const { res, guest } = setUp();

  it("translates guest-linear → guest-physical → host-physical", () => {
    expect(res.fault).toBeNull();
    expect(res.gpa).toBe(GUEST_PAGE + 0x890);
    expect(res.hpa).toBe(RAM_HOST + GUEST_PAGE + 0x890);
  });

  it("reads 24 entries: 4 EPT entries before each of the 4 guest entries, then 4 for the final address", () => {
    expect(res.trace).toHaveLength(24);
    const stages = res.trace.map((t) => (t.stage === "guest" ? "G" : "n")).join("");
    expect(stages).toBe("nnnnG".repeat(4) + "nnnn");
  });

  it("indexes each table with the SDM's address bits", () => {
    // Guest: PML4 bits 47:39, PDPT 38:30, PD 29:21, PT 20:12 of the linear address.
    const lin = BigInt(LIN);
    const guestIdx = [39n, 30n, 21n, 12n].map((s) => Number((lin >> s) & 511n));
    expect(res.trace.filter((t) => t.stage === "guest").map((t) => t.index)).toEqual(guestIdx);
    // The guest's tables: root at gpa 0x10000, then one page per level as the builder allocated them.
    expect(res.trace.filter((t) => t.stage === "guest").map((t) => t.tableAddr)).toEqual([0x10000, 0x11000, 0x12000, 0x13000]);
    expect(guest.root).toBe(0x10000);
    // Each EPT walk indexes with the guest-physical address it translates: the guest entry's
    // address (table + 8 × index), and last the final guest-physical address.
    const gpas = [...guestIdx.map((ix, l) => 0x10000 + l * 0x1000 + 8 * ix), GUEST_PAGE + 0x890];
    gpas.forEach((gpa, w) => {
      const walk = res.trace.slice(w * 5, w * 5 + 4);
      expect(walk.every((t) => t.stage === "nested")).toBe(true);
      expect(walk.map((t) => t.index)).toEqual([39, 30, 21, 12].map((s) => Math.floor(gpa / 2 ** s) % 512));
    });
  });

  it("matches the golden trace", () => {
    const text = formatTrace(res.trace).join("\n") + "\n";
    if (process.env.UPDATE_GOLDEN) fs.writeFileSync(GOLDEN, text);
    expect(text).toBe(fs.readFileSync(GOLDEN, "utf8"));
  });
});

describe("fewer references with large pages: g·(n + 1) + n", () => {
  it.each([
    { guestPage: 4 * KiB, eptPage: 4 * KiB, g: 4, n: 4 },
    { guestPage: 2 * MiB, eptPage: 4 * KiB, g: 3, n: 4 },
    { guestPage: 4 * KiB, eptPage: 2 * MiB, g: 4, n: 3 },
    { guestPage: 2 * MiB, eptPage: 2 * MiB, g: 3, n: 3 },
    { guestPage: 1 * GiB, eptPage: 1 * GiB, g: 2, n: 2 },
  ])("guest $guestPage-byte pages, EPT $eptPage-byte pages: $g guest and $n EPT levels", ({ guestPage, eptPage, g, n }) => {
    const { res } = setUp(guestPage, eptPage);
    expect(res.fault).toBeNull();
    expect(res.trace).toHaveLength(g * (n + 1) + n);
    expect(res.trace.filter((t) => t.stage === "guest")).toHaveLength(g);
  });
});
