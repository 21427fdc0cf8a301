/**
 * Compile-time flag knowledge: within a block, the compiler remembers which
 * ALU operation last set the status flags and the temporaries holding its
 * operands and result. A following Jcc/SETcc/CMOVcc then tests those values
 * directly instead of decoding the lazy-flag record (the record is still
 * written, so state stays exact at every exit and fault).
 */

export interface FlagSource {
  readonly op: "add" | "sub" | "logic" | "inc" | "dec";
  readonly size: number; // bytes
  /** Result (lo, hi); operands for "sub" (a - b). Values are masked to `size` below 64 bits. */
  readonly r: readonly [string, string];
  readonly a?: readonly [string, string];
  readonly b?: readonly [string, string];
}

function signBit(v: string, size: number): string {
  return size === 4 ? `(${v} < 0)` : size === 2 ? `((${v} & 0x8000) !== 0)` : `((${v} & 0x80) !== 0)`;
}

function sext(v: string, size: number): string {
  return size === 4 ? `(${v} | 0)` : size === 2 ? `(${v} << 16 >> 16)` : `(${v} << 24 >> 24)`;
}

/**
 * JS expression for condition `tttn` (x86 encoding order) from a known flag
 * source, or undefined when the fast form does not apply.
 */
export function fusedCondition(src: FlagSource, tttn: number): string | undefined {
  const neg = (tttn & 1) !== 0;
  const wide = src.size === 8;
  const [rl, rh] = src.r;
  const zf = wide ? `((${rl} | ${rh}) === 0)` : `(${rl} === 0)`;
  const sf = wide ? `(${rh} < 0)` : signBit(rl, src.size);
  let e: string | undefined;
  switch (tttn >> 1) {
    case 2: e = zf; break; // E / NE
    case 4: e = sf; break; // S / NS
    default:
      if (src.op === "logic") {
        // CF = OF = 0 (SDM AND/OR/XOR/TEST)
        if (tttn >> 1 === 1 || tttn >> 1 === 0) e = "false"; // B, O
        else if (tttn >> 1 === 3) e = zf; // BE
        else if (tttn >> 1 === 6) e = sf; // L: SF != OF
        else if (tttn >> 1 === 7) e = `(${zf} || ${sf})`; // LE
      } else if (src.op === "sub" && src.a && src.b) {
        const [al, ah] = src.a;
        const [bl, bh] = src.b;
        const ult = wide ? `((${ah} >>> 0) < (${bh} >>> 0) || (${ah} === ${bh} && (${al} >>> 0) < (${bl} >>> 0)))` : `((${al} >>> 0) < (${bl} >>> 0))`;
        const slt = wide ? `(${ah} < ${bh} || (${ah} === ${bh} && (${al} >>> 0) < (${bl} >>> 0)))` : `(${sext(al, src.size)} < ${sext(bl, src.size)})`;
        switch (tttn >> 1) {
          case 1: e = ult; break; // B / AE
          case 3: e = `(${ult} || ${zf})`; break; // BE / A
          case 6: e = slt; break; // L / GE
          case 7: e = `(${slt} || ${zf})`; break; // LE / G
        }
      }
  }
  if (e === undefined) return undefined;
  return neg ? `!${e}` : e;
}
