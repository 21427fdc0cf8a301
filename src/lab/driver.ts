/**
 * Front ends of a session: a scripted transcript (`--commands file`, stdin
 * that is not a terminal), a readline prompt, and a JSON event stream.
 */
import * as readline from "node:readline";
import { commandWords } from "./commands";
import type { LabSession, Reply } from "./session";

export const PROMPT = "(vmxlab) ";

/** Runs commands one per line and returns the transcript: each command after the prompt, then its output. */
export function runScript(session: LabSession, commands: string[]): string {
  const out: string[] = [];
  for (const line of commands) {
    if (line.trim() === "") continue;
    // Comments in a command file are narration: printed as they are, not as commands.
    if (line.trim().startsWith("#")) {
      out.push(line.trim());
      continue;
    }
    out.push(PROMPT + line.trim());
    const r = session.execute(line);
    out.push(...r.lines);
    if (r.quit) break;
  }
  return out.join("\n") + "\n";
}

/** One JSON object per command: `{"command": …, "output": [...], "events": [...]}`. */
export function runScriptJson(session: LabSession, commands: string[]): string {
  const out: string[] = [];
  for (const line of commands) {
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    const r: Reply = session.execute(line);
    out.push(JSON.stringify({ command: line.trim(), output: r.lines, events: r.events }));
    if (r.quit) break;
  }
  return out.join("\n") + "\n";
}

/** The interactive prompt; resolves when the user quits or closes input. */
export function interactive(session: LabSession, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const words = [...commandWords()].sort();
    // Tab completes the command word.
    const completer = (line: string): [string[], string] => {
      const hits = words.filter((w) => w.startsWith(line.trim()));
      return [hits.length ? hits : words, line];
    };
    const rl = readline.createInterface({ input, output, prompt: PROMPT, historySize: 200, completer });
    output.write("Type 'help' for commands, 'quit' to leave.\n");
    rl.prompt();
    rl.on("line", (line) => {
      const r = session.execute(line);
      for (const l of r.lines) output.write(l + "\n");
      if (r.quit) rl.close();
      else rl.prompt();
    });
    rl.on("close", () => resolve());
  });
}
