/** A source position in a user's file, 1-based as editors show it. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

/** Error codes map to CLI exit codes: input errors exit 2, internal errors exit 3. */
export type ErrorCode = "invalid-input" | "internal";

/**
 * The only error type users see. `message` is complete on its own; with a
 * location, `toString()` prefixes it as `file:line:col: message`.
 */
export class VmxlabError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly location?: SourceLocation,
  ) {
    super(message);
    this.name = "VmxlabError";
  }

  override toString(): string {
    const l = this.location;
    return l ? `${l.file}:${l.line}:${l.col}: ${this.message}` : this.message;
  }
}

export function inputError(message: string, location?: SourceLocation): VmxlabError {
  return new VmxlabError("invalid-input", message, location);
}

export function internalError(message: string): VmxlabError {
  return new VmxlabError("internal", message);
}
