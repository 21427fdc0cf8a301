/**
 * VMX non-root operation: the Intercept the interpreter asks before every
 * sensitive operation (SDM Vol. 3C 26.1–26.3). A decision to exit throws a
 * VmExit with the exit-information fields; the instruction has had no side
 * effect and RIP still points at it. Otherwise the method returns what the
 * guest sees (CR read shadows, the offset TSC, the CR value to load).
 */
import { CpuFault, DB, PF, hasErrorCode } from "../../guest-cpu/exceptions";
import type { Insn } from "../../guest-cpu/insn";
import type { Event } from "../../guest-cpu/interrupts";
import { CR_CLTS, CR_LMSW, CR_MOV_FROM, CR_MOV_TO, OP, type Intercept, type SensitiveOp } from "../../guest-cpu/intercept";
import { CR0 } from "../../guest-cpu/registers";
import type { CpuState } from "../../guest-cpu/state";
import { EXIT_REASON_NUMBERS as R } from "../../exits/reasons";
import { CPU, CPU2, INTR, ITYPE } from "../ctl";
import { VmExit } from "../exit/signal";
import type { ExecControls } from "./controls";
import { crAccessQual, drAccessQual, ioQual, memInfo, vmxInstrInfo } from "./qualification";

/** Operand positions of (reg1, reg2) in VMX instruction information (Table 28-13, 28-14); -1 none. */
const VMX_OPERANDS: Partial<Record<number, [number, number, number]>> = {
  // op: [exit reason, reg1 operand index, reg2 operand index]
  [OP.VMCLEAR]: [R.VMCLEAR, -1, -1], [OP.VMPTRLD]: [R.VMPTRLD, -1, -1], [OP.VMPTRST]: [R.VMPTRST, -1, -1],
  [OP.VMXON]: [R.VMON, -1, -1], [OP.VMREAD]: [R.VMREAD, 0, 1], [OP.VMWRITE]: [R.VMWRITE, 1, 0],
  [OP.INVEPT]: [R.INVEPT, -1, 0], [OP.INVVPID]: [R.INVVPID, -1, 0], [OP.INVPCID]: [R.INVPCID, -1, 0],
};

/** Instructions that exit with no control involved (26.1.2). */
const UNCONDITIONAL: Partial<Record<number, number>> = {
  [OP.CPUID]: R.CPUID, [OP.GETSEC]: R.GETSEC, [OP.INVD]: R.INVD, [OP.XSETBV]: R.XSETBV, [OP.VMCALL]: R.VMCALL,
  [OP.VMLAUNCH]: R.VMLAUNCH, [OP.VMRESUME]: R.VMRESUME, [OP.VMXOFF]: R.VMOFF, [OP.ENCLS]: R.ENCLS,
};

/** Descriptor-table instructions (26.1.3, "descriptor-table exiting"): reason and instruction identity (Tables 28-10, 28-11). */
const DESC: Partial<Record<number, [number, number]>> = {
  [OP.SGDT]: [R.GDTR_IDTR, 0], [OP.SIDT]: [R.GDTR_IDTR, 1], [OP.LGDT]: [R.GDTR_IDTR, 2], [OP.LIDT]: [R.GDTR_IDTR, 3],
  [OP.SLDT]: [R.LDTR_TR, 0], [OP.STR]: [R.LDTR_TR, 1], [OP.LLDT]: [R.LDTR_TR, 2], [OP.LTR]: [R.LDTR_TR, 3],
};

export class NonRootIntercept implements Intercept {
  /** Exceptions noted on their way to IDT delivery: an exit during delivery reports them as IDT-vectoring information (28.2.3). */
  vectoring: { info: number; error: number } | null = null;

  /** A TPR-below-threshold VM exit is due at the next instruction boundary (trap-like, 30.1.2). */
  tprBelowThreshold = false;

  /** VMFUNC in non-root operation (the engine: #UD, EPTP switching, or a VMFUNC exit). */
  vmfunc: ((s: CpuState, insn: Insn) => void) | null = null;

