/**
 * Architectural state of one logical processor, plus the links compiled code
 * needs (memory, TLB, MMU). Compiled blocks and helpers receive it as `s`.
 * 64-bit GPRs are lo/hi int32 halves; RIP, segment bases, CR2/CR3 are numbers
 * (canonical addresses as signed values, which fit a double exactly).
 */
import type { HostMemory } from "../memory/host-memory";
import { FLAGS_LEN, K_RAW, getArith, setArith } from "./flags";
import { ARITH_FLAGS, AR, CR0, CS, EFER, FLAG, RFLAGS_DEFINED, SS } from "./registers";
import { CpuidModel } from "./cpuid";
import { EMPTY_IO_BUS, type InterruptLine, type IoBus, type MsrProvider, type VmxUnit } from "./hooks";
import type { Intercept } from "./intercept";
import type { Mmu } from "./mmu";
import type { Tlb } from "./tlb";

/** Activity states (SDM Vol. 3C 25.4.2 Table 25-3 numbering). */
export const ACTIVE = 0, HLT = 1, SHUTDOWN = 2, WAIT_SIPI = 3;

export class CpuState {
  // ---- general-purpose registers and RIP
  readonly lo = new Int32Array(16);
  readonly hi = new Int32Array(16);
  rip = 0;
  /** Lazy status flags (flags.ts). */
  readonly f = new Int32Array(FLAGS_LEN);
  /** RFLAGS without the six status flags. */
  rflagsRest = FLAG.FIXED1;
  /** Scratch for 64-bit helper results (hi half). */
  readonly t = new Int32Array(4);

  // ---- segments: ES CS SS DS FS GS LDTR TR; hidden parts in VMCS access-rights format
  readonly segSel = new Int32Array(8);
  readonly segBase = new Float64Array(8);
  readonly segLimit = new Float64Array(8);
  readonly segAr = new Int32Array(8);
  gdtrBase = 0; gdtrLimit = 0xffff;
  idtrBase = 0; idtrLimit = 0xffff;

  // ---- control, debug and extended registers
  cr0 = CR0.ET | CR0.CD | CR0.NW;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  cr8 = 0;
  efer = 0;
  xcr0 = 1;
  readonly dr = new Float64Array(8);
  /** PAE paging: the four PDPTE registers as lo/hi halves (loaded at MOV CR3, SDM Vol. 3A 4.4.1). */
  readonly pdpte = new Int32Array(8);
  /** MSRs without behaviour of their own (STAR, LSTAR, PAT, SYSENTER_*, ...): index → value. */
  readonly msrs = new Map<number, bigint>();

  // ---- derived mode, recomputed by updateMode() after CR0/EFER/CS changes
  /** Default code size: 16, 32 or 64. */
  bits: 16 | 32 | 64 = 16;
  cpl = 0;
  /** TLB half for the current privilege: 0 supervisor, TLB_SIZE user. */
  mmuIdx = 0;

  // ---- execution bookkeeping
  /** Instructions retired since reset; the virtual TSC derives from it. */
  icount = 0;
  /** TSC = icount + tscAdjust (WRMSR to IA32_TSC rewrites tscAdjust). */
  tscAdjust = 0;
  activity = ACTIVE;
  /** Interrupt shadow: 1 after STI, 2 after MOV SS/POP SS, for one instruction (SDM Vol. 3A 6.8.3). */
  inhibit = 0;
  nmiBlocked = false;
  /** The NMI pin has been asserted and the NMI not yet taken (devices, VMMs and specs set it). */
  nmiPending = false;
  /** State of the RDRAND/RDSEED generator (deterministic, so runs are reproducible). */
  rng = 0x2545f491;
  /** Set when a write hit a page holding decoded code: the running block stops after this instruction. */
  smc = 0;
  /** Instruction index within the faulting block (set by the block's catch). */
  bk = 0;

