/** All instruction families, merged into the one mnemonic → template table. */
import { ARITH } from "./arith";
import { BRANCH } from "./branch";
import { DATA } from "./data";
import { MISC } from "./misc";
import { STACK } from "./stack";
import { mergeFamilies } from "./table";

export const INSTRUCTIONS = mergeFamilies({ ARITH, BRANCH, DATA, MISC, STACK });