  constructor(readonly c: ExecControls) {}

  instruction(s: CpuState, op: SensitiveOp, insn: Insn, arg?: number): void {
    const c = this.c;
    const len = insn.len;
    const u = UNCONDITIONAL[op];
    if (u !== undefined) throw new VmExit(u, 0, len);
    const vmx = VMX_OPERANDS[op];
    if (vmx !== undefined) {
      // INVPCID exits only with "enable INVPCID" and "INVLPG exiting" (26.1.3); the rest unconditionally.
      if (op === OP.INVPCID && !(c.secondary & CPU2.INVPCID && c.primary & CPU.INVLPG)) return;
      const { info, disp } = vmxInstrInfo(insn, vmx[1], vmx[2]);
      throw new VmExit(vmx[0], BigInt.asUintN(64, BigInt(disp)), len, { instrInfo: info });
    }
    const d = DESC[op];
    if (d !== undefined) {
      if (!(c.secondary & CPU2.DESC)) return;
      throw this.descExit(insn, d[0], d[1]);
    }
    switch (op) {
      case OP.HLT: if (c.primary & CPU.HLT) throw new VmExit(R.HLT, 0, len); return;
      case OP.INVLPG: if (c.primary & CPU.INVLPG) throw new VmExit(R.INVLPG, BigInt.asUintN(64, BigInt(arg ?? 0)), len); return;
      case OP.RDPMC: if (c.primary & CPU.RDPMC) throw new VmExit(R.RDPMC, 0, len); return;
      case OP.RDTSC: if (c.primary & CPU.RDTSC) throw new VmExit(R.RDTSC, 0, len); return;
      case OP.RDTSCP:
        // With "enable RDTSCP" = 0, RDTSCP is #UD in non-root operation (26.3).
        if (!(c.secondary & CPU2.RDTSCP)) throw new CpuFault(6);
        if (c.primary & CPU.RDTSC) throw new VmExit(R.RDTSCP, 0, len);
        return;
      case OP.MONITOR: if (c.primary & CPU.MONITOR) throw new VmExit(R.MONITOR_INSTRUCTION, 0, len); return;
      case OP.MWAIT: if (c.primary & CPU.MWAIT) throw new VmExit(R.MWAIT_INSTRUCTION, 0, len); return;
      case OP.PAUSE: if (c.primary & CPU.PAUSE) throw new VmExit(R.PAUSE_INSTRUCTION, 0, len); return;
      case OP.WBINVD: if (c.secondary & CPU2.WBINVD) throw new VmExit(R.WBINVD, 0, len); return;
      case OP.RDRAND: if (c.secondary & CPU2.RDRAND) throw this.randExit(insn, R.RDRAND); return;
      case OP.RDSEED: if (c.secondary & CPU2.RDSEED) throw this.randExit(insn, R.RDSEED); return;
      case OP.VMFUNC:
        if (!this.vmfunc) throw new VmExit(R.VMFUNC, 0, len);
        this.vmfunc(s, insn);
        return;
      case OP.XSAVES: if (c.secondary & CPU2.XSAVES) throw new VmExit(R.XSAVES, 0, len); return;
      case OP.XRSTORS: if (c.secondary & CPU2.XSAVES) throw new VmExit(R.XRSTORS, 0, len); return;
      default: return;
    }
  }

  private descExit(insn: Insn, reason: number, identity: number): VmExit {
    const mem = insn.ops.find((o) => o.kind === "mem");
    let info = identity << 28;
    let disp = 0;
    if (mem && mem.kind === "mem") {
      info |= memInfo(mem.m, 3);
      disp = mem.m.disp;
    } else {
      const r = insn.ops[0];
      info |= 1 << 10;
      if (r && r.kind === "reg") info |= (r.reg & 0xf) << 3;
    }
    // Table 28-10 bit 11: operand size (0 = 16-bit, 1 = 32-bit) for SGDT/SIDT/LGDT/LIDT.
    if (reason === R.GDTR_IDTR && insn.opSize !== 2) info |= 1 << 11;
    return new VmExit(reason, BigInt.asUintN(64, BigInt(disp)), insn.len, { instrInfo: info >>> 0 });
  }