  // ---- links (not architectural)
  readonly mem: HostMemory;
  readonly view: DataView;
  readonly bytes: Uint8Array;
  tlb!: Tlb;
  mmu!: Mmu;
  /** Set in VMX non-root operation: sensitive operations ask it whether they exit. */
  icpt: Intercept | null = null;
  cpuidModel = new CpuidModel();
  /** VMX instructions in root operation; null: the CPU has no VMX (#UD). */
  vmx: VmxUnit | null = null;
  readonly msrProviders: MsrProvider[] = [];
  io: IoBus = EMPTY_IO_BUS;
  /** External interrupt requests (PIC/LAPIC); null: none wired. */
  intr: InterruptLine | null = null;

  constructor(mem: HostMemory) {
    this.mem = mem;
    this.view = mem.view;
    this.bytes = mem.bytes;
    this.reset();
  }

  /** Power-on state (SDM Vol. 3A 10.1.1 Table 10-1), but starting at CS:IP = 0:0 in real mode. */
  reset(): void {
    this.lo.fill(0); this.hi.fill(0);
    this.rip = 0;
    setArith(this.f, 0);
    this.rflagsRest = FLAG.FIXED1;
    for (let i = 0; i < 8; i++) {
      this.segSel[i] = 0; this.segBase[i] = 0; this.segLimit[i] = 0xffff;
      this.segAr[i] = i === 6 ? 0x82 : i === 7 ? 0x8b : AR.P | AR.S | 0x3; // data RW accessed; LDTR/TR system types
    }
    this.segAr[CS] = AR.P | AR.S | 0xb; // code, execute/read, accessed
    this.cr0 = CR0.ET | CR0.CD | CR0.NW;
    this.cr2 = 0; this.cr3 = 0; this.cr4 = 0; this.cr8 = 0; this.efer = 0; this.xcr0 = 1;
    this.dr.fill(0); this.dr[6] = 0xffff0ff0; this.dr[7] = 0x400;
    this.msrs.clear();
    this.activity = ACTIVE; this.inhibit = 0; this.nmiBlocked = false; this.nmiPending = false;
    this.updateMode();
  }

  get rflags(): number {
    return (this.rflagsRest & ~ARITH_FLAGS) | getArith(this.f) | FLAG.FIXED1;
  }

  set rflags(v: number) {
    const acOn = (v & FLAG.AC) !== 0 && !(this.rflagsRest & FLAG.AC);
    this.rflagsRest = (v & RFLAGS_DEFINED & ~ARITH_FLAGS) | FLAG.FIXED1;
    setArith(this.f, v);
    if (acOn) this.alignmentCheckOn();
  }

  /**
   * CPL-3 TLB entries skip the alignment check (memops fast path): when
   * checking becomes active at CPL 3, drop them. CR0 and RFLAGS.AC change at
   * CPL 0 are caught by updateMode when CPL becomes 3.
   */
  private alignmentCheckOn(): void {
    if (this.cpl === 3 && this.cr0 & CR0.AM && this.rflagsRest & FLAG.AC) this.tlb?.flushUser();
  }

  get longMode(): boolean {
    return (this.efer & EFER.LMA) !== 0;
  }

  get protectedMode(): boolean {
    return (this.cr0 & CR0.PE) !== 0;
  }

  get paging(): boolean {
    return (this.cr0 & CR0.PG) !== 0;
  }

  /** Recomputes code size and CPL from CR0, EFER and the CS/SS hidden parts. */
  updateMode(): void {
    const csAr = this.segAr[CS]!;
    if (!(this.cr0 & CR0.PE)) this.bits = 16;
    else if (this.efer & EFER.LMA && csAr & AR.L) this.bits = 64;
    else this.bits = csAr & AR.DB ? 32 : 16;
    // CPL is SS.DPL (SDM Vol. 3C 25.4.1); in real mode 0.
    this.cpl = this.cr0 & CR0.PE ? (this.segAr[SS]! >> AR.DPL_SHIFT) & 3 : 0;
    this.mmuIdx = this.cpl === 3 ? TLB_USER : 0;
    this.alignmentCheckOn();
  }

  /** Flags state is consistent when a K_RAW record is present (used by tests and snapshots). */
  get flagsMaterialized(): boolean {
    return this.f[0]! >> 2 === K_RAW;
  }
}

/** Entries per TLB half; the user half starts at this index. */
export const TLB_SIZE = 1024;
export const TLB_USER = TLB_SIZE;
