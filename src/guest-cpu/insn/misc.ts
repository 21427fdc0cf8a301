/** Flag-control and miscellaneous instructions: CLC STC CMC CLD STD, HLT, UD0/1/2, PAUSE, CPUID. */
import { Mnemonic } from "iced-x86";
import type { Emitter } from "../emitter";
import type { Insn } from "../insn";
import { FLAG } from "../registers";
import type { FamilyTable } from "./table";

function setCF(value: string) {
  return (g: Emitter) => g.line(`${g.call("updateFlags", FLAG.CF, value)};`);
}

export const MISC: FamilyTable = {
  [Mnemonic.Clc]: setCF("0"),
  [Mnemonic.Stc]: setCF(String(FLAG.CF)),
  [Mnemonic.Cmc]: (g) => g.line(`${g.call("updateFlags", FLAG.CF, `${g.call("getCF")} ^ 1`)};`),
  [Mnemonic.Cld]: (g) => g.line(`s.rflagsRest &= ${~FLAG.DF};`),
  [Mnemonic.Std]: (g) => g.line(`s.rflagsRest |= ${FLAG.DF};`),
  [Mnemonic.Ud0]: (g) => g.line(`${g.call("ud")};`),
  [Mnemonic.Ud1]: (g) => g.line(`${g.call("ud")};`),
  [Mnemonic.Ud2]: (g) => g.line(`${g.call("ud")};`),
  [Mnemonic.Hlt]: (g: Emitter, _i: Insn) => {
    g.line(`${g.call("hlt", g.insnRef)};`);
    g.endBlock();
  },
  [Mnemonic.Pause]: (g) => g.line(`${g.call("pause", g.insnRef)};`),
  [Mnemonic.Cpuid]: (g) => g.line(`${g.call("cpuid", g.insnRef)};`),
};
