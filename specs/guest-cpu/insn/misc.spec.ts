/** SETcc, CMOVcc (every flag combination), LAHF/SAHF, CLC/STC/CMC, CBW..CQO against the host CPU (specs/reference/data/integer-misc.json). */
import { describeReference } from "../support/reference";

describe("SETcc CMOVcc LAHF SAHF CLC STC CMC CBW CWDE CDQE CWD CDQ CQO: results and flags as the host CPU computes them", () => {
  describeReference("misc");
});
