/**
 * A stepping session over a LabTarget: executes one command line at a time
 * and returns the text to print, so the terminal front end, `--commands`
 * transcripts and specs all drive the same code.
 */
import { didYouMean } from "../common/suggest";
import { commandWords, findCommand, LAB_COMMANDS, type CommandName } from "./commands";
import type { LabEvent, LabTarget } from "./target";
import { describePatches, hexView, Timeline } from "./timeline";

export interface Reply {
  lines: string[];
  events: LabEvent[];
  quit?: boolean;
}

type Breakpoint = { kind: "exit"; reason: string } | { kind: "rip"; rip: bigint } | { kind: "vmcs"; field: string };

/** Upper bound of instructions for `continue`/`next-exit`, so a spinning guest cannot hang a session. */
const RUN_LIMIT = 1_000_000;

function parseNumber(text: string | undefined, what: string): bigint {
  if (text === undefined) throw new LabInputError(`${what} is missing`);
  try {
    const v = BigInt(text.replace(/_/g, ""));
    if (v < 0n) throw new Error();
    return v;
  } catch {
    throw new LabInputError(`${what}: '${text}' is not a number (decimal or 0x hex)`);
  }
}

class LabInputError extends Error {}

function hex(v: bigint): string {
  return "0x" + v.toString(16);
}

export class LabSession {
  readonly timeline = new Timeline();
  private readonly breakpoints: Breakpoint[] = [];
  /** Named snapshots: the step, and the checkpoint to replay from (kept even when the timeline forgets it). */
  private readonly snapshots = new Map<string, { step: number; base: { snapshot: unknown; step: number } }>();
  /** Instructions executed so far in this timeline. */
  step = 0;

  constructor(readonly target: LabTarget) {
    this.timeline.push(this.view(), 0, "start");
    this.timeline.checkpoint(0, target.save());
  }

  private view() {
    return hexView(this.target.regs(), this.target.vmcs());
  }

  execute(line: string): Reply {
    const words = line.trim().split(/\s+/).filter((w) => w !== "");
    if (words.length === 0 || words[0]!.startsWith("#")) return { lines: [], events: [] };
    const cmd = findCommand(words[0]!.toLowerCase());
    if (!cmd) {
      return { lines: [`unknown command '${words[0]}'${didYouMean(words[0]!.toLowerCase(), commandWords())} (type 'help')`], events: [] };
    }
    try {
      return this.run(cmd.name as CommandName, words.slice(1));
    } catch (e) {
      if (e instanceof LabInputError) return { lines: [`${cmd.name}: ${e.message} (usage: ${cmd.usage})`], events: [] };
      throw e;
    }
  }

