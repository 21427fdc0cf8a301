/**
 * The two legacy paging modes as formats for the generic walker (src/ept):
 *
 * 32-bit paging (SDM Vol. 3A 4.3): CR3 → page directory (1024 × 4-byte
 * PDEs, bits 31:22) → page table (bits 21:12). With CR4.PSE a PDE with PS = 1
 * maps a 4-MByte page whose PDE bits 20:13 hold physical-address bits 39:32
 * (PSE-36); bit 21, and bits 20:13 above MAXPHYADDR, are reserved. No
 * execute-disable: every page is executable.
 *
 * PAE paging (SDM Vol. 3A 4.4): the four PDPTEs are loaded into registers
 * when CR3 is loaded (or paging/PAE is enabled) — a reserved bit in a present
 * PDPTE is #GP(0) at that moment (4.4.1) — and are not re-read by walks; a
 * PDPTE has no accessed flag and grants every access. Each walk then starts at
 * the PDPTE selected by address bits 31:30: page directory (bits 29:21, PS = 1
 * → 2-MByte page) → page table (bits 20:12), 8-byte entries with XD (bit 63)
 * when EFER.NXE = 1.
 */
import { frame4k, frameLarge, highAddrReserved, P_R, P_U, P_W, P_XS, P_XU, PagingFormat, x86Perms } from "../ept/format";
import { CpuFault, GP } from "./exceptions";
import type { CpuState } from "./state";

const TWO32 = 4294967296;

export const FORMAT_32BIT: PagingFormat = {
  name: "32-bit",
  levels: 2,
  entryBytes: 4,
  shifts: [22, 12],
  indexBits: [10, 10],
  levelNames: ["PDE", "PTE"],
  largeAt: (level, ctx) => level === 0 && ctx.pse,
  present: (lo) => (lo & 1) !== 0,
  isLeaf(lo, _hi, level, ctx) {
    return level === 1 || ((lo & 0x80) !== 0 && ctx.pse);
  },
  reserved(lo, _hi, level, leaf, ctx) {
    if (level !== 0 || !leaf) return false;
    // 4-MByte PDE: bit 21, and PSE-36 address bits beyond MAXPHYADDR (Table 4-4).
    const addrBits = Math.min(ctx.maxPhys, 40) - 32; // how many of bits 20:13 are address bits
    const rsvd = (1 << 21) | (((1 << 8) - 1) & ~((1 << addrBits) - 1)) << 13;
    return (lo & rsvd) !== 0;
  },
  frame(lo, _hi, level, leaf) {
    if (level === 0 && leaf) return ((lo & 0xffc0_0000) >>> 0) + ((lo >>> 13) & 0xff) * TWO32;
    return (lo & ~0xfff) >>> 0;
  },
  perms: (lo) => P_R | (lo & 2 ? P_W : 0) | (lo & 4 ? P_U : 0) | P_XS | P_XU,
  accessedBit: 5,
  dirtyBit: 6,
  adActive: () => true,
  globalBit: 8,
};

/** PAE page directory and page table (the walk below a PDPTE register). */
export const FORMAT_PAE: PagingFormat = {
  name: "PAE",
  levels: 2,
  entryBytes: 8,
  shifts: [21, 12],
  indexBits: [9, 9],
  levelNames: ["PDE", "PTE"],
  largeAt: (level) => level === 0,
  present: (lo) => (lo & 1) !== 0,
  isLeaf(lo, _hi, level) {
    return level === 1 || (lo & 0x80) !== 0;
  },
  reserved(lo, hi, level, leaf, ctx) {
    if (highAddrReserved(hi, ctx.maxPhys)) return true;
    if (!ctx.nxe && hi < 0) return true; // XD is reserved unless EFER.NXE (Table 4-11)
    if ((hi & 0x7ff00000) !== 0) return true; // bits 62:52
    if (level === 0 && leaf && (lo & 0x1fe000) !== 0) return true; // 2-MByte PDE bits 20:13
    return false;
  },
  frame: (lo, hi, level, leaf) => (level === 0 && leaf ? frameLarge(lo, hi, 21) : frame4k(lo, hi)),
  perms: x86Perms,
  accessedBit: 5,
  dirtyBit: 6,
  adActive: () => true,
  globalBit: 8,
};

/** PDPTE reserved bits: 2:1, 8:5, 63:MAXPHYADDR (SDM Vol. 3A Table 4-8). */
function pdpteReserved(lo: number, hi: number, maxPhys: number): boolean {
  return (lo & 0x1e6) !== 0 || highAddrReserved(hi, maxPhys) || (hi & 0xfff00000) !== 0;
}

/**
 * Loads the four PDPTE registers from the 32-byte-aligned table CR3 points
 * to (MOV to CR3, or CR0/CR4 changes that enter PAE paging). A present PDPTE
 * with a reserved bit set is #GP(0) and nothing is loaded.
 */
export function loadPdptes(s: CpuState, maxPhys = 46): void {
  const base = (s.cr3 >>> 0) & ~0x1f;
  const next: number[] = [];
  for (let i = 0; i < 4; i++) {
    const lo = Number(s.mem.read(base + i * 8, 4));
    const hi = Number(s.mem.read(base + i * 8 + 4, 4));
    if (lo & 1 && pdpteReserved(lo | 0, hi | 0, maxPhys)) throw new CpuFault(GP, 0);
    next.push(lo | 0, hi | 0);
  }
  for (let i = 0; i < 8; i++) s.pdpte[i] = next[i]!;
}
