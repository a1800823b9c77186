import { z } from "zod";
import { closedEnum, openEnum } from "../core/validation.js";

/** Largest notebook or file the Workspace API imports or exports: 10 MB. */
export const MAX_WORKSPACE_OBJECT_BYTES = 10 * 1024 * 1024;

export const WORKSPACE_FORMATS = ["SOURCE", "HTML", "JUPYTER", "DBC", "R_MARKDOWN", "AUTO", "RAW"] as const;
export const NOTEBOOK_LANGUAGES = ["PYTHON", "SCALA", "SQL", "R"] as const;
export const WORKSPACE_OBJECT_TYPES = [
  "NOTEBOOK",
  "DIRECTORY",
  "LIBRARY",
  "FILE",
  "REPO",
  "DASHBOARD",
  "MLFLOW_EXPERIMENT",
] as const;

// Requests take only the documented values (a typo is refused before sending); responses stay open.

export type WorkspaceFormat = (typeof WORKSPACE_FORMATS)[number];
export type NotebookLanguage = (typeof NOTEBOOK_LANGUAGES)[number];

const workspacePath = z
  .string()
  .min(1, "is required")
  .refine((p) => p.startsWith("/"), "must be an absolute workspace path starting with '/'");

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Bytes that a base64 text decodes to. */
function base64Size(text: string): number {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return Math.floor((text.length * 3) / 4) - padding;
}

export const WorkspaceImportRequestSchema = z
  .looseObject({
    path: workspacePath,
    /** The object's bytes, base64-encoded; at most 10 MB once decoded. */
    content: z.string().superRefine((c, ctx) => {
      if (c.length % 4 !== 0 || !BASE64.test(c)) {
        ctx.addIssue({ code: "custom", message: "must be base64-encoded" });
      } else if (base64Size(c) > MAX_WORKSPACE_OBJECT_BYTES) {
        ctx.addIssue({
          code: "custom",
          message: `is ${base64Size(c)} bytes once decoded; the Workspace API accepts at most ${MAX_WORKSPACE_OBJECT_BYTES} bytes (10 MB)`,
        });
      }
    }),
    format: closedEnum(WORKSPACE_FORMATS).nullish(),
    language: closedEnum(NOTEBOOK_LANGUAGES).nullish(),
    overwrite: z.boolean().nullish(),
  })
  .refine((r) => !(r.format === "DBC" && r.overwrite), {
    path: ["overwrite"],
    message: "is not supported with format DBC",
  });
export type WorkspaceImportRequest = z.input<typeof WorkspaceImportRequestSchema>;

export const WorkspaceExportRequestSchema = z.looseObject({
  path: workspacePath,
  format: closedEnum(WORKSPACE_FORMATS).nullish(),
});
export type WorkspaceExportRequest = z.input<typeof WorkspaceExportRequestSchema>;

export const WorkspaceListRequestSchema = z.looseObject({
  path: workspacePath,
  notebooks_modified_after: z.number().int().nullish(),
});
export type WorkspaceListRequest = z.input<typeof WorkspaceListRequestSchema>;

export const WorkspacePathRequestSchema = z.looseObject({ path: workspacePath });
export type WorkspacePathRequest = z.input<typeof WorkspacePathRequestSchema>;

export const WorkspaceDeleteRequestSchema = z.looseObject({
  path: workspacePath,
  recursive: z.boolean().nullish(),
});
export type WorkspaceDeleteRequest = z.input<typeof WorkspaceDeleteRequestSchema>;

// Responses: lenient, every field optional, unknown fields kept.

export const ObjectInfoSchema = z.looseObject({
  object_type: openEnum(WORKSPACE_OBJECT_TYPES).nullish(),
  path: z.string().nullish(),
  language: openEnum(NOTEBOOK_LANGUAGES).nullish(),
  object_id: z.number().nullish(),
  resource_id: z.string().nullish(),
  created_at: z.number().nullish(),
  modified_at: z.number().nullish(),
  size: z.number().nullish(),
});
export type ObjectInfo = z.output<typeof ObjectInfoSchema>;

export const WorkspaceListResponseSchema = z.looseObject({ objects: z.array(ObjectInfoSchema).nullish() });

export const WorkspaceExportResponseSchema = z.looseObject({
  content: z.string().nullish(),
  file_type: z.string().nullish(),
});
export type WorkspaceExportResponse = z.output<typeof WorkspaceExportResponseSchema>;
