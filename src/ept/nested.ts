/**
 * The second dimension of address translation: guest-physical → host-physical
 * through EPT (SDM Vol. 3C 29.3) or AMD nested page tables under nCR3
 * (APM Vol. 2 15.25). A NestedPaging object is the `X86Paging.physical` hook:
 * every guest paging-structure access and every final access passes through
 * `physical`, which walks the nested tables with the generic walker, checks
 * the access, maintains accessed/dirty flags and throws an EptViolation,
 * EptMisconfig or NestedPageFault signal when the access fails.
 */
import type { HostMemory } from "../memory/host-memory";
import { A_NO_GLA, A_W, A_X, type NestedPermissions } from "../guest-cpu/mmu";
import type { PhysicalMap } from "../guest-cpu/paging";
import { T_R, T_W, T_X } from "../guest-cpu/tlb";
import { decodeEptp, DEFAULT_EPT_CAPS, type EptCaps, eptFormat } from "./eptp";
import { FORMAT_4LEVEL, FORMAT_5LEVEL, P_R, P_U, P_W, P_XS, P_XU, type PagingFormat, type WalkContext } from "./format";
import { EPT_QUAL, eptViolationQualification, NPF_EC } from "./qualification";
import { EptMisconfig, EptViolation, NestedPageFault } from "./signals";
import { setDirty, W_NOT_PRESENT, W_OK, W_RESERVED, type Walk, walkerFor, type WalkOptions, WalkResult, type WalkTrace } from "./walker";

/** Guest translation of an access made with paging off: a supervisor-mode, writable, executable linear address. */
const PAGING_OFF_PERMS = P_R | P_W | P_XS | P_XU;

// Table 28-7 access bits as plain constants: EPT_QUAL is built from its table and slow to index on this path.
const Q_READ = EPT_QUAL.READ, Q_WRITE = EPT_QUAL.WRITE, Q_FETCH = EPT_QUAL.FETCH;

export type NestedKind = "ept" | "npt";

export abstract class NestedPaging implements NestedPermissions {
  abstract readonly kind: NestedKind;
  /** EP4TA-like tag for TLB contexts: the nested root table's address. */
  readonly ep4ta: number;
  /** When set, every nested entry read for a table read or a final access is appended (stage "nested"). */
  trace: WalkTrace | undefined = undefined;
  /** T_* bits the last final access's nested translation allows (the MMU ANDs them into its TLB fill). */
  lastPerm = 0;
  /** Result of the last nested walk (leaf entry, page size), for labs and translate2d. */
  readonly r = new WalkResult();
  protected readonly quiet: WalkOptions = { stage: "nested" };
  protected readonly traced: WalkOptions = { stage: "nested", trace: undefined };
  private readonly walkFn: Walk;

  /** The hook for X86Paging.physical. */
  readonly physical: PhysicalMap = (_s, gpa, acc, lin, isTable, guestPerms) =>
    this.translate(gpa, acc, lin, isTable, guestPerms ?? PAGING_OFF_PERMS);

  constructor(
    readonly mem: HostMemory,
    readonly format: PagingFormat,
    readonly ctx: WalkContext,
    readonly root: number,
  ) {
    this.ep4ta = root;
    this.walkFn = walkerFor(format);
  }

  /**
   * Translates guest-physical `gpa` for an access: a guest paging-structure
   * access (`isTable`: A_R to read the entry, A_W to set its accessed/dirty
   * flag) or the final access `acc` (A_R/A_W/A_X, A_USER) to linear address
   * `lin` whose guest translation allows `guestPerms` (P_*). Returns the
   * host-physical address or throws the nested-paging signal.
   */
  abstract translate(gpa: number, acc: number, lin: number, isTable: boolean, guestPerms: number): number;

  /** Walks the nested tables; the flag-update re-translation of a table entry is not traced (it reuses the walk just made). */
  protected walkFor(gpa: number, isTable: boolean, write: boolean): WalkResult {
    const trace = this.trace;
    let opts = this.quiet;
    if (trace !== undefined && !(isTable && write)) {
      opts = this.traced;
      opts.trace = trace;
    }
    return this.walkFn(this.mem, this.format, this.ctx, this.root, gpa, this.r, opts);
  }
}

export interface EptOptions {
  /** IA32_VMX_EPT_VPID_CAP decoded, with MAXPHYADDR (default: DEFAULT_EPT_CAPS). */
  caps?: EptCaps;
  /** Secondary control "mode-based execute control for EPT" (bit 22). */
  mbec?: boolean;
}

/** EPT under an EPTP that passed validateEptp (SDM Vol. 3C 29.3). */
export class EptPaging extends NestedPaging {
  readonly kind = "ept";
  /** EPTP bit 6: accessed and dirty flags for EPT. */
  readonly ad: boolean;
  readonly mbec: boolean;
  readonly advancedInfo: boolean;

  constructor(mem: HostMemory, eptp: bigint, o: EptOptions = {}) {
    const caps = o.caps ?? DEFAULT_EPT_CAPS;
    const e = decodeEptp(eptp, caps.maxPhys);
    const mbec = o.mbec ?? false;
    super(mem, eptFormat(e), {
      nxe: false, page1G: caps.page1G, page2M: caps.page2M, pse: false, maxPhys: caps.maxPhys,
      adEnabled: e.ad, mbec, execOnly: caps.executeOnly,
    }, e.root);
    this.ad = e.ad;
    this.mbec = mbec;
    this.advancedInfo = caps.advancedExitInfo;
  }

