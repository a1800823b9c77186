import type { EmulatorService } from "../types.js";
import { servingService } from "./serving.js";

/** Every emulated service; each is one file in this folder. */
export const SERVICES: EmulatorService<any, any>[] = [servingService];
