/**
 * Source positions. The assembler works in positions within the text it was
 * given; `SourceOrigin` shifts them to where that text lives (a `.s` file, or a
 * block scalar inside a scenario YAML file) when the error reaches the user.
 */
import { inputError, VmxlabError } from "../common/errors";

export interface SourceOrigin {
  /** File named in messages. */
  file: string;
  /** Added to line numbers: the line before the first source line in `file`. */
  lineOffset: number;
  /** Added to column numbers: the indentation of the source inside `file`. */
  colOffset: number;
}

/** An assembly error at a line and column of the source text (both 1-based). */
export class AsmError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
    this.name = "AsmError";
  }
}

export function toInputError(e: AsmError, origin: SourceOrigin): VmxlabError {
  return inputError(e.message, { file: origin.file, line: e.line + origin.lineOffset, col: e.col + origin.colOffset });
}
