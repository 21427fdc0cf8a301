/**
 * The VMX unit of one processor: plugs the VMX instructions into the
 * interpreter (`cpu.s.vmx`, guest-cpu/hooks.ts VmxUnit), answers RDMSR/WRMSR
 * of IA32_FEATURE_CONTROL and the IA32_VMX_* capability MSRs (MsrProvider),
 * makes CPUID.1:ECX.VMX follow the profile, and offers the same instructions
 * to TypeScript (a VMM does `vmx.vmxon(addr)`, `vmx.vmwrite("GUEST_RIP", …)`,
 * as KVM does), returning {ok} | {failInvalid} | {failValid, error}.
 *
 * Interpreter contract for `execute(s, insn, op)` (guest-cpu/sysinsn.ts
 * `vmxInsn`): s.rip is already the next instruction's address when it is
 * called, so VMsucceed/VMfail simply continue there; VMLAUNCH/VMRESUME that
 * enter the guest (or take a VM-entry-failure exit) leave RIP to the engine.
 * A fault restores RIP to the instruction (the run loop does). In non-root
 * operation the interpreter consults `s.icpt.instruction` first (every VMX
 * instruction but VMFUNC exits unconditionally, SDM 26.1.2); the unit's own
 * non-root test stays as the SDM listings order it, for callers that do not.
 */
import { internalError } from "../common/errors";
import { CPUID1_ECX } from "../guest-cpu/cpuid";
import { CpuFault, GP, UD } from "../guest-cpu/exceptions";
import type { MsrProvider, VmxUnit } from "../guest-cpu/hooks";
import { type Insn, type MemOperand, type Operand, RIP_BASE } from "../guest-cpu/insn";
import { OP, type SensitiveOp } from "../guest-cpu/intercept";
import { rd32, rd64, wr32, wr64 } from "../guest-cpu/memops";
import { setArith } from "../guest-cpu/flags";
import { AR, CR0, CS, EFER, FLAG, FS, GS, SS } from "../guest-cpu/registers";
import { nonCanonical, segAddr } from "../guest-cpu/segments";
import type { CpuState } from "../guest-cpu/state";
import type { HostMemory } from "../memory/host-memory";
import { MSR, type VmxCapabilities } from "../vmcs/capabilities";
import { accessByEncodingValue, accessByFieldName } from "../vmcs/fields";
import { getProfile } from "../vmcs/profiles";
import { applyFlags, type VmxContext, type VmxResult } from "./instructions/common";
import { invept, type InveptDescriptor, invvpid, type InvvpidDescriptor } from "./instructions/invalidate";
import { vmcall, vmfunc } from "./instructions/vmcall";
import { vmclear, vmptrld, vmptrst } from "./instructions/vmcs-pointer";
import { vmenter } from "./instructions/vmentry";
import { vmread, vmwrite } from "./instructions/vmread-vmwrite";
import { vmxoff, vmxon } from "./instructions/vmxon";
import { VmxState } from "./state";
import { fixedOk } from "./entry/bits";

/** IA32_FEATURE_CONTROL bits software may write (lock, VMX in/outside SMX, SENTER 14:8 and 15, SGX 17/18, LMCE 20). */
const FEATURE_CONTROL_WRITABLE = 0x7n | 0xff00n | (1n << 17n) | (1n << 18n) | (1n << 20n);

const TWO32 = 4294967296;

export class VmxUnitImpl implements VmxUnit, VmxContext, MsrProvider {
  readonly state: VmxState;
  /** The instruction being executed by the interpreter (null on the TypeScript path). */
  private insn: Insn | null = null;

  constructor(
    readonly s: CpuState,
    readonly mem: HostMemory,
    caps: VmxCapabilities = getProfile("default"),
  ) {
    this.state = new VmxState(caps);
  }

  get caps(): VmxCapabilities {
    return this.state.caps;
  }

  intercept(op: SensitiveOp): void {
    const icpt = this.s.icpt;
    if (!icpt || !this.insn) throw internalError(`VMX instruction ${op} in non-root operation without an intercept`);
    icpt.instruction(this.s, op, this.insn);
  }

