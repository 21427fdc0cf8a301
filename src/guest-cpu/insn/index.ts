/** All instruction families, merged into the one mnemonic → template table. */
import { ARITH } from "./arith";
import { BITS } from "./bits";
import { BRANCH } from "./branch";
import { DATA } from "./data";
import { EXCHANGE } from "./exchange";
import { MISC } from "./misc";
import { MULDIV } from "./muldiv";
import { SHIFT } from "./shift";
import { STACK } from "./stack";
import { mergeFamilies } from "./table";

export const INSTRUCTIONS = mergeFamilies({ ARITH, BITS, BRANCH, DATA, EXCHANGE, MISC, MULDIV, SHIFT, STACK });
