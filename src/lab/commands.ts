/**
 * The lab's command table: one record per command with its aliases, usage and
 * one-line help. `help` and "did you mean" are generated from it.
 */
export interface CommandInfo {
  name: string;
  aliases: string[];
  usage: string;
  help: string;
}

export const LAB_COMMANDS = [
  { name: "step", aliases: ["s"], usage: "step [n]", help: "execute n instructions (default 1), stopping at breakpoints" },
  { name: "next-exit", aliases: ["n"], usage: "next-exit", help: "run until the next VM exit (or the end)" },
  { name: "continue", aliases: ["c"], usage: "continue", help: "run until a breakpoint or the end" },
  { name: "break", aliases: ["b"], usage: "b exit REASON | b rip ADDR | b vmcs FIELD", help: "break on an exit reason, at a RIP, or when a VMCS field changes" },
  { name: "delete", aliases: ["d"], usage: "delete [n]", help: "delete breakpoint n (all without n)" },
  { name: "regs", aliases: ["r"], usage: "regs", help: "show registers" },
  { name: "vmcs", aliases: [], usage: "vmcs [group|field]", help: "show the current VMCS, one group (guest, host, control, exit-info) or one field" },
  { name: "diff", aliases: [], usage: "diff", help: "registers and VMCS fields changed by the last step (old → new)" },
  { name: "walk", aliases: [], usage: "walk ADDR", help: "the 2-D walk of a guest-linear address, every table entry read" },
  { name: "tlb", aliases: [], usage: "tlb", help: "cached translations and their VPID/PCID/EPTP tags" },
  { name: "mem", aliases: ["x"], usage: "mem ADDR [len]", help: "dump guest-physical memory (default 64 bytes)" },
  { name: "disasm", aliases: ["u"], usage: "disasm [addr] [n]", help: "disassemble at an address (default: RIP)" },
  { name: "explain", aliases: [], usage: "explain", help: "the last VM exit: reason, decoded qualification, SDM section" },
  { name: "back", aliases: ["reverse-step", "rs"], usage: "back [n]", help: "undo the last n steps exactly" },
  { name: "snapshot", aliases: [], usage: "snapshot [name]", help: "save the machine state under a name" },
  { name: "restore", aliases: [], usage: "restore [name]", help: "go back to a saved snapshot" },
  { name: "help", aliases: ["h", "?"], usage: "help [command]", help: "list commands, or explain one" },
  { name: "quit", aliases: ["q", "exit"], usage: "quit", help: "end the session" },
] as const satisfies readonly CommandInfo[];

export type CommandName = (typeof LAB_COMMANDS)[number]["name"];

const BY_WORD = new Map<string, CommandInfo>();
for (const c of LAB_COMMANDS as readonly CommandInfo[]) for (const w of [c.name, ...c.aliases]) BY_WORD.set(w, c);

export function findCommand(word: string): CommandInfo | undefined {
  return BY_WORD.get(word);
}

export function commandWords(): Iterable<string> {
  return BY_WORD.keys();
}