  /** RDRAND/RDSEED (Table 28-15): bits 6:3 destination register, 12:11 operand size (0 16, 1 32, 2 64). */
  private randExit(insn: Insn, reason: number): VmExit {
    const r = insn.ops[0];
    const reg = r && r.kind === "reg" ? r.reg : 0;
    const size = insn.opSize === 8 ? 2 : insn.opSize === 4 ? 1 : 0;
    return new VmExit(reason, 0, insn.len, { instrInfo: ((reg & 0xf) << 3) | (size << 11) });
  }

  readCr(_s: CpuState, insn: Insn, cr: number, gpr: number, value: number): number {
    const c = this.c;
    switch (cr) {
      // Host-owned bits read from the shadow (26.3).
      case 0: return ((value & ~c.cr0Mask) | (c.cr0Shadow & c.cr0Mask)) >>> 0;
      case 4: return ((value & ~c.cr4Mask) | (c.cr4Shadow & c.cr4Mask)) >>> 0;
      case 3: if (c.primary & CPU.CR3_STORE) throw new VmExit(R.CR_ACCESS, crAccessQual(3, CR_MOV_FROM, gpr), insn.len); return value;
      case 8:
        if (c.primary & CPU.CR8_STORE) throw new VmExit(R.CR_ACCESS, crAccessQual(8, CR_MOV_FROM, gpr), insn.len);
        // With "use TPR shadow", CR8 reads VTPR[7:4] from the virtual-APIC page (30.3).
        if (c.primary & CPU.TPR_SHADOW) return (physByte(_s, c.virtualApicPage + VTPR) >> 4) & 0xf;
        return value;
      default: return value;
    }
  }

  writeCr(s: CpuState, insn: Insn, cr: number, kind: number, gpr: number, value: number): number {
    const c = this.c;
    if (kind === CR_CLTS) {
      // CLTS exits when CR0.TS is host-owned and its shadow is 1; with TS owned and shadow 0, TS is unchanged (26.1.3, 26.3).
      if (c.cr0Mask & CR0.TS) {
        if (c.cr0Shadow & CR0.TS) throw new VmExit(R.CR_ACCESS, crAccessQual(0, CR_CLTS, 0), insn.len);
        return s.cr0;
      }
      return value;
    }
    if (kind === CR_LMSW) {
      // `value` is the 16-bit source. LMSW exits if it would set PE while PE is owned with shadow 0,
      // or would give an owned MP/EM/TS bit a value other than its shadow (26.1.3).
      const src = value & 0xffff;
      const owned = c.cr0Mask & 0xf;
      const exits = (owned & CR0.PE && !(c.cr0Shadow & CR0.PE) && src & CR0.PE) || ((src ^ c.cr0Shadow) & owned & 0xe) !== 0;
      const mem = insn.ops[0]?.kind === "mem";
      if (exits) throw new VmExit(R.CR_ACCESS, crAccessQual(0, CR_LMSW, 0, mem, src), insn.len);
      // LMSW cannot clear PE; owned bits keep their values.
      const loaded = (s.cr0 & ~0xe) | (src & 0xf) | (s.cr0 & CR0.PE);
      return ((loaded & ~owned) | (s.cr0 & owned)) >>> 0;
    }
    switch (cr) {
      case 0:
        if (((value ^ c.cr0Shadow) & c.cr0Mask) !== 0) throw new VmExit(R.CR_ACCESS, crAccessQual(0, CR_MOV_TO, gpr), insn.len);
        return ((value & ~c.cr0Mask) | (s.cr0 & c.cr0Mask)) >>> 0;
      case 4:
        if (((value ^ c.cr4Shadow) & c.cr4Mask) !== 0) throw new VmExit(R.CR_ACCESS, crAccessQual(4, CR_MOV_TO, gpr), insn.len);
        return ((value & ~c.cr4Mask) | (s.cr4 & c.cr4Mask)) >>> 0;
      case 3:
        // CR3-target values: loading one of the first CR3_TARGET_COUNT values does not exit (26.1.3).
        if (c.primary & CPU.CR3_LOAD && !c.cr3Targets.includes(value)) {
          throw new VmExit(R.CR_ACCESS, crAccessQual(3, CR_MOV_TO, gpr), insn.len);
        }
        return value;
      case 8:
        if (c.primary & CPU.CR8_LOAD) throw new VmExit(R.CR_ACCESS, crAccessQual(8, CR_MOV_TO, gpr), insn.len);
        if (c.primary & CPU.TPR_SHADOW) {
          // 30.3: MOV to CR8 writes VTPR (bits 7:4 = source bits 3:0, other bits 0) instead of the TPR, then
          // (without virtual-interrupt delivery) a trap-like TPR-below-threshold exit if VTPR[7:4] < threshold[3:0].
          if (value > 15 || value < 0) throw new CpuFault(13, 0);
          const a = c.virtualApicPage + VTPR;
          if (a >= 0 && a + 4 <= s.bytes.length) s.view.setUint32(a, (value & 0xf) << 4, true);
          if (!(c.secondary & CPU2.VINTR_DELIVERY) && (value & 0xf) < (c.tprThreshold & 0xf)) this.tprBelowThreshold = true;
          return s.cr8;
        }
        return value;
      default:
        return value;
    }
  }

