/**
 * The CPUID model: a table of leaves a profile can change (SDM Vol. 2A CPUID).
 * Leaf 1 ECX bit 5 reports VMX; the capability profile decides it.
 */

export type CpuidRegs = [eax: number, ebx: number, ecx: number, edx: number];

function str4(s: string): number {
  return s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24);
}

/** Leaf 1 feature bits (SDM Vol. 2A Table 3-10, 3-11). */
export const CPUID1_ECX = { SSE3: 1 << 0, VMX: 1 << 5, SSSE3: 1 << 9, CX16: 1 << 13, PCID: 1 << 17, X2APIC: 1 << 21, POPCNT: 1 << 23, XSAVE: 1 << 26, OSXSAVE: 1 << 27, HYPERVISOR: 1 << 31, RDRAND: 1 << 30 } as const;
export const CPUID1_EDX = { FPU: 1 << 0, DE: 1 << 2, PSE: 1 << 3, TSC: 1 << 4, MSR: 1 << 5, PAE: 1 << 6, CX8: 1 << 8, APIC: 1 << 9, SEP: 1 << 11, PGE: 1 << 13, CMOV: 1 << 15, PAT: 1 << 16, PSE36: 1 << 17, CLFSH: 1 << 19, FXSR: 1 << 24, SSE: 1 << 25, SSE2: 1 << 26 } as const;

export class CpuidModel {
  private readonly leaves = new Map<string, CpuidRegs>();
  maxBasic = 0xd;
  maxExtended = 0x8000_0008;

  constructor() {
    const vendor = "GenuineIntel";
    this.set(0, [this.maxBasic, str4(vendor.slice(0, 4)), str4(vendor.slice(8, 12)), str4(vendor.slice(4, 8))]);
    // Family 6, model 0x55 (a Skylake-SP-like signature); one logical processor.
    const e = CPUID1_EDX;
    const c = CPUID1_ECX;
    this.set(1, [0x0005_0654, 0x0001_0800, c.SSE3 | c.VMX | c.SSSE3 | c.CX16 | c.PCID | c.POPCNT | c.XSAVE | c.RDRAND,
      e.FPU | e.DE | e.PSE | e.TSC | e.MSR | e.PAE | e.CX8 | e.APIC | e.SEP | e.PGE | e.CMOV | e.PAT | e.PSE36 | e.CLFSH | e.FXSR | e.SSE | e.SSE2]);
    // Leaf 7: FSGSBASE(0), BMI1(3), SMEP(7), BMI2(8), INVPCID(10), RDSEED(18), SMAP(20).
    this.set(7, [0, (1 << 0) | (1 << 3) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 18) | (1 << 20), 0, 0]);
    this.set(0x8000_0000, [this.maxExtended, 0, 0, 0]);
    // LAHF/SAHF in 64-bit mode (ECX 0), ABM/LZCNT (ECX 5); SYSCALL (11), NX (20), 1-GB pages (26), RDTSCP (27), LM (29).
    this.set(0x8000_0001, [0, 0, (1 << 0) | (1 << 5), (1 << 11) | (1 << 20) | (1 << 26) | (1 << 27) | (1 << 29)]);
    // 46 physical / 48 linear address bits.
    this.set(0x8000_0008, [0x0000_302e, 0, 0, 0]);
  }

  set(leaf: number, regs: CpuidRegs, subleaf = -1): void {
    this.leaves.set(`${leaf >>> 0}:${subleaf}`, regs.map((r) => r | 0) as CpuidRegs);
  }

  get(leaf: number, subleaf = -1): CpuidRegs | undefined {
    return this.leaves.get(`${leaf >>> 0}:${subleaf}`);
  }

  /** Sets or clears bits of one register of a leaf (e.g. the VMX bit). */
  setBit(leaf: number, reg: 0 | 1 | 2 | 3, mask: number, on: boolean): void {
    const r = [...(this.get(leaf) ?? [0, 0, 0, 0])] as CpuidRegs;
    r[reg] = on ? r[reg] | mask : r[reg] & ~mask;
    this.set(leaf, r);
  }

  /** CPUID with EAX = leaf, ECX = subleaf. Leaves above the maximum return the highest basic leaf (Intel). */
  query(leaf: number, subleaf: number): CpuidRegs {
    const l = leaf >>> 0;
    const sub = this.get(l, subleaf >>> 0);
    if (sub) return sub;
    const plain = this.get(l);
    if (plain) return plain;
    const inRange = l <= this.maxBasic || (l >= 0x8000_0000 && l <= this.maxExtended);
    if (inRange) return [0, 0, 0, 0];
    return this.get(this.maxBasic) ?? [0, 0, 0, 0];
  }
}
