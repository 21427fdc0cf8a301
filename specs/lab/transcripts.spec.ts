/**
 * Golden transcripts: `vmxlab step <lab> --commands examples/transcripts/<lab>.txt`
 * with the built binary, compared with specs/lab/golden/<lab>.txt. After an
 * intended change: `UPDATE_GOLDEN=1 npx jest specs/lab/transcripts.spec.ts`
 * and review the diff.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, vmxlab } from "../support/cli";

const GOLDEN = join(__dirname, "golden");
const SCRIPTS = join(ROOT, "examples", "transcripts");
const labs = readdirSync(SCRIPTS).filter((f) => f.endsWith(".txt")).map((f) => f.replace(/\.txt$/, ""));

describe("vmxlab step transcripts", () => {
  it("ships transcripts for at least three labs", () => expect(labs.length).toBeGreaterThanOrEqual(3));

  it.each(labs)("%s matches its golden transcript", (lab) => {
    const r = vmxlab(["step", `examples/${lab}.yaml`, "--commands", `examples/transcripts/${lab}.txt`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const file = join(GOLDEN, `${lab}.txt`);
    // A missing golden fails (readFileSync throws): goldens are written only on request.
    if (process.env.UPDATE_GOLDEN) writeFileSync(file, r.stdout);
    expect(r.stdout).toBe(readFileSync(file, "utf8"));
  });

  it("piped commands give the same transcript as --commands", () => {
    const script = readFileSync(join(SCRIPTS, "05-cpuid-exit.txt"), "utf8");
    const piped = vmxlab(["step", "examples/05-cpuid-exit.yaml"], { input: script });
    expect(piped.stdout).toBe(readFileSync(join(GOLDEN, "05-cpuid-exit.txt"), "utf8"));
  });

  it("--json prints one object per command with its output and events", () => {
    const r = vmxlab(["step", "examples/05-cpuid-exit.yaml", "--json"], { input: "n\nbogus\n" });
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { command: string; output: string[]; events: { kind: string; reason?: string }[] });
    expect(lines.map((l) => l.command)).toEqual(["n", "bogus"]);
    expect(lines[0]!.events.map((e) => e.kind)).toEqual(["entry", "exit"]);
    expect(lines[0]!.events[1]!.reason).toBe("CPUID");
    expect(lines[1]!.output[0]).toMatch(/^unknown command 'bogus'/);
  });

  it("a scenario error is reported with its location and exit code 2", () => {
    const r = vmxlab(["step", "examples/no-such-lab.yaml"], { input: "" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no-such-lab\.yaml/);
  });
});
