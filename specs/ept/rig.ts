/**
 * A 2-D translation rig for the EPT specs: 16 MiB of host memory, guest RAM
 * gpa [0, 8 MiB) identity-mapped by EPT, the guest's own 4-level tables at
 * gpa 1 MiB, and a target region at gpa 2^39 (its own EPT PML4E) reached
 * from guest-linear 1 GiB. Specs shape the target's EPT entries.
 */
import { EptBuilder, GuestTableBuilder, PageArena } from "../../src/ept/builder";
import { DEFAULT_EPT_CAPS, type EptCaps } from "../../src/ept/eptp";
import { createEptPhysicalMap } from "../../src/ept/nested";
import { type Access, translate2d, type Translate2dResult } from "../../src/ept/translate2d";
import { CR0, CR4, EFER } from "../../src/guest-cpu/registers";
import { HostMemory } from "../../src/memory/host-memory";

export const KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;
export const TARGET_GPA = 2 ** 39;
export const TARGET_LIN = 1 * GiB;
/** Offset of the accessed byte inside the target page. */
export const OFFSET = 0x808;
export const GUEST_TABLES = 1 * MiB;

/** The guest's paging: 4-level, NXE, CR0.WP. */
export const GUEST = { cr0: CR0.PG | CR0.PE | CR0.WP, cr3: GUEST_TABLES, cr4: CR4.PAE, efer: EFER.LME | EFER.LMA | EFER.NXE };

export interface Rig {
  mem: HostMemory;
  ept: EptBuilder;
  guest: GuestTableBuilder;
  /** Host-physical address the target page starts at for each EPT page size. */
  targetHpa: number;
  translate(access: Access, o?: { user?: boolean; ad?: boolean; caps?: Partial<EptCaps>; mbec?: boolean; lin?: number }): Translate2dResult;
}

/** Host page the target maps to: 4 KiB and 2 MiB pages at 8 MiB; a 1 GiB page must start at 0. */
export function hpaFor(pageSize: number): number {
  return pageSize === GiB ? 0 : 8 * MiB;
}

export function makeRig(o: { targetPage?: number; targetPerms?: string; guestUser?: boolean; guestPerms?: string } = {}): Rig {
  const mem = new HostMemory(16 * MiB);
  const ept = new EptBuilder(mem, new PageArena(mem, 12 * MiB, 16 * MiB));
  ept.map({ from: 0, size: 8 * MiB });
  const page = o.targetPage ?? 4 * KiB;
  const targetHpa = hpaFor(page);
  ept.map({ from: TARGET_GPA, to: targetHpa, size: page, perms: o.targetPerms ?? "rwx" });
  const guest = new GuestTableBuilder(mem, new PageArena(mem, GUEST_TABLES, 2 * MiB), (gpa) => gpa);
  guest.map({ from: TARGET_LIN, to: TARGET_GPA, size: 4 * KiB, perms: o.guestPerms ?? "rwx", user: o.guestUser ?? false });
  return {
    mem, ept, guest, targetHpa,
    translate(access, t = {}) {
      const caps = { ...DEFAULT_EPT_CAPS, ...t.caps };
      const nested = createEptPhysicalMap(mem, ept.eptp({ ad: t.ad }), { caps, mbec: t.mbec });
      return translate2d(mem, GUEST, nested, (t.lin ?? TARGET_LIN) + OFFSET, access, { user: t.user });
    },
  };
}
