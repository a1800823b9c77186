export { EmulatorClock } from "./clock.js";
export type { FaultKind, FaultSpec } from "./faults.js";
export { FAULT_KINDS, FaultInjector } from "./faults.js";
export type { Emulator, EmulatorOptions } from "./server.js";
export { startEmulator } from "./server.js";
export type { InferenceRecord, ServingEmulatorExports } from "./services/serving-state.js";
export type { EmulatorContext, EmulatorService } from "./types.js";
