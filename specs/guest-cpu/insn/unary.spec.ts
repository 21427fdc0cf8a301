/** NEG INC DEC NOT against the host CPU (specs/reference/data/integer-unary.json; SDM-undefined flags masked). */
import { describeReference } from "../support/reference";

describe("NEG INC DEC NOT: results and SDM-defined flags as the host CPU computes them", () => {
  describeReference("unary");
});
