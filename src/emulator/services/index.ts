import type { EmulatorService } from "../types.js";
import { clustersService } from "./clusters.js";
import { filesService } from "./files.js";
import { grantsService } from "./grants.js";
import { identityService } from "./identity.js";
import { jobsService } from "./jobs.js";
import { mlflowService } from "./mlflow.js";
import { modelRegistryService } from "./model-registry.js";
import { permissionsService } from "./permissions.js";
import { qualityMonitorsService } from "./quality-monitors.js";
import { registryService } from "./registry.js";
import { secretsService } from "./secrets.js";
import { servingService } from "./serving.js";
import { sqlService } from "./sql.js";
import { warehousesService } from "./warehouses.js";
import { workspaceService } from "./workspace.js";

/** Every emulated service; each is one file in this folder. Clusters move before the jobs that use them. */
export const SERVICES: EmulatorService<any, any>[] = [
  clustersService,
  workspaceService,
  jobsService,
  filesService,
  mlflowService,
  registryService,
  modelRegistryService,
  servingService,
  warehousesService,
  sqlService,
  qualityMonitorsService,
  identityService,
  permissionsService,
  grantsService,
  secretsService,
];
