import type { EmulatorService } from "../types.js";

/** Every emulated service; each is one file in this folder. */
export const SERVICES: EmulatorService<any, any>[] = [];
