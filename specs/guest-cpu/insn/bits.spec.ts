/** BT BTS BTR BTC BSF BSR LZCNT TZCNT POPCNT against the host CPU (specs/reference/data/integer-bits.json; SDM-undefined flags masked). */
import { describeReference } from "../support/reference";

describe("BT BTS BTR BTC BSF BSR LZCNT TZCNT POPCNT: results and SDM-defined flags as the host CPU computes them", () => {
  describeReference("bits");
});