  private run(name: CommandName, args: string[]): Reply {
    const t = this.target;
    switch (name) {
      case "step":
        return this.advance(Number(args[0] === undefined ? 1n : parseNumber(args[0], "count")), () => false);
      case "next-exit":
        return this.advance(RUN_LIMIT, (ev) => ev.some((e) => e.kind === "exit"));
      case "continue":
        return this.advance(RUN_LIMIT, () => false);
      case "break":
        return this.addBreakpoint(args);
      case "delete": {
        if (args[0] === undefined) this.breakpoints.length = 0;
        else this.breakpoints.splice(Number(parseNumber(args[0], "breakpoint number")) - 1, 1);
        return { lines: [`${this.breakpoints.length} breakpoint(s) left`], events: [] };
      }
      case "regs":
        return { lines: formatRegs(t.regs()), events: [] };
      case "vmcs":
        return { lines: this.vmcsLines(args[0]), events: [] };
      case "diff": {
        const cur = this.timeline.current!;
        const prev = this.timeline.previous;
        if (!prev) return { lines: ["nothing has run yet"], events: [] };
        const lines = describePatches(prev.view, cur.patches);
        return { lines: lines.length ? [`after ${cur.label}:`, ...lines] : [`after ${cur.label}: no change`], events: [] };
      }
      case "walk":
        return { lines: t.walk(parseNumber(args[0], "address")), events: [] };
      case "tlb":
        return { lines: t.tlb(), events: [] };
      case "mem": {
        const at = parseNumber(args[0], "address");
        return { lines: dump(at, t.readMemory(at, Number(args[1] ? parseNumber(args[1], "length") : 64n))), events: [] };
      }
      case "disasm": {
        const at = args[0] === undefined ? t.regs()["rip"]! : parseNumber(args[0], "address");
        return { lines: t.disasm(at, args[1] ? Number(parseNumber(args[1], "count")) : 8), events: [] };
      }
      case "explain":
        return { lines: t.explainExit(), events: [] };
      case "back":
        return this.back(args[0] === undefined ? 1 : Number(parseNumber(args[0], "count")));
      case "snapshot": {
        const n = args[0] ?? `s${this.snapshots.size + 1}`;
        this.timeline.checkpoint(this.step, t.save());
        const base = this.timeline.base(this.step);
        this.snapshots.set(n, { step: this.step, base: { snapshot: base.snapshot, step: base.step } });
        return { lines: [`snapshot '${n}' taken at step ${this.step}`], events: [] };
      }
      case "restore": {
        const n = args[0] ?? [...this.snapshots.keys()].pop();
        const s = n === undefined ? undefined : this.snapshots.get(n);
        if (!s) return { lines: [`no snapshot${n ? ` '${n}'` : ""}${n ? didYouMean(n, this.snapshots.keys()) : ""}`], events: [] };
        this.timeline.rewind(Math.min(s.step, this.step));
        this.timeline.checkpoint(s.base.step, s.base.snapshot);
        this.goTo(s.base.snapshot, s.step - s.base.step);
        this.step = s.step;
        if (this.timeline.current!.step !== s.step) this.timeline.push(this.view(), s.step, `restore '${n}'`);
        return { lines: [`restored '${n}' (step ${this.step}, rip ${hex(t.regs()["rip"]!)})`], events: [] };
      }
      case "help":
        return { lines: helpLines(args[0]), events: [] };
      case "quit":
        return { lines: [], events: [], quit: true };
    }
  }

  private addBreakpoint(args: string[]): Reply {
    const [kind, what] = args;
    let bp: Breakpoint;
    if (kind === "exit" && what) bp = { kind: "exit", reason: what.toUpperCase() };
    else if (kind === "rip") bp = { kind: "rip", rip: parseNumber(what, "rip") };
    else if (kind === "vmcs" && what) bp = { kind: "vmcs", field: what.toUpperCase() };
    else throw new LabInputError("say what to break on");
    this.breakpoints.push(bp);
    const text = bp.kind === "rip" ? `rip ${hex(bp.rip)}` : bp.kind === "exit" ? `exit ${bp.reason}` : `change of ${bp.field}`;
    return { lines: [`breakpoint ${this.breakpoints.length}: ${text}`], events: [] };
  }

  /** Steps up to `n` instructions; stops early at the end of the run, a breakpoint, or when `stop` says so. */
  private advance(n: number, stop: (events: LabEvent[]) => boolean): Reply {
    const t = this.target;
    const lines: string[] = [];
    const all: LabEvent[] = [];
    this.timeline.checkpoint(this.step, t.save());
    const watched = this.breakpoints.flatMap((b) => (b.kind === "vmcs" ? [b.field] : []));
    let fields = watched.length ? this.watchedFields(watched) : null;
    for (let i = 0; i < n; i++) {
      const done = t.finished();
      if (done) {
        lines.push(`the run has ended: ${done}`);
        break;
      }
      const events = t.step();
      this.step++;
      all.push(...events);
      for (const e of events) lines.push(e.text);
      // Each VM entry, exit and handled exit is a point of the timeline (diff compares against the previous one).
      const marks = events.filter((e) => e.kind === "exit" || e.kind === "handled" || e.kind === "entry");
      if (marks.length) this.timeline.push(this.view(), this.step, marks.map((e) => e.text).join("; "));
      let hit = this.hitBreakpoint(events);
      if (!hit && fields) {
        const now = this.watchedFields(watched);
        const changed = watched.find((f) => now[f] !== fields![f]);
        if (changed) hit = `${changed} ${fields[changed] ?? "(none)"} → ${now[changed] ?? "(none)"}`;
        fields = now;
      }
      if (hit) {
        lines.push(`breakpoint: ${hit}`);
        break;
      }
      if (stop(events)) break;
    }
    if (this.timeline.current!.step !== this.step) this.timeline.push(this.view(), this.step, `step ${this.step}`);
    lines.push(`rip ${hex(t.regs()["rip"]!)}  (step ${this.step})`);
    return { lines, events: all };
  }