  // ---- interpreter path

  /** In VMX operation CR0/CR4 keep the bits fixed by the capability MSRs (SDM Vol. 3C 24.8); outside it anything goes. */
  crAllowed(cr: 0 | 4, value: number): boolean {
    if (!this.state.inVmxOperation) return true;
    const caps = this.caps;
    return cr === 0 ? fixedOk(BigInt(value >>> 0), caps.cr0Fixed0, caps.cr0Fixed1) : fixedOk(BigInt(value >>> 0), caps.cr4Fixed0, caps.cr4Fixed1);
  }

  execute(s: CpuState, insn: Insn, op: number): void {
    if ((op === OP.VMREAD || op === OP.VMWRITE) && this.fastReadWrite(s, insn, op)) return;
    this.insn = insn;
    try {
      const r = this.dispatch(s, insn, op);
      if (r.kind === "entered" || op === OP.VMFUNC) return;
      applyFlags(s, r);
    } finally {
      this.insn = null;
    }
  }

  private dispatch(s: CpuState, insn: Insn, op: number): VmxResult {
    const o = insn.ops;
    switch (op) {
      case OP.VMXON: return vmxon(this, () => this.readMem64(o[0]!));
      case OP.VMXOFF: return vmxoff(this);
      case OP.VMCLEAR: return vmclear(this, () => this.readMem64(o[0]!));
      case OP.VMPTRLD: return vmptrld(this, () => this.readMem64(o[0]!));
      case OP.VMPTRST: {
        const r = vmptrst(this);
        if (r.kind === "ok") this.writeOperand(o[0]!, r.value!);
        return r;
      }
      case OP.VMREAD: {
        const r = vmread(this, this.readOperand(o[1]!));
        if (r.kind === "ok") this.writeOperand(o[0]!, r.value!);
        return r;
      }
      case OP.VMWRITE: return vmwrite(this, this.readOperand(o[0]!), () => this.readOperand(o[1]!));
      case OP.VMLAUNCH: return vmenter(this, true);
      case OP.VMRESUME: return vmenter(this, false);
      case OP.INVEPT: return invept(this, this.readOperand(o[0]!), () => ({ eptp: this.readMem128(o[1]!)[0] }));
      case OP.INVVPID: return invvpid(this, this.readOperand(o[0]!), () => {
        const [lo, address] = this.readMem128(o[1]!);
        return { lo, address };
      });
      case OP.VMCALL: return vmcall(this);
      case OP.VMFUNC: return vmfunc(this);
      case OP.GETSEC: throw new CpuFault(UD); // no SMX: CR4.SMXE cannot be 1 (SDM Vol. 2D GETSEC)
      default:
        void s;
        throw internalError(`VMX unit: operation ${op} is not a VMX instruction`);
    }
  }

  /**
   * VMREAD/VMWRITE between registers in root operation with a current VMCS
   * and a supported field: the same semantics as vmread()/vmwrite() without
   * BigInt (a hypervisor's exit handler runs these all the time). Returns
   * false to take the general path (memory operands, failures, faults).
   */
  private fastReadWrite(s: CpuState, insn: Insn, op: number): boolean {
    const st = this.state, cur = st.current;
    if (!cur || st.nonRoot || s.cpl !== 0 || !st.inVmxOperation) return false;
    const dst = insn.ops[0]!, src = insn.ops[1]!;
    if (dst.kind !== "reg" || src.kind !== "reg") return false;
    if (!(s.cr0 & CR0.PE) || s.rflagsRest & FLAG.VM) return false;
    if (s.efer & EFER.LMA && !(s.segAr[CS]! & AR.L)) return false;
    const encReg = op === OP.VMREAD ? src : dst;
    if (encReg.size === 8 && s.hi[encReg.reg] !== 0) return false;
    const a = accessByEncodingValue(s.lo[encReg.reg]! >>> 0);
    if (!a || !st.caps.supportsField(a)) return false;
    const slot = a.field.slot;
    if (op === OP.VMREAD) {
      const lo = a.high ? cur.hi[slot]! : cur.lo[slot]!;
      s.lo[dst.reg] = lo;
      s.hi[dst.reg] = dst.size === 8 && !a.high ? cur.hi[slot]! : 0;
    } else {
      if (a.field.readOnly && !st.caps.vmwriteAnyField) return false;
      const lo = s.lo[src.reg]!, hi = src.size === 8 ? s.hi[src.reg]! : 0;
      if (a.high) cur.writeHigh(slot, lo);
      else cur.setHalves(slot, lo, hi);
    }
    setArith(s.f, 0); // VMsucceed
    return true;
  }

