/** Nest injection tokens of scep-api. */
export const SCEP_CONFIG = Symbol.for('enrollgate.scep.config');
/** `() => number` (ms since the epoch) the RA renewal schedule reads; Date.now unless a test provides one. */
export const SCEP_CLOCK = Symbol.for('enrollgate.scep.clock');