  private watchedFields(names: string[]): Record<string, string> {
    const v = this.target.vmcs() ?? {};
    return Object.fromEntries(names.map((f) => [f, v[f] === undefined ? "(none)" : hex(v[f]!)]));
  }

  private hitBreakpoint(events: LabEvent[]): string | null {
    const rip = this.target.regs()["rip"];
    for (const b of this.breakpoints) {
      if (b.kind === "exit" && events.some((e) => e.kind === "exit" && e.reason === b.reason)) return `exit ${b.reason}`;
      if (b.kind === "rip" && rip === b.rip) return `rip ${hex(b.rip)}`;
    }
    return null;
  }

  /** Goes back `n` instructions: restore the last checkpoint before the target step and replay the rest. */
  private back(n: number): Reply {
    if (this.step === 0) return { lines: ["already at the start"], events: [] };
    const to = Math.max(0, this.step - n);
    const { snapshot, replay } = this.timeline.rewind(to);
    this.goTo(snapshot, replay);
    const undone = this.step - to;
    this.step = to;
    if (this.timeline.current!.step !== to) this.timeline.push(this.view(), to, `back to step ${to}`);
    return { lines: [`back ${undone} step(s): rip ${hex(this.target.regs()["rip"]!)}  (step ${to})`], events: [] };
  }

  /** Restores a checkpoint and re-executes `replay` steps (the machine is deterministic). */
  private goTo(snapshot: unknown, replay: number): void {
    this.target.restore(snapshot);
    for (let i = 0; i < replay; i++) this.target.step();
  }

  private vmcsLines(which: string | undefined): string[] {
    const v = this.target.vmcs();
    if (!v) return ["no current VMCS (not in VMX operation or none loaded)"];
    const groups = this.target.vmcsGroups();
    let names: string[];
    if (which === undefined) names = Object.keys(v);
    else if (groups[which.toLowerCase()]) names = groups[which.toLowerCase()]!;
    else if (which.toUpperCase() in v) names = [which.toUpperCase()];
    else return [`no VMCS group or field '${which}'${didYouMean(which.toUpperCase(), Object.keys(v)) || didYouMean(which.toLowerCase(), Object.keys(groups))}`];
    return names.filter((k) => k in v).map((k) => `${k.padEnd(36)} ${hex(v[k]!)}`);
  }
}

function formatRegs(r: Record<string, bigint>): string[] {
  const names = Object.keys(r);
  const lines: string[] = [];
  for (let i = 0; i < names.length; i += 4) {
    lines.push(names.slice(i, i + 4).map((k) => `${k.padStart(6)} ${hex(r[k]!).padEnd(20)}`).join("").trimEnd());
  }
  return lines;
}

function dump(at: bigint, bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = [...bytes.subarray(i, i + 16)];
    const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${(at + BigInt(i)).toString(16).padStart(8, "0")}  ${row.map((b) => b.toString(16).padStart(2, "0")).join(" ").padEnd(48)} ${ascii}`);
  }
  return lines;
}

function helpLines(which: string | undefined): string[] {
  if (which !== undefined) {
    const c = findCommand(which.toLowerCase());
    if (!c) return [`no command '${which}'${didYouMean(which.toLowerCase(), commandWords())}`];
    return [`${c.usage}  — ${c.help}${c.aliases.length ? ` (also: ${c.aliases.join(", ")})` : ""}`];
  }
  return LAB_COMMANDS.map((c) => `${c.usage.padEnd(40)} ${c.help}`);
}
