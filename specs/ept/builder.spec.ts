/**
 * The EPT builder writes real EPT entries (SDM Vol. 3C 29.3.2, Figure 29-1)
 * into host memory; the dump reads them back for labs. Entry values are
 * worked out by hand from the entry layout.
 */
import { EptBuilder, PageArena } from "../../src/ept/builder";
import { dumpTables } from "../../src/ept/dump";
import { HostMemory } from "../../src/memory/host-memory";

const MiB = 1 << 20, GiB = 2 ** 30;

function builder(): { mem: HostMemory; ept: EptBuilder } {
  const mem = new HostMemory(4 * MiB);
  return { mem, ept: new EptBuilder(mem, new PageArena(mem, 2 * MiB, 4 * MiB)) };
}

describe("EPT builder", () => {
  it("writes a 4-KByte leaf: address, R/W/X, memory type, ignore PAT, user execute", () => {
    const { mem, ept } = builder();
    ept.map({ from: 0x5000, to: 0x9000, size: 0x1000, perms: "r-x", memType: "WT", ignorePat: true });
    // 0x9000 | R (1) | X (4) | WT (4) << 3 | IPAT (0x40) | bit 10 (user execute follows X)
    expect(mem.read(ept.entryAddr(0x5000, 3), 8)).toBe(0x9465n);
    // Tables reference each other with R/W/X and bit 10, so only leaves restrict access.
    expect(mem.read(ept.root, 8)).toBe(BigInt(2 * MiB + 0x1000) | 0x407n);
  });

  it("uses 2-MByte and 1-GByte pages where alignment allows", () => {
    const { mem, ept } = builder();
    ept.map({ from: 2 * MiB, size: 2 * MiB });
    ept.map({ from: GiB, size: GiB });
    // 0x200000 | RWX | WB (6 << 3) | page (bit 7) | bit 10
    expect(mem.read(ept.entryAddr(2 * MiB, 2), 8)).toBe(0x2004b7n);
    expect(mem.read(ept.entryAddr(GiB, 1), 8)).toBe(0x4000_04b7n);
  });

  it("identity-maps with the largest pages and dumps the mapping as one range", () => {
    const { mem, ept } = builder();
    ept.identity(4 * GiB);
    const d = dumpTables(mem, ept.codec.format, ept.codec.ctx, ept.root);
    expect(d.mappings).toEqual([{ from: 0, to: 0, size: 4 * GiB, perms: "rwxX-", leafValue: 0x4b7n, pageSize: GiB }]);
    expect(d.entries.filter((e) => e.leaf)).toHaveLength(4);
  });

  it("splits a large page when a 4-KByte page inside it changes, keeping the rest", () => {
    const { mem, ept } = builder();
    ept.map({ from: 0, size: 2 * MiB });
    ept.map({ from: 0x3000, to: 0x3000, size: 0x1000, perms: "r--" });
    const d = dumpTables(mem, ept.codec.format, ept.codec.ctx, ept.root);
    expect(d.mappings.map((m) => [m.from, m.size, m.perms])).toEqual([
      [0, 0x3000, "rwxX-"],
      [0x3000, 0x1000, "r----"],
      [0x4000, 2 * MiB - 0x4000, "rwxX-"],
    ]);
  });

  it("unmaps a range, splitting as needed", () => {
    const { mem, ept } = builder();
    ept.map({ from: 0, size: 2 * MiB });
    ept.unmap(0x1000, 0x2000);
    const d = dumpTables(mem, ept.codec.format, ept.codec.ctx, ept.root);
    expect(d.mappings.map((m) => [m.from, m.size])).toEqual([[0, 0x1000], [0x3000, 2 * MiB - 0x3000]]);
  });

  it("gives the EPTP for its root", () => {
    const { ept } = builder();
    expect(ept.eptp({ ad: true })).toBe(BigInt(ept.root) | 0x5en);
  });

  it("rejects partial pages and bad permission strings before writing", () => {
    const { ept } = builder();
    expect(() => ept.map({ from: 0x800, size: 0x1000 })).toThrow(/4-KByte/);
    expect(() => ept.map({ from: 0, size: 0x1000, perms: "rwz" })).toThrow(/permissions/);
  });

  it("dumps reserved settings as such (a write-only leaf)", () => {
    const { mem, ept } = builder();
    ept.setEntry(0x7000, 3, 0x7032n); // W only, WB
    const d = dumpTables(mem, ept.codec.format, ept.codec.ctx, ept.root);
    expect(d.entries.find((e) => e.leaf)).toMatchObject({ reserved: true, value: 0x7032n, levelName: "EPT PTE" });
    expect(d.mappings).toEqual([]);
  });
});
