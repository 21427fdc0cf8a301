/**
 * Paging-structure formats as data for the one generic walker (walker.ts).
 * A format says how many levels there are, where each level's index lies in
 * the address, what a present entry is, which bits are reserved, where the
 * next table or page frame is, and how an entry's bits grant access.
 * Permissions are normalised to allow-bits so that every format combines
 * levels the same way (AND across levels, SDM Vol. 3A 4.6 / 3C 29.3.3.2).
 */

/** Normalised permission bits of one entry or a whole translation. */
export const P_R = 1, P_W = 2, P_XS = 4, P_XU = 8, P_U = 16;
export const P_ALL = P_R | P_W | P_XS | P_XU | P_U;

/** Context bits a format needs to interpret entries (from CR0/CR4/EFER or the EPTP and controls). */
export interface WalkContext {
  /** EFER.NXE: XD bit is meaningful (otherwise reserved in PAE/4-level formats). */
  nxe: boolean;
  /** 1-GByte pages supported (CPUID / EPT capability). */
  page1G: boolean;
  /** CR4.PSE (32-bit paging 4-MByte pages). */
  pse: boolean;
  /** MAXPHYADDR: physical-address width; entry bits above it are reserved. */
  maxPhys: number;
  /** EPT: accessed/dirty flags enabled (EPTP bit 6). */
  adEnabled: boolean;
  /** EPT: mode-based execute control (bit 10 grants user-mode execute). */
  mbec: boolean;
  /** EPT: execute-only translations are supported (IA32_VMX_EPT_VPID_CAP bit 0). */
  execOnly: boolean;
  /** EPT: 2-MByte pages supported (IA32_VMX_EPT_VPID_CAP bit 16); absent means supported. */
  page2M?: boolean;
}

export interface PagingFormat {
  readonly name: string;
  /** Number of levels from the root table down to the 4-KByte level. */
  readonly levels: number;
  readonly entryBytes: 4 | 8;
  /** For each level, root first: the lowest linear-address bit of its index. */
  readonly shifts: readonly number[];
  /** For each level, root first: index width in bits. */
  readonly indexBits: readonly number[];
  /** For each level, root first: whether an entry there may map a page (PS = 1 or EPT bit 7). */
  largeAt(level: number, ctx: WalkContext): boolean;
  /** Level names, root first, as the SDM calls them (PML4E, PDPTE, PDE, PTE; EPT PML4E...). */
  readonly levelNames: readonly string[];
  /** Is the entry present (x86: P; EPT: any of R/W/X, or bit 10 under mode-based execute control)? */
  present(lo: number, hi: number, ctx: WalkContext): boolean;
  /** Does the entry map a page rather than point to a table? (level is 0-based, root first) */
  isLeaf(lo: number, hi: number, level: number, ctx: WalkContext): boolean;
  /**
   * Reserved-bit violations for a present entry: true when any reserved bit is set
   * (x86 → #PF with RSVD; EPT → misconfiguration, like a bad memory type or W without R).
   */
  reserved(lo: number, hi: number, level: number, leaf: boolean, ctx: WalkContext): boolean;
  /** Physical address of the next table or, for a leaf, of the page frame (before adding the offset). */
  frame(lo: number, hi: number, level: number, leaf: boolean): number;
  /** The entry's allow-bits (P_*). */
  perms(lo: number, hi: number, ctx: WalkContext): number;
  /** Bit positions of the accessed and dirty flags (dirty only in leaf entries). */
  readonly accessedBit: number;
  readonly dirtyBit: number;
  /** Whether A/D flags are maintained under this context. */
  adActive(ctx: WalkContext): boolean;
  /** Global bit (x86 leaf entries, CR4.PGE): -1 when the format has none. */
  readonly globalBit: number;
}

const TWO32 = 0x1_0000_0000;

/** Bits [maxPhys, 52) of an entry's high half that must be zero. */
export function highAddrReserved(hi: number, maxPhys: number): boolean {
  if (maxPhys >= 52) return false;
  const mask = ((1 << (52 - 32)) - 1) & ~((1 << (maxPhys - 32)) - 1);
  return (hi & mask) !== 0;
}

export function frame4k(lo: number, hi: number): number {
  return (hi & 0xfffff) * TWO32 + ((lo & ~0xfff) >>> 0);
}

/** Frame of a large page mapping 2^shift bytes: entry address bits from `shift` up. */
export function frameLarge(lo: number, hi: number, shift: number): number {
  const loMask = shift >= 32 ? 0 : ~((1 << shift) - 1);
  const hiMask = shift > 32 ? ~((1 << (shift - 32)) - 1) & 0xfffff : 0xfffff;
  return (hi & hiMask) * TWO32 + ((lo & loMask) >>> 0);
}

/**
 * IA-32e paging, 4 and 5 levels (SDM Vol. 3A 4.5, Tables 4-14..4-20). Also the
 * AMD nested-page-table format under nCR3 (APM Vol. 2 15.25.5), which uses the
 * same long-mode entries.
 */
/** R/W (bit 1), U/S (bit 2) and XD (bit 63, with EFER.NXE) of an x86 paging entry as P_* allow-bits (SDM Vol. 3A 4.6). */
export function x86Perms(lo: number, hi: number, ctx: WalkContext): number {
  const x = ctx.nxe && hi < 0 ? 0 : P_XS | P_XU;
  return P_R | (lo & 2 ? P_W : 0) | (lo & 4 ? P_U : 0) | x;
}

function ia32e(levels: 4 | 5): PagingFormat {
  const shifts = levels === 5 ? [48, 39, 30, 21, 12] : [39, 30, 21, 12];
  const names = levels === 5 ? ["PML5E", "PML4E", "PDPTE", "PDE", "PTE"] : ["PML4E", "PDPTE", "PDE", "PTE"];
  return {
    name: levels === 5 ? "5-level" : "4-level",
    levels,
    entryBytes: 8,
    shifts,
    indexBits: shifts.map(() => 9),
    levelNames: names,
    largeAt: (level, ctx) => shifts[level] === 21 || (shifts[level] === 30 && ctx.page1G),
    present: (lo) => (lo & 1) !== 0,
    isLeaf(lo, _hi, level, ctx) {
      if (level === levels - 1) return true;
      return (lo & 0x80) !== 0 && this.largeAt(level, ctx);
    },
    reserved(lo, hi, level, leaf, ctx) {
      if (highAddrReserved(hi, ctx.maxPhys)) return true;
      if (!ctx.nxe && hi < 0) return true; // XD reserved unless EFER.NXE (Table 4-20)
      const shift = shifts[level]!;
      if (level !== levels - 1 && (lo & 0x80) !== 0 && !this.largeAt(level, ctx)) return true; // PS=1 where not allowed
      if (leaf && shift > 12) {
        // Bits (shift-1):13 of a large-page entry are reserved (bit 12 is PAT).
        const m = shift - 1 >= 32 ? ~0x1fff : ((1 << shift) - 1) & ~0x1fff;
        if ((lo & m) !== 0) return true;
        if (shift > 32 && (hi & ((1 << (shift - 32)) - 1)) !== 0) return true;
      }
      return false;
    },
    frame: (lo, hi, level, leaf) => (leaf && shifts[level]! > 12 ? frameLarge(lo, hi, shifts[level]!) : frame4k(lo, hi)),
    perms: x86Perms,
    accessedBit: 5,
    dirtyBit: 6,
    adActive: () => true,
    globalBit: 8,
  };
}

export const FORMAT_4LEVEL = ia32e(4);
export const FORMAT_5LEVEL = ia32e(5);
