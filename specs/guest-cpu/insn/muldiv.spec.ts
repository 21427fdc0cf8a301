/** MUL IMUL DIV IDIV (incl. #DE) against the host CPU (specs/reference/data/integer-muldiv.json; SDM-undefined flags masked). */
import { describeReference } from "../support/reference";

describe("MUL IMUL DIV IDIV (incl. #DE): results and SDM-defined flags as the host CPU computes them", () => {
  describeReference("muldiv");
});
