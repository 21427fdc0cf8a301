/**
 * The root-mode dispatcher: one handler per basic exit reason (SDM Vol. 3C
 * Appendix C), defaults from handlers/index.ts, overridable per reason by
 * policy (scenario YAML `handlers:`) or by function. An override receives
 * `next`, which runs the handler it replaced, so it can compose.
 */
import { inputError, type SourceLocation } from "../common/errors";
import { didYouMean } from "../common/suggest";
import { DEFAULT_HANDLERS, type Handler } from "./handlers";
import { EXIT_REASON_INFO, EXIT_REASON_NUMBERS, lookupExitReason, type ExitReason } from "./reasons";
import { GuestMemoryError, type HandlerOutcome, type InjectEvent, type Vcpu } from "./vcpu";

export type { Handler } from "./handlers";

/**
 * What the scenario YAML can say per reason:
 *  - "default": the KVM-like default handler;
 *  - "stop": end the run at this exit (stop reason "handler-stop");
 *  - "skip": move RIP past the instruction (instruction exits) and resume;
 *  - { inject: {vector, type?, errorCode?} }: inject the event and resume (RIP stays: a fault);
 *  - a function: a handler (scenario `module:` entries are loaded into one).
 */
export type HandlerPolicy = "default" | "stop" | "skip" | { inject: InjectEvent } | Handler;

export const POLICY_NAMES = ["default", "stop", "skip", "inject"] as const;

export function policyHandler(reason: ExitReason, policy: HandlerPolicy): Handler {
  if (typeof policy === "function") return policy;
  if (policy === "default") return DEFAULT_HANDLERS[reason];
  if (policy === "stop") return (vcpu) => vcpu.stop("handler-stop", { exitReason: reason });
  if (policy === "skip") {
    return (vcpu) => {
      if (EXIT_REASON_INFO[reason].category === "instruction") vcpu.advanceRip();
      vcpu.resume();
    };
  }
  if (typeof policy === "object" && policy && "inject" in policy) {
    const ev = policy.inject;
    return (vcpu) => {
      vcpu.inject(ev);
      vcpu.resume();
    };
  }
  throw inputError(`handler policy ${JSON.stringify(policy)} for ${reason}: expected one of ${POLICY_NAMES.join(", ")} or a function`);
}

/** `next` of the outermost handler: nothing was replaced (one function for every exit). */
const NOTHING_NEXT = (): void => {};

export class Dispatcher {
  private readonly table: Record<ExitReason, Handler> = { ...DEFAULT_HANDLERS };
  /** How many exits each reason has seen. */
  readonly counts = new Map<ExitReason, number>();

  constructor(overrides: Partial<Record<string, HandlerPolicy>> = {}) {
    for (const [name, policy] of Object.entries(overrides)) if (policy !== undefined) this.set(name, policy);
  }

  /**
   * Overrides the handler of `reason` (name, alias or number). The previous
   * handler becomes the override's `next`, so overrides stack.
   */
  set(reason: string | number | ExitReason, policy: HandlerPolicy, location?: SourceLocation): this {
    const name = resolveReason(reason, location);
    const previous = this.table[name];
    const h = policyHandler(name, policy);
    this.table[name] = (vcpu, next) => h(vcpu, () => previous(vcpu, next));
    return this;
  }

  handler(reason: ExitReason): Handler {
    return this.table[reason];
  }

  /**
   * Runs the handler for the vCPU's current exit and returns its decision.
   * Without a decision the guest resumes. When resuming after an exit that
   * interrupted event delivery (IDT-vectoring information valid, SDM Vol. 3C
   * 28.2.4) and the handler injected nothing, the interrupted event is
   * re-injected, as KVM's vmx_complete_interrupts does.
   */
  dispatch(vcpu: Vcpu): HandlerOutcome {
    const reason = vcpu.exit.reason;
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    try {
      this.table[reason](vcpu, NOTHING_NEXT);
    } catch (e) {
      // Guest memory a handler could not reach is the guest's problem, not a crash of the VMM.
      if (!(e instanceof GuestMemoryError)) throw e;
      vcpu.toUserspace("internal-error", { message: `${reason} handler: ${e.message}`, reason });
    }
    const outcome = vcpu.outcome ?? { action: "resume" };
    if (outcome.action === "resume") reinjectVectoredEvent(vcpu);
    return outcome;
  }
}

function reinjectVectoredEvent(vcpu: Vcpu): void {
  const v = vcpu.exit.idtVectoring;
  if (!v.valid || vcpu.exit.reason === "EXCEPTION_NMI" || vcpu.exit.reason === "TASK_SWITCH") return;
  if ((vcpu.vmread("VM_ENTRY_INTR_INFO_FIELD") >> 31n & 1n) === 1n) return;
  const soft = v.type === "software-interrupt" || v.type === "software-exception" || v.type === "privileged-software-exception";
  vcpu.inject({
    vector: v.vector,
    type: v.type,
    errorCode: vcpu.exit.idtVectoringErrorCode,
    instructionLength: soft ? vcpu.exit.instructionLength : undefined,
  });
}

/** A reason given by the user (name, alias, number) → its table name, or an error with a suggestion. */
export function resolveReason(reason: string | number, location?: SourceLocation): ExitReason {
  const r = lookupExitReason(String(reason));
  if (r) return r.name;
  const hint = didYouMean(String(reason).toUpperCase(), Object.keys(EXIT_REASON_NUMBERS));
  throw inputError(`'${reason}' is not an exit reason${hint} (see \`vmxlab explain <reason>\`)`, location);
}
