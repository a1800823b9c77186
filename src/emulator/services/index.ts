import type { EmulatorService } from "../types.js";
import { clustersService } from "./clusters.js";
import { jobsService } from "./jobs.js";
import { workspaceService } from "./workspace.js";

/** Every emulated service; each is one file in this folder. Clusters move before the jobs that use them. */
export const SERVICES: EmulatorService<any, any>[] = [clustersService, workspaceService, jobsService];