  movDr(_s: CpuState, insn: Insn, dr: number, gpr: number, toDr: boolean): void {
    if (this.c.primary & CPU.MOV_DR) throw new VmExit(R.DR_ACCESS, drAccessQual(dr, !toDr, gpr), insn.len);
  }

  io(s: CpuState, insn: Insn, port: number, size: number, isIn: boolean, isString: boolean, isRep: boolean): void {
    if (!this.ioExits(s, port, size)) return;
    const immediate = insn.ops.some((o) => o.kind === "imm");
    const q = ioQual(port, size, isIn, isString, isRep, immediate);
    if (!isString) throw new VmExit(R.IO_INSTRUCTION, q, insn.len);
    // INS/OUTS (28.2.1, Table 28-8): the linear address of the memory operand, address size and segment.
    const strOp = insn.ops.find((o) => o.kind === "str");
    let gla = 0;
    let info = 0;
    if (strOp && strOp.kind === "str") {
      const seg = isIn ? 0 : strOp.seg >= 0 ? strOp.seg : 3;
      const r = strOp.reg;
      const off = strOp.addrSize === 8 ? s.hi[r]! * 4294967296 + (s.lo[r]! >>> 0) : strOp.addrSize === 4 ? s.lo[r]! >>> 0 : s.lo[r]! & 0xffff;
      gla = s.bits === 64 && seg < 4 ? off : s.segBase[seg]! + off;
      info = ((strOp.addrSize === 8 ? 2 : strOp.addrSize === 4 ? 1 : 0) << 7) | (isIn ? 0 : seg << 15);
    }
    throw new VmExit(R.IO_INSTRUCTION, q, insn.len, { gla, instrInfo: info });
  }

  /** I/O bitmaps A (0000H–7FFFH) and B (8000H–FFFFH), one bit per port; an access wrapping past FFFFH exits (26.1.3). */
  ioExits(s: CpuState, port: number, size: number): boolean {
    const c = this.c;
    if (!(c.primary & CPU.IO_BITMAPS)) return (c.primary & CPU.UNCOND_IO) !== 0;
    if (port + size - 1 > 0xffff) return true;
    for (let p = port; p < port + size; p++) {
      const base = p < 0x8000 ? c.ioBitmapA : c.ioBitmapB;
      const off = p & 0x7fff;
      if ((physByte(s, base + (off >>> 3)) >> (off & 7)) & 1) return true;
    }
    return false;
  }

