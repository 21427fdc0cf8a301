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
  /** Machine state before the step that produced the next point. */
  readonly snapshot: unknown;
  /** Events of the step that led to this point. */
  readonly label: string;
}

export function hexView(regs: Record<string, bigint>, vmcs: Record<string, bigint> | null): View {
  const h = (o: Record<string, bigint>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, "0x" + v.toString(16)]));
  return { regs: h(regs), vmcs: vmcs ? h(vmcs) : {} };
}

export class Timeline {
  private readonly points: Point[] = [];

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
  push(next: View, snapshot: unknown, label: string): Point {
    const prev = this.current?.view ?? { regs: {}, vmcs: {} };
    const [view, patches] = produceWithPatches(prev, (d) => {
      for (const part of ["regs", "vmcs"] as const) {
        const target = d[part] as Record<string, string>;
        for (const k of Object.keys(target)) if (!(k in next[part])) delete target[k];
        for (const [k, v] of Object.entries(next[part])) if (target[k] !== v) target[k] = v;
      }
    });
    const p: Point = { view, patches, snapshot, label };
    this.points.push(p);
    return p;
  }

  /** Drops the newest point and returns it (its snapshot is the state to go back to). */
  pop(): Point | undefined {
    return this.points.length > 1 ? this.points.pop() : undefined;
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
