/**
 * The I/O and MSR bitmaps in host memory (SDM Vol. 3C 25.6.4, 25.6.9).
 * I/O bitmap A covers ports 0000H–7FFFH, B 8000H–FFFFH: a set bit makes an
 * access to the port exit. The MSR bitmap is four 1-KByte quarters: read
 * low (MSRs 0–1FFFH), read high (C0000000H–C0001FFFH), write low, write high.
 */
import type { HostMemory } from "../memory/host-memory";
import { inputError } from "../common/errors";

export function writeIoBitmaps(mem: HostMemory, a: number, b: number, ports: readonly (number | readonly [number, number])[]): void {
  mem.writeBytes(a, new Uint8Array(4096));
  mem.writeBytes(b, new Uint8Array(4096));
  for (const p of ports) {
    const [lo, hi] = typeof p === "number" ? [p, p] : p;
    if (!(lo >= 0 && hi <= 0xffff && lo <= hi)) throw inputError(`io-intercept: ${lo}-${hi} is not a port range within 0–0xffff`);
    for (let port = lo; port <= hi; port++) {
      const base = port < 0x8000 ? a : b;
      const bit = port & 0x7fff;
      const addr = base + (bit >> 3);
      mem.write(addr, 1, mem.read(addr, 1) | BigInt(1 << (bit & 7)));
    }
  }
}

/** MSRs a KVM guest reaches without exits: FS/GS base, kernel GS base, SYSENTER (their values are guest state). */
export const PASSTHROUGH_MSRS = [0x174, 0x175, 0x176, 0xc000_0100, 0xc000_0101, 0xc000_0102];

function msrBit(index: number): { quarter: number; bit: number } | null {
  if (index >= 0 && index <= 0x1fff) return { quarter: 0, bit: index };
  if (index >= 0xc000_0000 && index <= 0xc000_1fff) return { quarter: 1, bit: index - 0xc000_0000 };
  return null;
}

/**
 * Intercepts every MSR in the bitmap's ranges except `passthrough` (MSRs
 * outside the ranges always exit, SDM 26.1.3), then adds `read`/`write`
 * intercepts (for a bitmap that starts from `passthroughAll`).
 */
export function writeMsrBitmap(
  mem: HostMemory,
  addr: number,
  o: { interceptAll?: boolean; passthrough?: readonly number[]; read?: readonly number[]; write?: readonly number[] } = {},
): void {
  const bytes = new Uint8Array(4096).fill(o.interceptAll === false ? 0 : 0xff);
  const set = (index: number, write: boolean, on: boolean) => {
    const m = msrBit(index);
    if (!m) return;
    const off = (write ? 2048 : 0) + m.quarter * 1024 + (m.bit >> 3);
    if (on) bytes[off]! |= 1 << (m.bit & 7);
    else bytes[off]! &= ~(1 << (m.bit & 7));
  };
  for (const i of o.passthrough ?? []) {
    set(i, false, false);
    set(i, true, false);
  }
  for (const i of o.read ?? []) set(i >>> 0, false, true);
  for (const i of o.write ?? []) set(i >>> 0, true, true);
  mem.writeBytes(addr, bytes);
}
