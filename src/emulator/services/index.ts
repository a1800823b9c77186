import type { EmulatorService } from "../types.js";
import { filesService } from "./files.js";
import { mlflowService } from "./mlflow.js";
import { modelRegistryService } from "./model-registry.js";
import { registryService } from "./registry.js";
import { servingService } from "./serving.js";

/** Every emulated service; each is one file in this folder. */
export const SERVICES: EmulatorService<any, any>[] = [
  filesService,
  mlflowService,
  registryService,
  modelRegistryService,
  servingService,
];
