/**
 * String instructions with REP prefixes; semantics in ../strings.ts. MOVSD and
 * CMPSD share their mnemonic with the SSE2 instructions: only the string forms
 * (operands [rSI]/[rDI]) are implemented, the SSE forms are #UD.
 */
import { Mnemonic } from "iced-x86";
import type { Emitter } from "../emitter";
import type { Insn } from "../insn";
import { S_CMPS, S_INS, S_LODS, S_MOVS, S_OUTS, S_SCAS, S_STOS } from "../strings";
import type { FamilyTable } from "./table";

function str(kind: number) {
  return (g: Emitter, i: Insn) => {
    if (!i.ops.some((o) => o.kind === "str")) {
      g.line(`${g.call("ud")};`);
      g.jumped = true;
      return;
    }
    if (kind !== S_CMPS && kind !== S_SCAS) g.keepFlags();
    if (kind === S_MOVS || kind === S_STOS || kind === S_INS) g.wroteMemory = true;
    if (i.rep === 0) {
      g.line(`${g.call("strOp", g.insnRef, kind)};`);
      if (kind === S_OUTS || kind === S_INS) g.endBlock();
      return;
    }
    // A REP instruction that stopped after a chunk runs again from its own RIP.
    g.line(`if (${g.call("strOp", g.insnRef, kind)} === 0) { s.rip = ${g.rip}; return c + ${g.k}; }`);
    g.endBlock();
  };
}

const FORMS: [number, number][] = [
  [Mnemonic.Movsb, S_MOVS], [Mnemonic.Movsw, S_MOVS], [Mnemonic.Movsd, S_MOVS], [Mnemonic.Movsq, S_MOVS],
  [Mnemonic.Cmpsb, S_CMPS], [Mnemonic.Cmpsw, S_CMPS], [Mnemonic.Cmpsd, S_CMPS], [Mnemonic.Cmpsq, S_CMPS],
  [Mnemonic.Stosb, S_STOS], [Mnemonic.Stosw, S_STOS], [Mnemonic.Stosd, S_STOS], [Mnemonic.Stosq, S_STOS],
  [Mnemonic.Lodsb, S_LODS], [Mnemonic.Lodsw, S_LODS], [Mnemonic.Lodsd, S_LODS], [Mnemonic.Lodsq, S_LODS],
  [Mnemonic.Scasb, S_SCAS], [Mnemonic.Scasw, S_SCAS], [Mnemonic.Scasd, S_SCAS], [Mnemonic.Scasq, S_SCAS],
  [Mnemonic.Insb, S_INS], [Mnemonic.Insw, S_INS], [Mnemonic.Insd, S_INS],
  [Mnemonic.Outsb, S_OUTS], [Mnemonic.Outsw, S_OUTS], [Mnemonic.Outsd, S_OUTS],
];

export const STRING: FamilyTable = Object.fromEntries(FORMS.map(([m, k]) => [m, str(k)]));
