/**
 * Runs the entry checks in SDM order and turns the first failure into what
 * the processor does (SDM Vol. 3C 27.2, 27.8): VMfailValid with
 * VM-instruction error 7 (controls) or 8 (host state), or a VM-entry failure
 * exit with basic reason 33 and bit 31 set (guest state). For VMRESUME the
 * plan re-runs only the checks reading fields written since the last
 * successful entry (DESIGN.md "Performance design").
 */
import type { EntryCheck, CheckPhase } from "./checks";
import { ENTRY_CHECKS } from "./checks";
import type { CheckEnv } from "./env";
import type { FieldName } from "../../vmcs/fields";
import { SLOT } from "../../vmcs/vmcs";

export const VMERR_ENTRY_INVALID_CONTROL = 7, VMERR_ENTRY_INVALID_HOST = 8;
export const EXIT_INVALID_GUEST_STATE = 33, EXIT_MSR_LOAD_FAIL = 34, EXIT_ENTRY_FAILURE_BIT = 0x8000_0000;

export interface EntryFailure {
  readonly id: string;
  readonly sdm: string;
  readonly phase: CheckPhase;
  readonly explain: string;
  /** The fields the check reads, with their values at VM entry. */
  readonly fields: readonly { name: string; value: bigint }[];
  /** "controls"/"host": the VM-instruction error of the VMfailValid. */
  readonly vmError?: number;
  /** "guest" (and MSR loading): the exit reason with bit 31 set, and its qualification. */
  readonly exitReason?: number;
  readonly qualification: number;
}

export function failureOf(c: EntryCheck, env: CheckEnv): EntryFailure {
  const base = { id: c.id, sdm: c.sdm, phase: c.phase, explain: c.explain, fields: env.values(c.fields) };
  if (c.phase === "controls") return { ...base, vmError: VMERR_ENTRY_INVALID_CONTROL, qualification: 0 };
  if (c.phase === "host") return { ...base, vmError: VMERR_ENTRY_INVALID_HOST, qualification: 0 };
  return { ...base, exitReason: EXIT_INVALID_GUEST_STATE | EXIT_ENTRY_FAILURE_BIT, qualification: c.qualification ?? 0 };
}

/** Checks whose outcome depends on something other than VMCS fields: run on every entry. */
const ALWAYS = new Set(["host-outside-ia32e", "host-in-ia32e", "guest-pdptes", "ctl-tpr-threshold-vtpr"]);

/** VMCS slot → indices of the checks that read the field, for incremental VMRESUME checking. */
export class CheckPlan {
  private readonly bySlot: number[][] = [];
  private readonly always: number[] = [];
  private readonly picked: Uint8Array;
  private readonly order: number[] = [];
  private readonly bySingle: (readonly number[] | undefined)[] = [];

  constructor(readonly checks: readonly EntryCheck[] = ENTRY_CHECKS) {
    this.picked = new Uint8Array(checks.length);
    checks.forEach((c, i) => {
      if (ALWAYS.has(c.id)) this.always.push(i);
      for (const f of c.fields) {
        const slot = SLOT[f as FieldName];
        if (slot === undefined) throw new Error(`entry check ${c.id}: unknown field ${f}`);
        (this.bySlot[slot] ??= []).push(i);
      }
    });
  }

  /** Runs every check (VMLAUNCH, or the first entry of a VMCS). */
  runAll(env: CheckEnv): EntryFailure | null {
    for (const c of this.checks) if (!c.test(env)) return failureOf(c, env);
    return null;
  }

  /** Runs only the checks that read a field in the `changed` slots (plus the ALWAYS ones), still in SDM order. */
  runChanged(env: CheckEnv, changed: readonly number[]): EntryFailure | null {
    // The usual VMRESUME after a handler that only moved RIP: one changed field; its plan is computed once.
    const order = changed.length === 0 ? this.always : changed.length === 1 ? this.singlePlan(changed[0]!) : this.plan(changed);
    for (let k = 0; k < order.length; k++) {
      const c = this.checks[order[k]!]!;
      if (!c.test(env)) return failureOf(c, env);
    }
    return null;
  }

  /** The checks for a single changed slot, in SDM order (cached per slot). */
  private singlePlan(slot: number): readonly number[] {
    let p = this.bySingle[slot];
    if (p === undefined) {
      p = [...this.plan([slot])];
      this.bySingle[slot] = p;
    }
    return p;
  }

  /** Indices of the checks to run for `changed`, in SDM order (a reused array). */
  private plan(changed: readonly number[]): readonly number[] {
    const order = this.order;
    const picked = this.picked;
    order.length = 0;
    for (const i of this.always) {
      picked[i] = 1;
      order.push(i);
    }
    for (let k = 0; k < changed.length; k++) {
      const l = this.bySlot[changed[k]!];
      if (l === undefined) continue;
      for (let j = 0; j < l.length; j++) {
        const i = l[j]!;
        if (picked[i] === 0) {
          picked[i] = 1;
          order.push(i);
        }
      }
    }
    if (order.length > 1) order.sort(byNumber);
    for (const i of order) picked[i] = 0;
    return order;
  }
}

const byNumber = (a: number, b: number) => a - b;

export const DEFAULT_PLAN = new CheckPlan();
