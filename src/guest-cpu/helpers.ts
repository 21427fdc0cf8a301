/**
 * Every function compiled code may call, as one object `H` handed to each
 * block. Templates name helpers through Emitter.call, typed by this table.
 */
import * as alu from "./alu";
import * as bitops from "./bitops";
import * as bmi from "./bmi";
import * as far from "./far";
import * as memops from "./memops";
import * as miscOps from "./misc-ops";
import * as muldiv from "./muldiv";
import { nonCanonical, segAddr } from "./segments";
import * as shifts from "./shifts";
import * as stack from "./stack";
import * as strings from "./strings";
import * as sysinsn from "./sysinsn";
import * as system from "./system";

export const H = {
  ...alu,
  ...bitops,
  ...bmi,
  ...muldiv,
  ...shifts,
  ...memops,
  ...stack,
  ...system,
  ...sysinsn,
  ...far,
  ...strings,
  ...miscOps,
  segAddr,
  nonCanonical,
};

export type Helpers = typeof H;
