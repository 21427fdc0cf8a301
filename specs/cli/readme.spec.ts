/**
 * The README's console examples run as shown: every ```console block's
 * `$ npx vmxlab …` line is executed with the built binary and its output
 * compared with the lines that follow it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, vmxlab } from "../support/cli";

interface Example {
  command: string;
  expected: string;
}

function examples(): Example[] {
  const md = readFileSync(join(ROOT, "README.md"), "utf8");
  const out: Example[] = [];
  for (const block of md.matchAll(/```console\n([\s\S]*?)```/g)) {
    const lines = block[1]!.split("\n");
    let cur: Example | undefined;
    for (const line of lines) {
      if (line.startsWith("$ ")) {
        cur = { command: line.slice(2), expected: "" };
        out.push(cur);
      } else if (cur) {
        cur.expected += line + "\n";
      }
    }
  }
  return out;
}

/** Splits a shell command line (double and single quotes, no expansions). */
function shellWords(cmd: string): string[] {
  const words: string[] = [];
  for (const m of cmd.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

describe("README console examples", () => {
  const list = examples();
  it("has examples", () => expect(list.length).toBeGreaterThan(0));
  it.each(list.map((e) => [e.command, e]))("%s", (_cmd, e) => {
    const words = shellWords((e as Example).command);
    expect(words.slice(0, 2)).toEqual(["npx", "vmxlab"]);
    const r = vmxlab(words.slice(2));
    expect(r.stderr).toBe("");
    // Blank lines inside the output are compared; trailing ones are not.
    const norm = (t: string) => t.split("\n").map((l) => l.trimEnd()).join("\n").replace(/\n+$/, "");
    expect(norm(r.stdout)).toBe(norm((e as Example).expected));
  });
});
