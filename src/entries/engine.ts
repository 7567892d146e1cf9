// netloom/engine: the event engine, for programs that build their own devices: the simulation, the
// scheduler, event kinds, seeded random streams and the run fingerprint.

export { Simulation, type SimulationOptions } from "../engine/simulation.js";
export { Scheduler, type EventHandler, type SchedulerOptions } from "../engine/scheduler.js";
export { Rng, deriveSeed } from "../engine/rng.js";
export { Fingerprint } from "../engine/fingerprint.js";
