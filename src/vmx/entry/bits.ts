/** Bit arithmetic on 64-bit field values for the entry checks. */

/** Canonical with 48-bit linear addresses: bits 63:47 all equal (SDM Vol. 1 3.3.7.1). */
export function canonical(v: bigint): boolean {
  return BigInt.asIntN(48, v) === BigInt.asIntN(64, v);
}

/** 4-KByte aligned and within the physical-address width (the "valid physical address" of 27.2.1). */
export function pageAddr(v: bigint, maxPhys: number): boolean {
  return (v & 0xfffn) === 0n && v >> BigInt(maxPhys) === 0n;
}

/** Bits set in `v` within `mask`. */
export function any(v: bigint, mask: bigint): boolean {
  return (v & mask) !== 0n;
}

export function bit(v: bigint, n: number): boolean {
  return ((v >> BigInt(n)) & 1n) === 1n;
}

/** Bits N..63 are zero. */
export function fits(v: bigint, n: number): boolean {
  return v >> BigInt(n) === 0n;
}

/** Fixed bits (IA32_VMX_CRx_FIXED0/1, SDM Vol. 3D A.7, A.8): fixed0 bits set, bits clear in fixed1 clear. */
export function fixedOk(v: bigint, fixed0: bigint, fixed1: bigint): boolean {
  return (v & fixed0) === fixed0 && (v & ~fixed1 & 0xffff_ffff_ffff_ffffn) === 0n;
}

/** IA32_PAT: each byte one of UC(0) WC(1) WT(4) WP(5) WB(6) UC-(7) (SDM Vol. 3A 13.12.2). */
export function patOk(v: bigint): boolean {
  for (let i = 0n; i < 64n; i += 8n) {
    const t = (v >> i) & 0xffn;
    if (t === 2n || t === 3n || t > 7n) return false;
  }
  return true;
}

/** An MSR area: 16-byte aligned and its last byte within the physical-address width (27.2.1.2). */
export function msrAreaOk(addr: bigint, count: number, maxPhys: number): boolean {
  if (count === 0) return true;
  if ((addr & 0xfn) !== 0n) return false;
  return fits(addr + BigInt(count) * 16n - 1n, maxPhys);
}
