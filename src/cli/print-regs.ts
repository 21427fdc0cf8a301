/** Register dump for human output: four registers a line, aligned. */
export function printRegs(regs: Record<string, string>): void {
  const names = Object.keys(regs);
  const lines: string[] = [];
  for (let i = 0; i < names.length; i += 4) {
    lines.push(names.slice(i, i + 4).map((n) => `${n.padStart(6)} ${regs[n]!.padEnd(18)}`).join(" "));
  }
  process.stdout.write(lines.join("\n") + "\n");
}