  msr(s: CpuState, insn: Insn, index: number, isWrite: boolean): void {
    if (this.msrExits(s, index, isWrite)) throw new VmExit(isWrite ? R.MSR_WRITE : R.MSR_READ, 0, insn.len);
  }

  /** MSR bitmaps (25.6.9): read low/high at 0/1024, write low/high at 2048/3072; other MSRs always exit. */
  msrExits(s: CpuState, index: number, isWrite: boolean): boolean {
    const c = this.c;
    if (!(c.primary & CPU.MSR_BITMAPS)) return true;
    const i = index >>> 0;
    let off: number;
    if (i <= 0x1fff) off = 0;
    else if (i >= 0xc000_0000 && i <= 0xc000_1fff) off = 1024;
    else return true;
    if (isWrite) off += 2048;
    const bitNo = i & 0x1fff;
    return ((physByte(s, c.msrBitmap + off + (bitNo >>> 3)) >> (bitNo & 7)) & 1) === 1;
  }

  exception(s: CpuState, f: CpuFault): void {
    const c = this.c;
    const v = f.vector;
    let exits: boolean;
    if (v === PF) {
      // #PF: the bitmap bit selects whether a match of (PFEC & mask) == match exits (25.6.3).
      const match = ((f.errorCode & c.pfecMask) >>> 0) === c.pfecMatch >>> 0;
      exits = ((c.exceptionBitmap >>> PF) & 1) === 1 ? match : !match;
    } else {
      exits = ((c.exceptionBitmap >>> v) & 1) === 1;
    }
    const soft = f.trap && v !== DB;
    const type = soft ? ITYPE.SW_EXC : ITYPE.HW_EXC;
    const errorValid = !soft && hasErrorCode(v) && f.errorCode >= 0;
    const info = (INTR.VALID | (type << 8) | v | (errorValid ? INTR.ERROR_CODE : 0)) >>> 0;
    if (!exits) {
      // Not exiting: the exception is delivered through the guest IDT; remember it for IDT-vectoring information.
      this.vectoring = { info, error: errorValid ? f.errorCode : 0 };
      return;
    }
    // 28.2.1: #PF's qualification is the linear address (CR2 is not loaded); #DB's the DR6-style bits.
    const q = v === PF ? BigInt.asUintN(64, BigInt(f.address)) : v === DB ? BigInt(s.dr[6]! & 0x600f) : 0n;
    throw new VmExit(R.EXCEPTION_NMI, q, soft ? 1 : 0, { intrInfo: info, intrError: errorValid ? f.errorCode : 0 });
  }

  delivering(_s: CpuState, ev: Event): void {
    this.vectoring = { info: (INTR.VALID | (ev.type << 8) | ev.vector) >>> 0, error: 0 };
  }

  delivered(_s: CpuState): void {
    this.vectoring = null;
  }

  tripleFault(_s: CpuState): void {
    throw new VmExit(R.TRIPLE_FAULT);
  }

  tsc(_s: CpuState, hostTsc: number): number {
    const c = this.c;
    // 26.3: with "use TSC offsetting", TSC × multiplier (scaled, with "use TSC scaling") + offset.
    if (!(c.primary & CPU.TSC_OFFSETTING)) return hostTsc;
    let t = BigInt(Math.floor(hostTsc));
    if (c.secondary & CPU2.TSC_SCALING) t = (t * c.tscMultiplier) >> 48n;
    return Number(BigInt.asUintN(64, t + c.tscOffset));
  }
}

/** Offset of the virtual task-priority register in the virtual-APIC page (30.1.1). */
const VTPR = 0x80;

function physByte(s: CpuState, pa: number): number {
  return pa >= 0 && pa < s.bytes.length ? s.bytes[pa]! : 0xff;
}

export { CR_MOV_TO };
