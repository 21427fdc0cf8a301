/**
 * Data-memory access helpers called by compiled code. The fast path is a TLB
 * hit on a page the access does not cross: a few array loads and one DataView
 * access. Everything else goes to the MMU (mmu.ts).
 * 64-bit reads return the low half and leave the high half in s.t[0].
 */
import type { CpuState } from "./state";

const TLB_MASK = 1023;

function vpnOf(a: number): number {
  return Math.floor(a / 4096);
}

export function rd8(s: CpuState, a: number): number {
  const vpn = vpnOf(a), i = (vpn & TLB_MASK) + s.mmuIdx, t = s.tlb;
  if (t.tagR[i] === vpn) return s.bytes[a + t.add[i]!]!;
  return s.mmu.read(a, 1);
}

export function rd16(s: CpuState, a: number): number {
  const vpn = vpnOf(a), i = (vpn & TLB_MASK) + s.mmuIdx, t = s.tlb;
  if (t.tagR[i] === vpn && (a & 0xfff) <= 0xffe) return s.view.getUint16(a + t.add[i]!, true);
  return s.mmu.read(a, 2);
}

export function rd32(s: CpuState, a: number): number {
  const vpn = vpnOf(a), i = (vpn & TLB_MASK) + s.mmuIdx, t = s.tlb;
  if (t.tagR[i] === vpn && (a & 0xfff) <= 0xffc) return s.view.getInt32(a + t.add[i]!, true);
  return s.mmu.read(a, 4);
}

export function rd64(s: CpuState, a: number): number {
  const vpn = vpnOf(a), i = (vpn & TLB_MASK) + s.mmuIdx, t = s.tlb;
  if (t.tagR[i] === vpn && (a & 0xfff) <= 0xff8) {
    const o = a + t.add[i]!;
    s.t[0] = s.view.getInt32(o + 4, true);
    return s.view.getInt32(o, true);
  }
  return s.mmu.read(a, 8);
}

/** Reads of read-modify-write operands: the page must be writable too, checked before any effect. */
export function rdw8(s: CpuState, a: number): number {
  const vpn = vpnOf(a), i = (vpn & TLB_MASK) + s.mmuIdx, t = s.tlb;
  if (t.tagW[i] === vpn) return s.bytes[a + t.add[i]!]!;
  s.mmu.probeWrite(a, 1);
  return s.mmu.read(a, 1);
}

export function rdw16(s: CpuState, a: number): number {
  const vpn = vpnOf(a), i = (vpn & TLB_MASK) + s.mmuIdx, t = s.tlb;
  if (t.tagW[i] === vpn && (a & 0xfff) <= 0xffe) return s.view.getUint16(a + t.add[i]!, true);
  s.mmu.probeWrite(a, 2);
  return s.mmu.read(a, 2);
}

export function rdw32(s: CpuState, a: number): number {
  const vpn = vpnOf(a), i = (vpn & TLB_MASK) + s.mmuIdx, t = s.tlb;
  if (t.tagW[i] === vpn && (a & 0xfff) <= 0xffc) return s.view.getInt32(a + t.add[i]!, true);
  s.mmu.probeWrite(a, 4);
  return s.mmu.read(a, 4);
}

export function rdw64(s: CpuState, a: number): number {
  const vpn = vpnOf(a), i = (vpn & TLB_MASK) + s.mmuIdx, t = s.tlb;
  if (t.tagW[i] === vpn && (a & 0xfff) <= 0xff8) {
    const o = a + t.add[i]!;
    s.t[0] = s.view.getInt32(o + 4, true);
    return s.view.getInt32(o, true);
  }
  s.mmu.probeWrite(a, 8);
  return s.mmu.read(a, 8);
}

export function wr8(s: CpuState, a: number, v: number): void {
  const vpn = vpnOf(a), i = (vpn & TLB_MASK) + s.mmuIdx, t = s.tlb;
  if (t.tagW[i] === vpn) { s.bytes[a + t.add[i]!] = v; return; }
  s.mmu.write(a, 1, v, 0);
}

export function wr16(s: CpuState, a: number, v: number): void {
  const vpn = vpnOf(a), i = (vpn & TLB_MASK) + s.mmuIdx, t = s.tlb;
  if (t.tagW[i] === vpn && (a & 0xfff) <= 0xffe) { s.view.setUint16(a + t.add[i]!, v, true); return; }
  s.mmu.write(a, 2, v, 0);
}

export function wr32(s: CpuState, a: number, v: number): void {
  const vpn = vpnOf(a), i = (vpn & TLB_MASK) + s.mmuIdx, t = s.tlb;
  if (t.tagW[i] === vpn && (a & 0xfff) <= 0xffc) { s.view.setInt32(a + t.add[i]!, v, true); return; }
  s.mmu.write(a, 4, v, 0);
}

export function wr64(s: CpuState, a: number, lo: number, hi: number): void {
  const vpn = vpnOf(a), i = (vpn & TLB_MASK) + s.mmuIdx, t = s.tlb;
  if (t.tagW[i] === vpn && (a & 0xfff) <= 0xff8) {
    const o = a + t.add[i]!;
    s.view.setInt32(o, lo, true);
    s.view.setInt32(o + 4, hi, true);
    return;
  }
  s.mmu.write(a, 8, lo, hi);
}
