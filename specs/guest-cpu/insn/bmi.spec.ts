/** BMI1/BMI2 against the host CPU (specs/reference/data/integer-bmi.json; SDM-undefined flags masked). */
import { describeReference } from "../support/reference";

describe("BMI1 and BMI2 (ANDN BEXTR BLSI BLSMSK BLSR BZHI MULX PDEP PEXT RORX SARX SHLX SHRX): results and flags as the host CPU computes them", () => {
  describeReference("bmi");
});
