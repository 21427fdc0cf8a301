/**
 * jest matchers over a FakeVcpu after a handler ran:
 *   expect(vcpu).toHaveAdvancedRip()            // by the exit's instruction length (or `toHaveAdvancedRip(3)`)
 *   expect(vcpu).toHaveInjected({ vector: "GP", errorCode: 0 })
 *   expect(vcpu).toHaveWrittenVmcs("GUEST_CR0", 0x80000031n)
 *   expect(vcpu).toHaveExitedToUserspace("io", { port: 0x3f8 })
 *   expect(vcpu).toHaveResumed()
 *   expect(vcpu).toHaveStopped("guest-exit")
 * `installMatchers()` registers them (src/testing/index.ts does it on import
 * when jest's `expect` is global).
 */
import { hex } from "../common/u64";
import { vectorName, vectorNumber, type EventType } from "../exits/qualification";
import type { UserspaceExit, UserspaceExitKind } from "../exits/vcpu";
import { FakeVcpu } from "./fake-vcpu";

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? hex(x) : x instanceof Uint8Array ? Array.from(x) : x));
}

function asFake(received: unknown, matcher: string): FakeVcpu {
  if (!(received instanceof FakeVcpu)) throw new Error(`${matcher}: expected a vCPU from fakeVcpu(), got ${show(received)}`);
  return received;
}

function describeOutcome(v: FakeVcpu): string {
  const o = v.outcome;
  if (!o) return "no decision (resume)";
  if (o.action === "userspace") return `a userspace exit ${show(o.exit)}`;
  if (o.action === "stop") return `stop '${o.reason}'${o.detail ? " " + show(o.detail) : ""}`;
  return "resume";
}

function partialMatch(actual: Record<string, unknown>, expected: Record<string, unknown>): boolean {
  return Object.entries(expected).every(([k, e]) => {
    const a = actual[k];
    if (typeof e === "bigint" || typeof a === "bigint") return a !== undefined && BigInt(a as bigint) === BigInt(e as bigint);
    if (Array.isArray(e)) return Array.isArray(a) && e.length === a.length && e.every((x, i) => x === a[i]);
    return a === e;
  });
}

