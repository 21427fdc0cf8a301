/** All instruction families, merged into the one mnemonic → template table. */
import { ARITH } from "./arith";
import { BITS } from "./bits";
import { BMI } from "./bmi";
import { BRANCH } from "./branch";
import { DATA } from "./data";
import { EXCHANGE } from "./exchange";
import { MISC } from "./misc";
import { MISC2 } from "./misc2";
import { MULDIV } from "./muldiv";
import { SHIFT } from "./shift";
import { STACK } from "./stack";
import { STRING } from "./string";
import { SYSTEM } from "./system";
import { mergeFamilies } from "./table";

export const INSTRUCTIONS = mergeFamilies({ ARITH, BITS, BMI, BRANCH, DATA, EXCHANGE, MISC, MISC2, MULDIV, SHIFT, STACK, STRING, SYSTEM });
