/**
 * The exits helper's `Vcpu` over the real machine (KVM's `struct kvm_vcpu`):
 * VMREAD/VMWRITE on the current VMCS; the registers VM exits do not switch
 * (GPRs other than RSP, CR2, CR8, DR0–DR3, DR6, XCR0) are still in the CPU
 * after the exit, because the TypeScript host never clobbers them; guest
 * memory goes through the guest's paging (from the VMCS guest-state area) and
 * EPT, as the processor would translate it.
 */
import { A_R, A_USER, A_W } from "../guest-cpu/mmu";
import { RSP } from "../guest-cpu/registers";
import { GPR_NAMES } from "../guest-cpu/registers";
import type { Cpu } from "../guest-cpu/cpu";
import { Translator2d } from "../ept/translate2d";
import { createEptPhysicalMap } from "../ept/nested";
import { ExitView, GuestMemoryError, MsrStore, type RegisterName, VcpuBase, type VmcsFieldName, type VmServices } from "../exits/vcpu";
import { SLOT, type Vmcs } from "../vmcs/vmcs";
import { toBigU64, fromBigU64, bigToNum } from "../common/u64";

export interface VcpuHost {
  readonly cpu: Cpu;
  /** The current VMCS. */
  vmcs(): Vmcs;
  /** Is EPT on for the guest (secondary control)? */
  eptEnabled(): boolean;
  readonly services: VmServices;
  readonly msrs: MsrStore;
}

/** GPR name → register number (RSP excluded: it lives in GUEST_RSP). */
const GPR_INDEX: ReadonlyMap<string, number> = new Map(GPR_NAMES.map((n, i) => [n as string, i] as const).filter(([, i]) => i !== RSP));

export class RealVcpu extends VcpuBase {
  readonly msrs: MsrStore;
  readonly vm: VmServices;

  constructor(private readonly host: VcpuHost) {
    super();
    this.msrs = host.msrs;
    this.vm = host.services;
  }

  /** The VMM calls this after every VM exit: the exit view and outcome start afresh. */
  beginExit(): void {
    this.newExit();
  }

  vmread(field: string): bigint {
    return this.host.vmcs().read(field);
  }

  vmwrite(field: string, value: bigint): void {
    this.beforeVmwrite(field);
    this.host.vmcs().write(field, value);
  }

  protected override makeExitView(vmread: (field: VmcsFieldName) => bigint): ExitView {
    const v = this.host.vmcs();
    return new ExitView(vmread, { exitReason: v.u32(SLOT.VM_EXIT_REASON), instructionLength: v.u32(SLOT.VM_EXIT_INSTRUCTION_LEN), guestRip: v.get(SLOT.GUEST_RIP) });
  }

  // Fast paths for what every exit handler does (same results as VcpuBase's generic routes).

  override getReg(name: RegisterName): bigint {
    const i = GPR_INDEX.get(name);
    if (i === undefined) return super.getReg(name);
    const s = this.host.cpu.s;
    return toBigU64(s.lo[i]!, s.hi[i]!);
  }

  override setReg(name: RegisterName, value: bigint): void {
    const i = GPR_INDEX.get(name);
    if (i === undefined || typeof value !== "bigint") return super.setReg(name, value);
    const s = this.host.cpu.s;
    // The halves are Int32Array elements: stores wrap to 32 bits as fromBigU64's `| 0` does.
    if (value >= 0n && value <= 0xffff_ffffn) {
      s.lo[i] = Number(value);
      s.hi[i] = 0;
    } else {
      s.lo[i] = Number(value & 0xffff_ffffn);
      s.hi[i] = Number((value >> 32n) & 0xffff_ffffn);
    }
  }

  /** GUEST_RIP += len on the VMCS's 32-bit halves; 64-bit mode wraps at 2^64, other modes at 2^32. */
  protected override stepRip(len: number): void {
    const v = this.host.vmcs();
    const in64 = (v.u32(SLOT.VM_ENTRY_CONTROLS) >>> 9 & 1) === 1 && (v.u32(SLOT.GUEST_CS_AR_BYTES) >>> 13 & 1) === 1;
    const sum = v.u32(SLOT.GUEST_RIP) + len;
    const lo = sum % 0x1_0000_0000;
    const hi = in64 ? (v.hi[SLOT.GUEST_RIP]! + Math.floor(sum / 0x1_0000_0000)) | 0 : 0;
    if (!Number.isSafeInteger(sum) || lo < 0) return super.stepRip(len);
    v.setHalves(SLOT.GUEST_RIP, lo | 0, hi);
    const intr = v.u32(SLOT.GUEST_INTERRUPTIBILITY_INFO);
    if (intr & 3) v.setU32(SLOT.GUEST_INTERRUPTIBILITY_INFO, intr & ~3);
  }

