/** Bounds on what a scenario may ask for. */

/** Largest guest RAM a scenario may ask for (the host allocates it as one ArrayBuffer). */
export const MAX_MEMORY = 1n << 30n;