export const vmxlabMatchers = {
  toHaveAdvancedRip(received: unknown, length?: number): MatcherResult {
    const v = asFake(received, "toHaveAdvancedRip");
    const by = v.record.ripAdvancedBy;
    const want = length ?? v.exit.instructionLength;
    const pass = by !== undefined && by === want;
    return {
      pass,
      message: () =>
        pass
          ? `expected RIP not to be advanced by ${want}, but it was (RIP ${hex(v.exit.guestRip)} → ${hex(v.rip)})`
          : `expected RIP to be advanced by ${want} (${length === undefined ? "the exit's VM_EXIT_INSTRUCTION_LEN" : "given"}), ` +
            (by === undefined ? `but advanceRip() was not called (RIP ${hex(v.rip)}; outcome: ${describeOutcome(v)})` : `but it moved by ${by}`),
    };
  },

  toHaveInjected(received: unknown, expected: { vector: number | string; type?: EventType; errorCode?: number }): MatcherResult {
    const v = asFake(received, "toHaveInjected");
    const got = v.injected;
    const vector = vectorNumber(expected.vector);
    const pass =
      got !== undefined &&
      got.vector === vector &&
      (expected.type === undefined || got.type === expected.type) &&
      (expected.errorCode === undefined || got.errorCode === expected.errorCode);
    const want = `${vectorName(vector)}${expected.type ? ` (${expected.type})` : ""}${expected.errorCode !== undefined ? ` error code ${hex(expected.errorCode)}` : ""}`;
    const gotText = got
      ? `${vectorName(got.vector)} (${got.type})${got.errorCode !== undefined ? ` error code ${hex(got.errorCode)}` : ""}`
      : "nothing (VM_ENTRY_INTR_INFO_FIELD valid bit clear)";
    return {
      pass,
      message: () => (pass ? `expected no injection of ${want}, but it was injected` : `expected the handler to inject ${want}, but it injected ${gotText}`),
    };
  },

  toHaveWrittenVmcs(received: unknown, field: string, value?: bigint | number): MatcherResult {
    const v = asFake(received, "toHaveWrittenVmcs");
    const writes = v.record.vmwrites.filter((w) => w.field === field);
    const last = writes[writes.length - 1];
    const pass = last !== undefined && (value === undefined || last.value === BigInt.asUintN(64, BigInt(value)));
    return {
      pass,
      message: () =>
        pass
          ? `expected no VMWRITE of ${field}${value !== undefined ? ` = ${hex(BigInt(value))}` : ""}, but the handler wrote it`
          : last === undefined
            ? `expected a VMWRITE of ${field}${value !== undefined ? ` = ${hex(BigInt(value))}` : ""}, but it was not written (written: ${[...new Set(v.record.vmwrites.map((w) => w.field))].join(", ") || "nothing"})`
            : `expected ${field} to be written with ${hex(BigInt(value!))}, but its last write was ${hex(last.value)}`,
    };
  },

  toHaveExitedToUserspace(received: unknown, kind: UserspaceExitKind, data?: Record<string, unknown>): MatcherResult {
    const v = asFake(received, "toHaveExitedToUserspace");
    const o = v.outcome;
    const exit: UserspaceExit | undefined = o?.action === "userspace" ? o.exit : undefined;
    const pass = exit !== undefined && exit.kind === kind && (data === undefined || partialMatch(exit as unknown as Record<string, unknown>, data));
    return {
      pass,
      message: () =>
        pass
          ? `expected no '${kind}' userspace exit, but got ${show(exit)}`
          : `expected a '${kind}' userspace exit${data ? ` with ${show(data)}` : ""}, but got ${describeOutcome(v)}`,
    };
  },

  toHaveResumed(received: unknown): MatcherResult {
    const v = asFake(received, "toHaveResumed");
    const pass = v.outcome === undefined || v.outcome.action === "resume";
    return {
      pass,
      message: () => (pass ? "expected the handler not to resume the guest, but it did" : `expected the handler to resume the guest, but it decided ${describeOutcome(v)}`),
    };
  },

  toHaveStopped(received: unknown, reason?: string): MatcherResult {
    const v = asFake(received, "toHaveStopped");
    const o = v.outcome;
    const pass = o?.action === "stop" && (reason === undefined || o.reason === reason);
    return {
      pass,
      message: () => (pass ? `expected the handler not to stop the run, but it did (${describeOutcome(v)})` : `expected the handler to stop the run${reason ? ` with '${reason}'` : ""}, but it decided ${describeOutcome(v)}`),
    };
  },
};

/** Registers the matchers with jest's `expect` (pass it explicitly when using `@jest/globals`). */
export function installMatchers(expectFn?: { extend(matchers: object): void }): void {
  const e = expectFn ?? (globalThis as { expect?: { extend(matchers: object): void } }).expect;
  if (!e) throw new Error("installMatchers: jest's expect is not available; pass it: installMatchers(expect)");
  e.extend(vmxlabMatchers);
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      /** RIP moved by the exit's instruction length, or by `length`. */
      toHaveAdvancedRip(length?: number): R;
      /** VM_ENTRY_INTR_INFO_FIELD holds this event (type and error code checked when given). */
      toHaveInjected(event: { vector: number | string; type?: EventType; errorCode?: number }): R;
      /** The handler wrote this VMCS field (last value = `value` when given). */
      toHaveWrittenVmcs(field: string, value?: bigint | number): R;
      /** The handler ended in a userspace exit of this kind (fields of `data` compared). */
      toHaveExitedToUserspace(kind: UserspaceExitKind, data?: Record<string, unknown>): R;
      toHaveResumed(): R;
      toHaveStopped(reason?: string): R;
    }
  }
}
