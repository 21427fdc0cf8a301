import type { CommandModule } from "yargs";
import { disasmCommand } from "./disasm";
import { execCommand } from "./exec";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [execCommand, disasmCommand];
