/** ADD ADC SUB SBB CMP AND OR XOR TEST against the host CPU (specs/reference/data/integer-alu.json; SDM-undefined flags masked). */
import { describeReference } from "../support/reference";

describe("ADD ADC SUB SBB CMP AND OR XOR TEST: results and SDM-defined flags as the host CPU computes them", () => {
  describeReference("alu");
});
