/** SHL SHR SAR ROL ROR RCL RCR SHLD SHRD against the host CPU (specs/reference/data/integer-shift.json; SDM-undefined flags masked). */
import { describeReference } from "../support/reference";

describe("SHL SHR SAR ROL ROR RCL RCR SHLD SHRD: results and SDM-defined flags as the host CPU computes them", () => {
  describeReference("shift");
});
