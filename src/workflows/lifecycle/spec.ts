import { z } from "zod";
import { ClusterSpecSchema } from "../../api/clusters-schemas.js";
import { SECURABLE_PRIVILEGES } from "../../api/grants.js";
import { PERMISSION_LEVELS } from "../../api/permissions.js";
import { endpointName } from "../../api/serving-endpoints-schemas.js";
import { ucName } from "../../api/uc-names.js";
import { type FieldIssue, ValidationError } from "../../core/errors.js";

export const WORKLOAD_SIZES = ["Small", "Medium", "Large"] as const;
export const WORKLOAD_TYPES = ["CPU", "GPU_SMALL", "GPU_MEDIUM", "GPU_LARGE", "MULTIGPU_MEDIUM"] as const;
const LANGUAGES = ["PYTHON", "SQL", "SCALA", "R"] as const;

/** A new cluster for the training run: the Clusters API fields a job's `new_cluster` takes, no others. */
const newCluster = ClusterSpecSchema.strict();
const existingCluster = z.strictObject({ clusterId: z.string().min(1, "must not be empty") });

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(", ")}` });

const text = (what = "a string") =>
  z.string({
    error: (issue) => (issue.input === undefined ? "is required" : `must be ${what}`),
  });

/** `{ clusterId }` of an existing cluster, or a new cluster spec; each checked strictly. */
const cluster = z
  .custom<z.input<typeof newCluster> | z.input<typeof existingCluster>>(
    (v) => typeof v === "object" && v !== null && !Array.isArray(v),
    "must be a new cluster spec (spark_version, node_type_id, num_workers, …) or { clusterId }",
  )
  .superRefine((value, ctx) => {
    const existing = "clusterId" in (value as object);
    const parsed = (existing ? existingCluster : newCluster).safeParse(value);
    for (const issue of parsed.error?.issues ?? []) {
      if (existing && issue.code === "unrecognized_keys") {
        for (const key of issue.keys)
          ctx.addIssue({ code: "custom", path: [key], message: "cannot be combined with clusterId" });
      } else ctx.addIssue(issue as z.core.$ZodRawIssue);
    }
  });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How a principal of an `access` block is written: `group:<name>`, a service principal's application id, or a user name. */
export type PrincipalKind = "group" | "servicePrincipal" | "user";

export function principalKind(principal: string): PrincipalKind | undefined {
  if (/^group:.+/.test(principal)) return "group";
  if (UUID.test(principal)) return "servicePrincipal";
  if (/^[^@\s]+@[^@\s]+$/.test(principal)) return "user";
  return undefined;
}

const principal = z
  .string({ error: "must be a string" })
  .refine(
    (p) => principalKind(p) !== undefined,
    "must be a user name (bob@example.com), group:<name>, or a service principal's application id (a UUID)",
  );

/**
 * `{ LEVEL: [principal, …] }` for a closed set of levels; each level listed is owned by the spec.
 * Under the Permissions API a principal holds one direct level per object (`onePerPrincipal`).
 */
const levels = <const T extends readonly string[]>(values: T, onePerPrincipal: boolean) =>
  z
    .strictObject(
      Object.fromEntries(values.map((v) => [v, z.array(principal).optional()])) as {
        [K in T[number]]: z.ZodOptional<z.ZodArray<typeof principal>>;
      },
    )
    .superRefine((byLevel, ctx) => {
      const seen = new Map<string, string>();
      for (const [level, principals] of Object.entries(byLevel) as Array<[string, string[] | undefined]>) {
        (principals ?? []).forEach((p, i) => {
          const other = seen.get(p);
          if (other === level)
            ctx.addIssue({ code: "custom", path: [level, i], message: `${p} is listed twice` });
          else if (other && onePerPrincipal)
            ctx.addIssue({
              code: "custom",
              path: [level, i],
              message: `${p} is also given ${other}: a principal holds one level on an endpoint`,
            });
          else seen.set(p, level);
        });
      }
    });

/**
 * Who may do what on the spec's objects. For every level (privilege) a block lists, the spec owns
 * the set of principals holding it directly: principals not listed there lose it. Levels not listed,
 * inherited permissions, the object's owner and the `admins` group are left alone.
 */
const access = z.strictObject({
  /** Serving endpoint levels (Permissions API): CAN_VIEW, CAN_QUERY, CAN_MANAGE. */
  endpoint: levels(PERMISSION_LEVELS["serving-endpoints"], true).optional(),
  /** Unity Catalog privileges on the registered model (a FUNCTION securable), e.g. EXECUTE. */
  model: levels(SECURABLE_PRIVILEGES.function, false).optional(),
});

/**
 * The life cycle's spec: one schema for the library, JSON and YAML. brickml's own keys are strict
 * at every level (an unknown key is an error, with a suggestion); `cluster` takes the Clusters
 * API fields; `parameters` are notebook widgets, strings only.
 */
export const LifecycleSpecSchema = z.strictObject(
  {
    notebook: z.strictObject({
      /** Workspace path, e.g. `/Shared/churn/train`. */
      path: text().regex(/^\//, "must be an absolute workspace path like /Shared/project/train"),
      /** Local notebook file or inline source to upload; omit to run what is in the workspace. */
      source: z
        .union(
          [
            z.string().min(1, "must not be empty"),
            z.strictObject({ content: text(), language: oneOf(LANGUAGES).optional() }),
          ],
          { error: "must be a local file path or { content, language }" },
        )
        .optional(),
    }),
    /** New cluster spec for the training run, or `{ clusterId }` of an existing cluster. */
    cluster,
    /** Notebook widgets. A change of parameters means a new training run. */
    parameters: z
      .record(
        z.string().min(1, "must not be empty"),
        text('a string: quote numbers and booleans, e.g. "1.0"'),
      )
      .optional(),
    /** MLflow experiment the notebook logs to (helps find its run faster). */
    experiment: z.string().min(1, "must not be empty").optional(),
    model: z.strictObject({
      /** Unity Catalog name `catalog.schema.model`. */
      name: text().regex(/^[^.\s/]+\.[^.\s/]+\.[^.\s/]+$/, "must be catalog.schema.model"),
      /** Alias pointed at the trained version (default `champion`). */
      alias: ucName.optional(),
      /** Where the run logged the model (default `model`). */
      artifactPath: z.string().min(1, "must not be empty").optional(),
    }),
    endpoint: z.strictObject({
      name: endpointName,
      /** Provisioned concurrency (default `Small`). */
      workloadSize: oneOf(WORKLOAD_SIZES).optional(),
      /** Compute type (default `CPU`). */
      workloadType: oneOf(WORKLOAD_TYPES).optional(),
      /** Scale to zero when idle (default true). */
      scaleToZero: z.boolean({ error: "must be true or false" }).optional(),
      /** Environment variables of the served model; the spec's set replaces the served one. */
      environmentVars: z.record(z.string(), text()).optional(),
      /** Endpoint tags set (added or changed); tags not listed are left alone. */
      tags: z.record(z.string().min(1), text()).optional(),
      /** AI gateway inference table: requests and responses go to `catalog.schema.<prefix>_payload`. */
      inferenceTable: z
        .strictObject({
          catalog_name: text(),
          schema_name: text(),
          table_name_prefix: z.string().min(1).optional(),
        })
        .optional(),
    }),
    traffic: z
      .strictObject({
        /** When the endpoint already serves another version, canary the new one with this share instead of replacing it. */
        canaryPercent: z
          .number({ error: "must be a whole number between 1 and 99" })
          .int("must be a whole number between 1 and 99")
          .min(1, "must be a whole number between 1 and 99")
          .max(99, "must be a whole number between 1 and 99")
          .optional(),
      })
      .optional(),
    /** Permissions on the endpoint and Unity Catalog grants on the model, converged like the rest. */
    access: access.optional(),
  },
  { error: "must be an object with notebook, cluster, model and endpoint" },
);

/** The whole life cycle, declared once: `plan()` shows what would change, `apply()` makes it so. */
export type LifecycleSpec = z.input<typeof LifecycleSpecSchema>;

/** Checks a spec; throws a ValidationError naming every bad field by its dotted path. */
export function parseLifecycleSpec(input: unknown): LifecycleSpec {
  const parsed = LifecycleSpecSchema.safeParse(input, { reportInput: true });
  if (parsed.success) return input as LifecycleSpec;
  throw new ValidationError("lifecycle spec", describeIssues(parsed.error.issues));
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    const at = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      const known = knownKeys(at);
      for (const key of issue.keys) {
        const near = closest(key, known);
        out.push({
          path: [...at, key].join("."),
          message: near ? `unknown key; did you mean ${near}?` : `unknown key (known: ${known.join(", ")})`,
        });
      }
      continue;
    }
    let message = issue.message.replace(/^Invalid input: /, "");
    if (issue.code === "invalid_type" && /received undefined$/.test(message)) message = "is required";
    if (issue.code === "invalid_value" && "values" in issue) {
      const given = (issue as { input?: unknown }).input;
      const near = typeof given === "string" ? closest(given, issue.values.map(String)) : undefined;
      if (near) message += `; did you mean ${near}?`;
    }
    out.push({ path: at.join("."), message });
  }
  return out;
}

/** Keys the spec knows at a path (a new cluster's Clusters API fields under `cluster`). */
function knownKeys(path: string[]): string[] {
  let schema: z.core.$ZodType | undefined = LifecycleSpecSchema;
  if (path[0] === "cluster") {
    schema = newCluster;
    path = path.slice(1);
    if (path.length === 0) return [...Object.keys(newCluster.shape), "clusterId"];
  }
  for (const segment of path) {
    const shape = objectShape(schema);
    schema = shape?.[segment];
  }
  return Object.keys(objectShape(schema) ?? {});
}

function objectShape(schema: z.core.$ZodType | undefined): Record<string, z.core.$ZodType> | undefined {
  let s = schema;
  while (s) {
    const def = s._zod.def as unknown as {
      type: string;
      innerType?: z.core.$ZodType;
      shape?: Record<string, z.core.$ZodType>;
      options?: z.core.$ZodType[];
    };
    if (def.type === "object") return def.shape;
    if (def.type === "optional" || def.type === "nullable") s = def.innerType;
    else if (def.type === "union") s = def.options?.find((o) => objectShape(o));
    else return undefined;
  }
  return undefined;
}

/** The known word a typo most likely meant: same letters ignoring case, or a couple of edits away. */
export function closest(word: string, known: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  // A prefix of several known words names none of them.
  if (known.filter((k) => k.toLowerCase().startsWith(lower)).length > 1) return undefined;
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(lower, key.toLowerCase());
    if (distance <= Math.max(1, Math.floor(key.length / 3)) && (!best || distance < best.distance))
      best = { key, distance };
  }
  return best?.key;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
