/** Nest injection tokens of scep-api. */
export const SCEP_CONFIG = Symbol.for('enrollgate.scep.config');
