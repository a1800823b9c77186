/**
 * Workspace objects governed by the Permissions API (`/api/2.0/permissions/{type}/{id}`): their
 * levels, weakest first (a level includes every level before it), as workspaces define them.
 */
export interface ObjectType {
  /** `object_type` in answers. */
  objectType: string;
  /** Weakest first. */
  levels: readonly string[];
  descriptions: Record<string, string>;
  /** The owner appears as IS_OWNER (jobs) rather than CAN_MANAGE. */
  isOwnerLevel: boolean;
  /** What messages call the object. */
  noun: string;
}

const notebookLevels = ["CAN_READ", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"] as const;
const notebookDescriptions = {
  CAN_READ: "Can view and comment",
  CAN_RUN: "Can view, comment, attach and run",
  CAN_EDIT: "Can view, comment, attach, run and edit",
  CAN_MANAGE: "Can view, comment, attach, run, edit and change permissions",
};

export const OBJECT_TYPES: Record<string, ObjectType> = {
  jobs: {
    objectType: "job",
    levels: ["CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER"],
    descriptions: {
      CAN_VIEW: "Can view job and runs",
      CAN_MANAGE_RUN: "Can view, trigger and cancel runs",
      CAN_MANAGE: "Can view, trigger, cancel, edit and delete the job, and change its permissions",
      IS_OWNER: "Owns the job; runs run as the owner",
    },
    isOwnerLevel: true,
    noun: "job",
  },
  clusters: {
    objectType: "cluster",
    levels: ["CAN_ATTACH_TO", "CAN_RESTART", "CAN_MANAGE"],
    descriptions: {
      CAN_ATTACH_TO: "Can attach to the cluster",
      CAN_RESTART: "Can attach to, start, restart and terminate the cluster",
      CAN_MANAGE: "Can attach to, start, restart, terminate, edit and delete the cluster",
    },
    isOwnerLevel: false,
    noun: "cluster",
  },
  experiments: {
    objectType: "mlflowExperiment",
    levels: ["CAN_READ", "CAN_EDIT", "CAN_MANAGE"],
    descriptions: {
      CAN_READ: "Can view the experiment and its runs",
      CAN_EDIT: "Can view and log runs to the experiment",
      CAN_MANAGE: "Can view, log, edit, delete and change permissions",
    },
    isOwnerLevel: false,
    noun: "experiment",
  },
  "registered-models": {
    objectType: "registered-model",
    levels: [
      "CAN_READ",
      "CAN_EDIT",
      "CAN_MANAGE_STAGING_VERSIONS",
      "CAN_MANAGE_PRODUCTION_VERSIONS",
      "CAN_MANAGE",
    ],
    descriptions: {
      CAN_READ: "Can view the model and its versions",
      CAN_EDIT: "Can also create versions and edit descriptions",
      CAN_MANAGE_STAGING_VERSIONS: "Can also move versions between None, Staging and Archived",
      CAN_MANAGE_PRODUCTION_VERSIONS: "Can also move versions to and from Production",
      CAN_MANAGE: "Can do everything, including rename, delete and change permissions",
    },
    isOwnerLevel: false,
    noun: "registered model",
  },
  "serving-endpoints": {
    objectType: "serving-endpoint",
    levels: ["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"],
    descriptions: {
      CAN_VIEW: "Can view the endpoint",
      CAN_QUERY: "Can view and query the endpoint",
      CAN_MANAGE: "Can view, query, edit and delete the endpoint, and change its permissions",
    },
    isOwnerLevel: false,
    noun: "serving endpoint",
  },
  notebooks: {
    objectType: "notebook",
    levels: notebookLevels,
    descriptions: notebookDescriptions,
    isOwnerLevel: false,
    noun: "notebook",
  },
  directories: {
    objectType: "directory",
    levels: notebookLevels,
    descriptions: notebookDescriptions,
    isOwnerLevel: false,
    noun: "directory",
  },
};

export type ObjectTypeName = keyof typeof OBJECT_TYPES;
