/**
 * Names that belong to other tables: exit reasons (src/exits/reasons.ts),
 * control bits per control word (src/vmcs/controls.ts) and VMCS fields
 * (src/vmcs/fields.ts). The scenario checks names against them when they are
 * present; a provider left undefined means "accept any well-formed name"
 * (the schema already checks the spelling).
 */
export type ControlWord = "pin" | "primary" | "secondary" | "exit" | "entry";

export interface NameTables {
  exitReasons?: () => readonly string[];
  controls?: (word: ControlWord) => readonly string[] | undefined;
  fields?: () => readonly string[];
}

export const names: NameTables = {};
