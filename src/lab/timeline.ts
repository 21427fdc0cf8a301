/**
 * The session's history: one point per executed step. Each point keeps an
 * exact machine snapshot (for `back`) and the immer patches that turned the
 * previous register/VMCS view into this one (for `diff`), so the timeline
 * itself is a chain of small immutable records.
 */
import { enablePatches, produceWithPatches, type Patch } from "immer";

enablePatches();

/** Registers and VMCS as hex strings: what `diff` compares. */
export interface View {
  readonly regs: Readonly<Record<string, string>>;
  readonly vmcs: Readonly<Record<string, string>>;
}

export interface Point {
  readonly view: View;
  /** What changed from the previous point (immer patches). */
  readonly patches: readonly Patch[];
  /** Instructions executed before this point. */
  readonly step: number;
  /** What led to this point (an exit, the end of a command). */
  readonly label: string;
}

export function hexView(regs: Record<string, bigint>, vmcs: Record<string, bigint> | null): View {
  const h = (o: Record<string, bigint>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, "0x" + v.toString(16)]));
  return { regs: h(regs), vmcs: vmcs ? h(vmcs) : {} };
}

/**
 * Points where the student can look (`diff`) — each VM exit and the end of
 * each command — plus checkpoints (exact machine snapshots) at the start of
 * each command. Going back to step k restores the last checkpoint at or
 * before k and re-executes the rest: the machine is deterministic (virtual
 * time counts instructions), so this is exact, and a `continue` over a
 * million instructions costs one snapshot, not a million.
 */
export class Timeline {
  private readonly points: Point[] = [];
  private readonly checkpoints: { step: number; snapshot: unknown }[] = [];

  get length(): number {
    return this.points.length;
  }

  get current(): Point | undefined {
    return this.points[this.points.length - 1];
  }

  /** The point before the current one (the state `diff` compares against). */
  get previous(): Point | undefined {
    return this.points[this.points.length - 2];
  }

  /** Appends a point whose view is `next`, recording the patches from the current view. */
  push(next: View, step: number, label: string): Point {
    const prev = this.current?.view ?? { regs: {}, vmcs: {} };
    const [view, patches] = produceWithPatches(prev, (d) => {
      for (const part of ["regs", "vmcs"] as const) {
        const target = d[part] as Record<string, string>;
        for (const k of Object.keys(target)) if (!(k in next[part])) delete target[k];
        for (const [k, v] of Object.entries(next[part])) if (target[k] !== v) target[k] = v;
      }
    });
    const p: Point = { view, patches, step, label };
    this.points.push(p);
    return p;
  }

  /** Keeps an exact machine snapshot taken at `step` (null: the machine could not take one there). */
  checkpoint(step: number, snapshot: unknown): void {
    if (snapshot === null || snapshot === undefined) return;
    const i = this.checkpoints.findIndex((c) => c.step >= step);
    if (i < 0) this.checkpoints.push({ step, snapshot });
    else if (this.checkpoints[i]!.step !== step) this.checkpoints.splice(i, 0, { step, snapshot });
  }

  /** The newest checkpoint at or before `step`, and how many steps to replay from it. */
  base(step: number): { snapshot: unknown; step: number; replay: number } {
    let cp = this.checkpoints[0]!;
    for (const c of this.checkpoints) if (c.step <= step) cp = c;
    return { snapshot: cp.snapshot, step: cp.step, replay: step - cp.step };
  }

  /** Forgets what happened after step `step`; returns the checkpoint to restore and how many steps to replay from it. */
  rewind(step: number): { snapshot: unknown; replay: number } {
    while (this.points.length > 1 && this.current!.step > step) this.points.pop();
    while (this.checkpoints.length > 1 && this.checkpoints[this.checkpoints.length - 1]!.step > step) this.checkpoints.pop();
    return this.base(step);
  }
}

/** `old → new` lines for the patches of a point, VMCS fields and registers. */
export function describePatches(before: View, patches: readonly Patch[]): string[] {
  const lines: string[] = [];
  // Registers first, then VMCS fields, each in the order the view lists them.
  const ordered = [...patches].sort((a, b) => (a.path[0] === b.path[0] ? 0 : a.path[0] === "regs" ? -1 : 1));
  for (const p of ordered) {
    const [part, key] = p.path as [keyof View, string];
    const old = before[part]?.[key] ?? "(none)";
    const now = p.op === "remove" ? "(none)" : String(p.value);
    lines.push(`${part === "vmcs" ? "vmcs" : "reg "} ${key.padEnd(28)} ${old} → ${now}`);
  }
  return lines;
}
