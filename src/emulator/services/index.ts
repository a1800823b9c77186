import type { EmulatorService } from "../types.js";
import { qualityMonitorsService } from "./quality-monitors.js";
import { sqlService } from "./sql.js";
import { warehousesService } from "./warehouses.js";

/** Every emulated service; each is one file in this folder. */
export const SERVICES: EmulatorService<any, any>[] = [warehousesService, sqlService, qualityMonitorsService];
