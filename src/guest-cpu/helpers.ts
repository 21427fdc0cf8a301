/**
 * Every function compiled code may call, as one object `H` handed to each
 * block. Templates name helpers through Emitter.call, typed by this table.
 */
import * as alu from "./alu";
import * as memops from "./memops";
import { nonCanonical, segAddr } from "./segments";
import * as stack from "./stack";
import * as system from "./system";

export const H = {
  ...alu,
  ...memops,
  ...stack,
  ...system,
  segAddr,
  nonCanonical,
};

export type Helpers = typeof H;
