/**
 * The 2-D translation as a pure function for labs (`walk`) and specs:
 * guest-linear → guest-physical with the guest's own paging (format from its
 * CR0/CR4/EFER, exactly the CPU's X86Paging) → host-physical through EPT/NPT,
 * every guest paging-structure address itself translated through EPT/NPT.
 * With tracing, the result lists every entry read in order: for a 4-level
 * guest under 4-level EPT, 4 × (4 nested + 1 guest) + 4 nested = 24
 * references (Bhargava et al., ASPLOS'08), fewer with large pages.
 */
import { CpuFault } from "../guest-cpu/exceptions";
import { A_R, A_USER, A_W, A_X, TransOut } from "../guest-cpu/mmu";
import { identityPhysical, X86Paging } from "../guest-cpu/paging";
import { AR, FLAG, SS } from "../guest-cpu/registers";
import { CpuState } from "../guest-cpu/state";
import type { HostMemory } from "../memory/host-memory";
import type { NestedPaging } from "./nested";
import { EptMisconfig, EptViolation, NestedPageFault } from "./signals";
import type { WalkTrace } from "./walker";

/** The guest state that selects and drives its paging. */
export interface GuestPaging {
  cr0: number;
  cr3: number;
  cr4: number;
  efer: number;
  /** RFLAGS.AC (SMAP); default false. */
  ac?: boolean;
}

export type Access = "read" | "write" | "fetch";

export type Fault2d =
  | { kind: "page-fault"; errorCode: number; address: number }
  | { kind: "ept-violation"; qualification: number; gpa: number; gla: number; level: number }
  | { kind: "ept-misconfig"; gpa: number; level: number }
  | { kind: "nested-page-fault"; exitInfo1: number; exitInfo2: number; level: number };

export interface Translate2dResult {
  lin: number;
  /** Guest-physical and host-physical address, null when the translation faulted first. */
  gpa: number | null;
  hpa: number | null;
  /** Every paging-structure entry read, guest and nested, in order (empty unless tracing). */
  trace: WalkTrace;
  fault: Fault2d | null;
}

const ACCESS: Record<Access, number> = { read: A_R, write: A_W, fetch: A_X };

/**
 * A reusable 2-D translator: one scratch CPU state and the CPU's own paging
 * code. `translate` allocates nothing when not tracing (the benchmark path).
 */
export class Translator2d {
  readonly s: CpuState;
  private readonly paging = new X86Paging();
  private readonly out = new TransOut();

  constructor(readonly mem: HostMemory, readonly nested: NestedPaging | null, maxPhys = 46) {
    this.s = new CpuState(mem);
    this.paging.maxPhys = maxPhys;
    this.paging.physical = nested ? nested.physical : identityPhysical;
  }

  /** Loads the guest's paging state; `cpl` 3 makes accesses user-mode. */
  setGuest(g: GuestPaging, cpl = 0): void {
    const s = this.s;
    s.cr0 = g.cr0; s.cr3 = g.cr3; s.cr4 = g.cr4; s.efer = g.efer;
    s.rflagsRest = g.ac ? s.rflagsRest | FLAG.AC : s.rflagsRest & ~FLAG.AC;
    s.segAr[SS] = (s.segAr[SS]! & ~(3 << AR.DPL_SHIFT)) | (cpl << AR.DPL_SHIFT);
    s.updateMode();
  }

  /** Host-physical address of `lin` for `acc` (A_R/A_W/A_X, A_USER); throws CpuFault or a nested-paging signal. */
  translate(lin: number, acc: number): number {
    return this.paging.translate(this.s, lin, acc, this.out);
  }

  /** Guest-physical address of the last successful translation. */
  get lastGpa(): number {
    return this.out.gpa;
  }

  run(lin: number, access: Access, o: { user?: boolean; trace?: boolean } = {}): Translate2dResult {
    const trace: WalkTrace = [];
    const tracing = o.trace !== false;
    this.paging.trace = tracing ? trace : undefined;
    if (this.nested) this.nested.trace = tracing ? trace : undefined;
    const acc = ACCESS[access] | (o.user ? A_USER : 0);
    try {
      const hpa = this.translate(lin, acc);
      return { lin, gpa: this.out.gpa, hpa, trace, fault: null };
    } catch (e) {
      return { lin, gpa: null, hpa: null, trace, fault: describeFault(e) };
    } finally {
      this.paging.trace = undefined;
      if (this.nested) this.nested.trace = undefined;
    }
  }
}

function describeFault(e: unknown): Fault2d {
  if (e instanceof CpuFault) return { kind: "page-fault", errorCode: e.errorCode, address: e.address };
  if (e instanceof EptViolation) return { kind: "ept-violation", qualification: e.qualification, gpa: e.gpa, gla: e.gla, level: e.level };
  if (e instanceof EptMisconfig) return { kind: "ept-misconfig", gpa: e.gpa, level: e.level };
  if (e instanceof NestedPageFault) return { kind: "nested-page-fault", exitInfo1: e.exitInfo1, exitInfo2: e.exitInfo2, level: e.level };
  throw e;
}

/** One 2-D translation with its trace (labs' `walk`, specs). */
export function translate2d(
  mem: HostMemory,
  guest: GuestPaging,
  nested: NestedPaging | null,
  lin: number,
  access: Access,
  o: { user?: boolean; trace?: boolean; maxPhys?: number } = {},
): Translate2dResult {
  const t = new Translator2d(mem, nested, o.maxPhys);
  t.setGuest(guest, o.user ? 3 : 0);
  return t.run(lin, access, o);
}