  /** Linear address of a memory operand (as the compiled code computes it, guest-cpu/emitter.ts `ea`). */
  private linear(m: MemOperand, size: number, write: boolean): number {
    const s = this.s, insn = this.insn!;
    let off: number;
    if (insn.bits === 64 && m.addrSize === 8) {
      off = m.base === RIP_BASE ? s.rip : 0; // s.rip is the next instruction's
      if (m.base >= 0) off += s.hi[m.base]! * TWO32 + (s.lo[m.base]! >>> 0);
      if (m.index >= 0) off += (s.hi[m.index]! * TWO32 + (s.lo[m.index]! >>> 0)) * m.scale;
      off = Number(BigInt.asIntN(64, BigInt(off) + BigInt(m.disp)));
    } else {
      off = m.base === RIP_BASE ? s.rip : 0; // s.rip is the next instruction's
      if (m.base >= 0) off += s.lo[m.base]!;
      if (m.index >= 0) off += s.lo[m.index]! * m.scale;
      off += m.disp;
      off = m.addrSize === 2 ? off & 0xffff : off >>> 0;
    }
    if (insn.bits === 64) {
      const a = m.seg === FS || m.seg === GS ? off + s.segBase[m.seg]! : off;
      if (a < -140737488355328 || a >= 140737488355328) nonCanonical(s, m.seg === SS ? 1 : 0);
      return a;
    }
    return segAddr(s, m.seg, off, size, write ? 1 : 0);
  }

  private readMem64(op: Operand): bigint {
    if (op.kind !== "mem") throw internalError("VMX unit: expected a memory operand");
    const a = this.linear(op.m, 8, false);
    const lo = rd64(this.s, a);
    return (BigInt(this.s.t[0]! >>> 0) << 32n) | BigInt(lo >>> 0);
  }

  private readMem128(op: Operand): [bigint, bigint] {
    if (op.kind !== "mem") throw internalError("VMX unit: expected a memory operand");
    const a = this.linear(op.m, 16, false);
    const s = this.s;
    const lo0 = rd64(s, a), hi0 = s.t[0]!;
    const lo1 = rd64(s, a + 8), hi1 = s.t[0]!;
    return [(BigInt(hi0 >>> 0) << 32n) | BigInt(lo0 >>> 0), (BigInt(hi1 >>> 0) << 32n) | BigInt(lo1 >>> 0)];
  }

  /** A register or memory source of the instruction's operand size (64 bits in 64-bit mode, else 32), zero-extended. */
  private readOperand(op: Operand): bigint {
    const s = this.s;
    if (op.kind === "reg") {
      const lo = BigInt(s.lo[op.reg]! >>> 0);
      return op.size === 8 ? (BigInt(s.hi[op.reg]! >>> 0) << 32n) | lo : lo;
    }
    if (op.kind === "mem") {
      if (op.size === 8) return this.readMem64(op);
      return BigInt(rd32(s, this.linear(op.m, 4, false)) >>> 0);
    }
    throw internalError(`VMX unit: unexpected operand kind ${op.kind}`);
  }

