/** The handler signature shared by defaults, overrides and user modules. */
import type { Vcpu } from "../vcpu";

/**
 * A root-mode exit handler. `next` runs the handler this one overrides (the
 * default for the reason), so an override can compose: do something, then
 * `next()`. Returning without deciding resumes the guest.
 */
export type Handler = (vcpu: Vcpu, next: () => void) => void;