  protected loadReg(name: RegisterName): bigint {
    const s = this.host.cpu.s;
    const i = GPR_INDEX.get(name);
    if (i !== undefined) return toBigU64(s.lo[i]!, s.hi[i]!);
    switch (name) {
      case "cr2": return BigInt.asUintN(64, BigInt(s.cr2));
      case "cr8": return BigInt(s.cr8);
      case "dr0": case "dr1": case "dr2": case "dr3": return BigInt.asUintN(64, BigInt(s.dr[Number(name[2])]!));
      case "dr6": return BigInt.asUintN(64, BigInt(s.dr[6]!));
      case "xcr0": return BigInt(s.xcr0);
      default: throw new RangeError(`register ${name} is not held by the vCPU`);
    }
  }

  protected storeReg(name: RegisterName, value: bigint): void {
    const s = this.host.cpu.s;
    const i = GPR_INDEX.get(name);
    if (i !== undefined) {
      const { lo, hi } = fromBigU64(value);
      s.lo[i] = lo;
      s.hi[i] = hi;
      return;
    }
    switch (name) {
      case "cr2": s.cr2 = bigToNum(value); return;
      case "cr8": s.cr8 = Number(value & 0xfn); return;
      case "dr0": case "dr1": case "dr2": case "dr3": s.dr[Number(name[2])] = bigToNum(value); return;
      case "dr6": s.dr[6] = Number(value & 0xffff_ffffn); return;
      case "xcr0": s.xcr0 = Number(value & 0xffff_ffffn); return;
      default: throw new RangeError(`register ${name} is not held by the vCPU`);
    }
  }

  /** Guest-physical → host-physical through the VM's EPT (identity without EPT). */
  hostAddress(gpa: bigint, write: boolean): number {
    const mem = this.host.cpu.mem;
    const a = Number(gpa);
    if (!this.host.eptEnabled()) {
      if (!mem.inRam(a, 1)) throw new GuestMemoryError(gpa, "physical", `guest-physical 0x${gpa.toString(16)} is not memory`);
      return a;
    }
    const ept = createEptPhysicalMap(mem, this.vmread("EPT_POINTER"));
    try {
      const hpa = ept.translate(a, write ? A_W : A_R, 0, false, 7);
      if (!mem.inRam(hpa, 1) || mem.findMmio(hpa)) throw new Error("not RAM");
      return hpa;
    } catch {
      throw new GuestMemoryError(gpa, "physical", `guest-physical 0x${gpa.toString(16)} is not mapped to RAM by EPT`);
    }
  }

  protected readPhysical(gpa: bigint, length: number): Uint8Array {
    const hpa = this.hostAddress(gpa, false);
    if (!this.host.cpu.mem.inRam(hpa, length)) throw new GuestMemoryError(gpa, "physical", `guest-physical 0x${gpa.toString(16)}+${length} leaves RAM`);
    return this.host.cpu.mem.readBytes(hpa, length);
  }

  protected writePhysical(gpa: bigint, data: Uint8Array): void {
    const hpa = this.hostAddress(gpa, true);
    if (!this.host.cpu.mem.inRam(hpa, data.length)) throw new GuestMemoryError(gpa, "physical", `guest-physical 0x${gpa.toString(16)}+${data.length} leaves RAM`);
    this.host.cpu.mem.writeBytes(hpa, data); // through beforeWrite: snapshots and decoded code see it
  }

  /** The guest's own paging (CR0/CR3/CR4/EFER from the VMCS), then EPT for its table accesses. */
  protected translate(linear: bigint, write: boolean): bigint {
    const cr0 = Number(this.vmread("GUEST_CR0"));
    if (!(cr0 & 0x8000_0000)) return linear & (this.in64BitMode() ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn);
    const mem = this.host.cpu.mem;
    const nested = this.host.eptEnabled() ? createEptPhysicalMap(mem, this.vmread("EPT_POINTER")) : null;
    const t = new Translator2d(mem, nested);
    const cpl = Number((this.vmread("GUEST_SS_AR_BYTES") >> 5n) & 3n);
    // EFER.LMA follows the "IA-32e mode guest" entry control when the exit does not save IA32_EFER (SDM 28.3.1).
    const saveEfer = (this.vmread("VM_EXIT_CONTROLS") >> 20n) & 1n;
    const efer = saveEfer ? Number(this.vmread("GUEST_IA32_EFER")) : (this.vmread("VM_ENTRY_CONTROLS") >> 9n) & 1n ? 0x500 : 0;
    t.setGuest({ cr0, cr3: Number(this.vmread("GUEST_CR3")), cr4: Number(this.vmread("GUEST_CR4")), efer }, cpl);
    try {
      t.translate(bigToNum(linear), (write ? A_W : A_R) | (cpl === 3 ? A_USER : 0));
      return BigInt(t.lastGpa);
    } catch {
      throw new GuestMemoryError(linear, "linear", `guest-linear 0x${linear.toString(16)} is not mapped by the guest's page tables`);
    }
  }
}
