/**
 * Memory-operand forms against the host CPU (specs/reference/data/integer-memory.json):
 * read-modify-write instructions, BT* bit strings with register offsets outside the
 * operand (negative too), and string instructions with REP, comparing registers,
 * flags, RDI/RSI movement and a 128-byte buffer.
 */
import { describeReference } from "../support/reference";

describe("memory operands: results, flags and memory as the host CPU computes them", () => {
  describeReference("memory");
});
