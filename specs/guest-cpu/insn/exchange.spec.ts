/** CMPXCHG XADD BSWAP against the host CPU (specs/reference/data/integer-exchange.json; SDM-undefined flags masked). */
import { describeReference } from "../support/reference";

describe("CMPXCHG XADD BSWAP: results and SDM-defined flags as the host CPU computes them", () => {
  describeReference("exchange");
});
