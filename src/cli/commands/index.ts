import type { CommandModule } from "yargs";
import { asmCommand } from "./asm";
import { disasmCommand } from "./disasm";
import { execCommand } from "./exec";
import { explainCommand } from "./explain";
import { stepCommand } from "./step";
import { benchCommand } from "./bench";
import { checkCommand } from "./check";
import { schemaCommand } from "./schema";
import { runCommand } from "./run";
import { fieldsCommand } from "./fields";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [execCommand, disasmCommand, explainCommand];
commands.push(asmCommand);
commands.push(checkCommand, schemaCommand, runCommand);
commands.push(fieldsCommand);
commands.push(stepCommand);
commands.push(benchCommand);
