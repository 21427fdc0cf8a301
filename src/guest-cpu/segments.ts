/**
 * Segmentation on the data path: linear address = base + offset with limit
 * and type checks outside 64-bit mode (SDM Vol. 3A 5.3, 5.4), the canonical
 * check in 64-bit mode (3.3.7.1).
 */
import { CpuFault, GP, SS as SS_FAULT } from "./exceptions";
import { AR, CR0, SS } from "./registers";
import type { CpuState } from "./state";

/** #GP(0), or #SS(0) when the reference uses the stack segment. */
export function nonCanonical(_s: CpuState, stack: number): never {
  throw new CpuFault(stack ? SS_FAULT : GP, 0);
}

function segFault(seg: number): never {
  throw new CpuFault(seg === SS ? SS_FAULT : GP, 0);
}

/**
 * Checks an access of `size` bytes at `off` in segment `seg` and returns the
 * 32-bit linear address. `write` is 1 for writes.
 */
export function segAddr(s: CpuState, seg: number, off: number, size: number, write: number): number {
  const ar = s.segAr[seg]!;
  const limit = s.segLimit[seg]!;
  if (s.cr0 & CR0.PE) {
    if (ar & AR.UNUSABLE) segFault(seg);
    const type = ar & AR.TYPE_MASK;
    if (type & 8) {
      // code segment: never writable; readable only with the R bit
      if (write || !(type & 2)) segFault(seg);
    } else if (write && !(type & 2)) {
      segFault(seg);
    }
    if ((type & 0xc) === 4) {
      // expand-down data segment: valid offsets are (limit, top]
      const top = ar & AR.DB ? 0xffff_ffff : 0xffff;
      if (off <= limit || off + size - 1 > top) segFault(seg);
      return (s.segBase[seg]! + off) >>> 0;
    }
  }
  if (off + size - 1 > limit) segFault(seg);
  return (s.segBase[seg]! + off) >>> 0;
}