  /** Writes a destination of the operand size; a shorter destination keeps the low bits (SDM VMREAD). */
  private writeOperand(op: Operand, v: bigint): void {
    const s = this.s;
    const lo = Number(BigInt.asIntN(32, v)), hi = Number(BigInt.asIntN(32, v >> 32n));
    if (op.kind === "reg") {
      s.lo[op.reg] = lo;
      s.hi[op.reg] = op.size === 8 ? hi : 0;
      return;
    }
    if (op.kind === "mem") {
      if (op.size === 8) wr64(s, this.linear(op.m, 8, true), lo, hi);
      else wr32(s, this.linear(op.m, 4, true), lo);
      return;
    }
    throw internalError(`VMX unit: unexpected operand kind ${op.kind}`);
  }

  // ---- TypeScript path (RFLAGS untouched; the result says what happened)

  vmxon(pointer: bigint | number): VmxResult { return vmxon(this, pointer); }
  vmxoff(): VmxResult { return vmxoff(this); }
  vmclear(pointer: bigint | number): VmxResult { return vmclear(this, pointer); }
  vmptrld(pointer: bigint | number): VmxResult { return vmptrld(this, pointer); }
  vmptrst(): VmxResult { return vmptrst(this); }
  /** VMREAD by encoding or Linux field name (`GUEST_RIP`, `EPT_POINTER_HIGH`). */
  vmread(field: number | string): VmxResult { return vmread(this, encodingOf(field)); }
  vmwrite(field: number | string, value: bigint | number): VmxResult { return vmwrite(this, encodingOf(field), value); }
  vmlaunch(): VmxResult { return vmenter(this, true); }
  vmresume(): VmxResult { return vmenter(this, false); }
  invept(type: number, desc: InveptDescriptor = { eptp: 0n }): VmxResult { return invept(this, type, desc); }
  invvpid(type: number, desc: InvvpidDescriptor): VmxResult { return invvpid(this, type, desc); }
  vmcall(): VmxResult { return vmcall(this); }

  // ---- MsrProvider: IA32_FEATURE_CONTROL and the capability MSRs (SDM Vol. 4 Table 2-2)

  read(_s: CpuState, index: number): bigint | undefined {
    if (index === MSR.IA32_FEATURE_CONTROL) return this.state.featureControl;
    return this.caps.msr(index);
  }

  write(_s: CpuState, index: number, value: bigint): boolean {
    if (index === MSR.IA32_FEATURE_CONTROL) {
      // Locked until reset; reserved bits #GP (SDM Vol. 3C 24.7).
      if (this.state.featureControl & 1n || value & ~FEATURE_CONTROL_WRITABLE) throw new CpuFault(GP, 0);
      this.state.featureControl = value;
      return true;
    }
    if (this.caps.msr(index) !== undefined) throw new CpuFault(GP, 0); // capability MSRs are read-only
    return false;
  }
}

function encodingOf(field: number | string): number {
  if (typeof field === "number") return field;
  const a = accessByFieldName(field);
  if (!a) throw new RangeError(`unknown VMCS field '${field}'`);
  return a.encoding;
}

/**
 * Gives a processor VMX as a capability profile describes it: the VMX unit
 * (absent for a profile without VMX: VMX instructions are #UD), the MSRs,
 * CPUID.1:ECX.VMX and the physical-address width CPUID reports.
 */
export function attachVmx(cpu: { readonly s: CpuState; readonly mem: HostMemory }, profile: string | VmxCapabilities = "default"): VmxUnitImpl {
  const caps = typeof profile === "string" ? getProfile(profile) : profile;
  const unit = new VmxUnitImpl(cpu.s, cpu.mem, caps);
  const s = cpu.s;
  s.vmx = caps.vmx ? unit : null;
  const i = s.msrProviders.findIndex((p) => p instanceof VmxUnitImpl);
  if (i >= 0) s.msrProviders.splice(i, 1);
  s.msrProviders.push(unit);
  s.cpuidModel.setBit(1, 2, CPUID1_ECX.VMX, caps.vmx);
  const ext8 = s.cpuidModel.get(0x8000_0008) ?? [0, 0, 0, 0];
  s.cpuidModel.set(0x8000_0008, [(ext8[0] & ~0xff) | caps.physAddrWidth, ext8[1], ext8[2], ext8[3]]);
  return unit;
}
