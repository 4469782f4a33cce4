/** Injection tokens of the admin API (values provided by main.ts through PlatformModule). */
export const CA_ENGINE = Symbol.for('adcs-sim.ca-engine');
export const FAULT_PLAN = Symbol.for('adcs-sim.fault-plan');
export const STATE_DIR = Symbol.for('adcs-sim.state-dir');