  translate(gpa: number, acc: number, lin: number, isTable: boolean, guestPerms: number): number {
    const write = (acc & A_W) !== 0;
    const r = this.walkFor(gpa, isTable, write);
    if (r.status === W_RESERVED) throw new EptMisconfig(gpa, r.level);
    // Access type (SDM Vol. 3C 29.3.3.2, 28.2.1 Table 28-7 bits 2:0). Guest paging-structure
    // reads are data reads and flag updates data writes; with EPT A/D flags every guest
    // paging-structure access is treated as a write and reports both bits 0 and 1.
    const userLinear = this.mbec && (guestPerms & P_U) !== 0;
    let access: number, need: number;
    if (isTable) {
      if (this.ad) { access = Q_READ | Q_WRITE; need = P_R | P_W; }
      else if (write) { access = Q_WRITE; need = P_W; }
      else { access = Q_READ; need = P_R; }
    } else if (acc & A_X) {
      access = Q_FETCH; need = userLinear ? P_XU : P_XS;
    } else if (write) {
      access = Q_WRITE; need = P_W;
    } else {
      access = Q_READ; need = P_R;
    }
    // An entry that is not present contributes 0 to every AND of Table 28-7 bits 5:3.
    const perms = r.status === W_NOT_PRESENT ? 0 : r.perms;
    if ((perms & need) !== need) {
      const glaValid = (acc & A_NO_GLA) === 0;
      const q = eptViolationQualification({
        access, eptPerms: perms, mbec: this.mbec, glaValid, translated: !isTable,
        advanced: this.advancedInfo ? guestPerms : null,
      });
      throw new EptViolation(q, gpa, glaValid ? lin : 0, r.level);
    }
    // SDM Vol. 3C 29.3.5: a write to a guest-physical address sets the dirty flag of its leaf EPT entry.
    if (this.ad && access & Q_WRITE) setDirty(this.mem, this.format, r);
    if (!isTable) {
      let p = 0;
      if (perms & P_R) p |= T_R;
      if (perms & P_W && (!this.ad || r.leafLo & (1 << this.format.dirtyBit))) p |= T_W;
      if (perms & (userLinear ? P_XU : P_XS)) p |= T_X;
      this.lastPerm = p;
    }
    return r.addr;
  }
}

export interface NptOptions {
  /** Nested table depth: the host's paging mode at VMRUN (4-level, or 5-level with CR4.LA57). */
  levels?: 4 | 5;
  /** Host EFER.NXE at VMRUN: the nested NX bit is meaningful. */
  nxe?: boolean;
  maxPhys?: number;
}

/**
 * AMD nested paging (APM Vol. 2 15.25): long-mode page tables under nCR3.
 * Every nested access is a user access (U must be set at each level), and
 * the guest's page-table accesses are treated as writes, setting the nested
 * dirty flags of the pages holding guest tables (as QEMU and KVM model it).
 */
export class NptPaging extends NestedPaging {
  readonly kind = "npt";

  constructor(mem: HostMemory, ncr3: number, o: NptOptions = {}) {
    const maxPhys = o.maxPhys ?? 48;
    super(mem, o.levels === 5 ? FORMAT_5LEVEL : FORMAT_4LEVEL, {
      nxe: o.nxe ?? true, page1G: true, pse: false, maxPhys, adEnabled: true, mbec: false, execOnly: false,
    }, ncr3 - (ncr3 % 4096));
  }

  translate(gpa: number, acc: number, _lin: number, isTable: boolean, _guestPerms: number): number {
    const write = isTable || (acc & A_W) !== 0;
    const fetch = !isTable && (acc & A_X) !== 0;
    const r = this.walkFor(gpa, isTable, (acc & A_W) !== 0);
    const need = P_U | (write ? P_W : fetch ? P_XU : P_R);
    if (r.status !== W_OK || (r.perms & need) !== need) {
      let ec = NPF_EC.U | (isTable ? NPF_EC.TABLE : NPF_EC.FINAL);
      if (r.status !== W_NOT_PRESENT) ec |= NPF_EC.P;
      if (r.status === W_RESERVED) ec |= NPF_EC.RSVD;
      if (write) ec |= NPF_EC.W;
      if (fetch && this.ctx.nxe) ec |= NPF_EC.ID;
      throw new NestedPageFault(ec, gpa, r.level);
    }
    if (write) setDirty(this.mem, this.format, r);
    if (!isTable) {
      const p = r.perms;
      this.lastPerm = T_R | (p & P_W && r.leafLo & (1 << this.format.dirtyBit) ? T_W : 0) | (p & P_XU ? T_X : 0);
    }
    return r.addr;
  }
}

/** The factory the VMX layer calls at VM entry with "enable EPT" = 1 (after validateEptp passed). */
export function createEptPhysicalMap(mem: HostMemory, eptp: bigint, o: EptOptions = {}): EptPaging {
  return new EptPaging(mem, eptp, o);
}

/** The same for AMD nested paging under nCR3. */
export function createNptPhysicalMap(mem: HostMemory, ncr3: number, o: NptOptions = {}): NptPaging {
  return new NptPaging(mem, ncr3, o);
}
