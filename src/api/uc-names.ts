import { z } from "zod";

/**
 * Unity Catalog object names: at most 255 characters, none of period, space, forward slash, ASCII
 * control characters or DEL. We also refuse `%`, so a name can never smuggle an encoded
 * character into a request path.
 */
export function ucNameProblem(name: string): string | undefined {
  if (name.length === 0) return "must not be empty";
  if (name.length > 255) return "must be at most 255 characters";
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(name)) {
    return "must be well-formed Unicode (it holds a lone surrogate)";
  }
  for (const ch of name) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) return "must not contain control characters";
    if (ch === "." || ch === " " || ch === "/" || ch === "%") {
      return `must not contain ${JSON.stringify(ch)}`;
    }
  }
  return undefined;
}

/** One part of a three-level name (catalog, schema, model) or an alias. */
export const ucName = z.string().superRefine((s, ctx) => {
  const problem = ucNameProblem(s);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

export interface UcFullName {
  catalog: string;
  schema: string;
  model: string;
}

/** Splits `catalog.schema.model`; undefined when it is not exactly three valid parts. */
export function parseFullName(fullName: string): UcFullName | undefined {
  const parts = fullName.split(".");
  if (parts.length !== 3 || parts.some((p) => ucNameProblem(p) !== undefined)) return undefined;
  const [catalog, schema, model] = parts as [string, string, string];
  return { catalog, schema, model };
}

/** A full model name `catalog.schema.model`, checked part by part. */
export const ucFullName = z.string().superRefine((s, ctx) => {
  const parts = s.split(".");
  if (parts.length !== 3) {
    ctx.addIssue({
      code: "custom",
      message: `must be a three-level name catalog.schema.model, got ${parts.length} part(s)`,
    });
    return;
  }
  ["catalog", "schema", "model"].forEach((label, i) => {
    const problem = ucNameProblem(parts[i]!);
    if (problem) ctx.addIssue({ code: "custom", message: `${label} name ${problem}` });
  });
});

/** Model version numbers: integers in Unity Catalog, strings in the MLflow APIs; users see numbers. */
export const versionNumber = z.number().int().positive();

/** Reads a version as either wire type; used where responses carry strings. */
export const wireVersion = z.union([
  z.number(),
  z
    .string()
    .regex(/^\d+$/)
    .transform((s) => Number(s)),
]);
