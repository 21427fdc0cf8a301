/**
 * The processor's own paging (SDM Vol. 3A ch. 4): picks the paging mode from
 * CR0/CR4/EFER, walks with the generic walker, applies the access-rights
 * rules of 4.6 and reports #PF with the error code of 4.7. Table and final
 * addresses pass through `physical`, which is the identity in root operation
 * and the EPT/NPT translation in non-root operation (set by src/vmx).
 */
import { FORMAT_4LEVEL, FORMAT_5LEVEL, frame4k, P_R, P_U, P_W, P_XS, P_XU, PagingFormat, WalkContext } from "../ept/format";
import { setDirty, TableToHost, W_NOT_PRESENT, W_RESERVED, walk, WalkOptions, WalkResult, WalkTrace } from "../ept/walker";
import { CpuFault, PF, PFEC } from "./exceptions";
import { A_IMPLICIT, A_R, A_USER, A_W, A_X, TransOut, Translator } from "./mmu";
import { FORMAT_32BIT, FORMAT_PAE } from "./paging-formats";
import { CR0, CR4, EFER, FLAG } from "./registers";
import type { CpuState } from "./state";
import { T_R, T_W, T_X } from "./tlb";

/**
 * Guest-physical → host-physical for paging-structure and final accesses (nested paging hook).
 * For a paging-structure access `acc` is A_R (reading the entry) or A_W (setting its accessed or
 * dirty flag). For the final access `guestPerms` holds the P_* allow-bits of the guest's own
 * translation (absent with paging off).
 */
export type PhysicalMap = (s: CpuState, gpa: number, acc: number, lin: number, isTable: boolean, guestPerms?: number) => number;

export const identityPhysical: PhysicalMap = (_s, gpa) => gpa;

/** The paging mode CR0/CR4/EFER select (SDM Vol. 3A 4.1.1 Table 4-1); PAE walks start below a PDPTE register. */
export function pagingFormat(s: CpuState): PagingFormat {
  if (s.efer & EFER.LMA) return s.cr4 & CR4.LA57 ? FORMAT_5LEVEL : FORMAT_4LEVEL;
  return s.cr4 & CR4.PAE ? FORMAT_PAE : FORMAT_32BIT;
}

export class X86Paging implements Translator {
  physical: PhysicalMap = identityPhysical;
  /** Physical-address width reported by CPUID 0x80000008 (the profile sets it). */
  maxPhys = 46;
  /** When set, every paging-structure entry read is appended (labs' `walk`, translate2d). */
  trace: WalkTrace | undefined = undefined;
  private readonly r = new WalkResult();
  // The walk's table accesses go through `physical`; kept in fields so a walk allocates nothing.
  private ws: CpuState | null = null;
  private wLin = 0;
  private readonly toHost: TableToHost = (gpa, write) => this.physical(this.ws!, gpa, write ? A_W : A_R, this.wLin, true);
  private readonly wOpts: WalkOptions = { tableToHost: this.toHost, trace: undefined };
  private readonly ctx: WalkContext = {
    nxe: false, page1G: true, pse: false, maxPhys: 46, adEnabled: true, mbec: false, execOnly: false,
  };

  translate(s: CpuState, lin: number, acc: number, out: TransOut): number {
    if (!(s.cr0 & CR0.PG)) {
      const gpa = s.longMode ? lin : lin >>> 0;
      out.perm = T_R | T_W | T_X;
      out.global = false;
      out.gpa = gpa;
      out.cacheable = true;
      return this.physical(s, gpa, acc, lin, false);
    }
    const fmt = pagingFormat(s);
    const ctx = this.ctx;
    ctx.nxe = (s.efer & EFER.NXE) !== 0;
    ctx.pse = (s.cr4 & CR4.PSE) !== 0;
    ctx.maxPhys = this.maxPhys;
    let root: number;
    if (fmt === FORMAT_PAE) {
      // The PDPTE register for address bits 31:30 (loaded at MOV CR3; SDM Vol. 3A 4.4.1).
      const i = ((lin >>> 30) & 3) * 2;
      const plo = s.pdpte[i]!;
      if (!(plo & 1)) throw this.pageFault(s, lin, acc, false, false);
      root = frame4k(plo, s.pdpte[i + 1]!);
      lin = lin >>> 0;
    } else if (fmt === FORMAT_32BIT) {
      root = (s.cr3 >>> 0) & ~0xfff;
      lin = lin >>> 0;
    } else {
      root = s.cr3 - (s.cr3 % 4096);
    }
    this.ws = s;
    this.wLin = lin;
    this.wOpts.trace = this.trace;
    const r = walk(s.mem, fmt, ctx, root, lin, this.r, this.wOpts);
    const user = (acc & A_USER) !== 0;
    const write = (acc & A_W) !== 0;
    const exec = (acc & A_X) !== 0;
    if (r.status === W_NOT_PRESENT || r.status === W_RESERVED) {
      throw this.pageFault(s, lin, acc, r.status === W_RESERVED, r.status !== W_NOT_PRESENT);
    }
    const p = r.perms;
    const allowed = this.allowed(s, p, user, (acc & A_IMPLICIT) !== 0);
    const need = exec ? T_X : write ? T_W : T_R;
    if (!(allowed & need)) throw this.pageFault(s, lin, acc, false, true);
    if (write) setDirty(s.mem, fmt, r, this.toHost);
    out.gpa = r.addr;
    // Writes may use the entry without a walk only once the dirty flag is set.
    out.perm = r.leafLo & (1 << fmt.dirtyBit) ? allowed : allowed & ~T_W;
    out.global = (s.cr4 & CR4.PGE) !== 0 && (r.leafLo & (1 << fmt.globalBit)) !== 0;
    out.cacheable = true;
    return this.physical(s, r.addr, acc, lin, false, r.perms);
  }

  /** Access rights of a translation for one privilege (SDM Vol. 3A 4.6.1). */
  private allowed(s: CpuState, p: number, user: boolean, implicit: boolean): number {
    const userPage = (p & P_U) !== 0;
    let a = 0;
    if (user) {
      if (!userPage) return 0;
      a = T_R | (p & P_W ? T_W : 0) | (p & P_XU ? T_X : 0);
      return a;
    }
    const wp = (s.cr0 & CR0.WP) !== 0;
    const smap = (s.cr4 & CR4.SMAP) !== 0 && userPage && (implicit || !(s.rflagsRest & FLAG.AC));
    const smep = (s.cr4 & CR4.SMEP) !== 0 && userPage;
    if (!smap) a |= T_R;
    if (!smap && (p & P_W || !wp)) a |= T_W;
    if (!smep && p & P_XS) a |= T_X;
    return a & (p & P_R ? -1 : 0);
  }

  private pageFault(s: CpuState, lin: number, acc: number, rsvd: boolean, present: boolean): CpuFault {
    let ec = 0;
    if (present) ec |= PFEC.P;
    if (acc & A_W) ec |= PFEC.W;
    if (acc & A_USER) ec |= PFEC.U;
    if (rsvd) ec |= PFEC.RSVD;
    // I/D is reported for fetches when NX or SMEP is in use (SDM Vol. 3A 4.7).
    if (acc & A_X && (s.efer & EFER.NXE || s.cr4 & CR4.SMEP)) ec |= PFEC.I;
    return new CpuFault(PF, ec, lin);
  }
}
