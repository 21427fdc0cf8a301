/** Exit qualification for task switches (SDM Vol. 3C 28.2.1 Table 28-2). */
import { field, put } from "./bits";

export const TASK_SWITCH_SOURCES = ["call", "iret", "jmp", "task-gate"] as const;
export type TaskSwitchSource = (typeof TASK_SWITCH_SOURCES)[number];

export interface TaskSwitchQualification {
  /** Bits 15:0: selector of the new task's TSS. */
  selector: number;
  /** Bits 31:30: 0 CALL, 1 IRET, 2 JMP, 3 task gate in the IDT. */
  source: TaskSwitchSource;
}

export function decodeTaskSwitch(q: bigint): TaskSwitchQualification {
  return { selector: field(q, 15, 0), source: TASK_SWITCH_SOURCES[field(q, 31, 30)]! };
}

export function encodeTaskSwitch(v: Partial<TaskSwitchQualification>): bigint {
  return put(v.selector ?? 0, 15, 0, "TSS selector") | put(TASK_SWITCH_SOURCES.indexOf(v.source ?? "call"), 31, 30, "task-switch source");
}
