/** Exception vectors (SDM Vol. 3A 6.3.1 Table 6-1). */
export const DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8;
export const TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19, VE = 20, CP = 21;

export const VECTOR_NAMES: Record<number, string> = {
  0: "DE", 1: "DB", 2: "NMI", 3: "BP", 4: "OF", 5: "BR", 6: "UD", 7: "NM", 8: "DF", 9: "MF9", 10: "TS",
  11: "NP", 12: "SS", 13: "GP", 14: "PF", 16: "MF", 17: "AC", 18: "MC", 19: "XM", 20: "VE", 21: "CP",
};

/** Vectors that push an error code when delivered as hardware exceptions (SDM Vol. 3A 6.15). */
export function hasErrorCode(vector: number): boolean {
  return vector === DF || (vector >= TS && vector <= PF) || vector === AC || vector === CP;
}

/** Exception classes for double-fault detection (SDM Vol. 3A 6.15 Table 6-4/6-5). */
export function isContributory(vector: number): boolean {
  return vector === DE || (vector >= TS && vector <= GP);
}

/** #PF error-code bits (SDM Vol. 3A 4.7). */
export const PFEC = { P: 1, W: 2, U: 4, RSVD: 8, I: 16, PK: 32, SS: 64 } as const;

/**
 * A fault or trap raised while executing an instruction. Thrown from helpers,
 * caught by the run loop, which fixes RIP and delivers it (or exits to the
 * hypervisor when the exception bitmap says so). Not an Error: no stack capture.
 */
export class CpuFault {
  constructor(
    readonly vector: number,
    readonly errorCode: number = -1, // -1: none
    readonly address = 0, // #PF: the linear address (becomes CR2 on delivery)
    /** Trap-like (INT3, INTO, single-step): RIP points after the instruction. */
    readonly trap = false,
  ) {}

  get name(): string {
    return "#" + (VECTOR_NAMES[this.vector] ?? String(this.vector));
  }
}

export function fault(vector: number, errorCode = -1): never {
  throw new CpuFault(vector, errorCode);
}

export function gp(errorCode = 0): never {
  throw new CpuFault(GP, errorCode);
}

export function ud(): never {
  throw new CpuFault(UD);
}
