import { z } from "zod";
import { type FieldIssue, UnexpectedResponseError, ValidationError } from "./errors.js";

/** Validates `value` against `schema`; throws a ValidationError naming each bad field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(what, issuesOf(result.error));
}

export function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
}

/** Where the transport keeps a response's request id on its body (never enumerable). */
export const REQUEST_ID = Symbol.for("brickml.requestId");

/** Parsing copies the body; the copy keeps the request id `requestIdOf` reads. */
function keepRequestId<T>(parsed: T, raw: unknown): T {
  const id = raw && typeof raw === "object" ? (raw as Record<symbol, unknown>)[REQUEST_ID] : undefined;
  if (
    id !== undefined &&
    parsed &&
    typeof parsed === "object" &&
    parsed !== raw &&
    !Object.isFrozen(parsed)
  ) {
    Object.defineProperty(parsed, REQUEST_ID, { value: id, enumerable: false });
  }
  return parsed;
}

/**
 * Responses are parsed leniently: a newer server may add fields or enum values, and that must
 * never break an older client. On mismatch the raw body is returned unchanged.
 */
export function parseLenient<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  return (result.success ? keepRequestId(result.data, value) : value) as z.output<S>;
}

/**
 * Parses a response whose fields the client itself goes on to read (an id to poll, a version to
 * upload to). Unknown fields and enum values still pass, but a needed field that is missing or
 * of another type is an UnexpectedResponseError, rather than a TypeError further on.
 */
export function parseNeeded<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return keepRequestId(result.data, value);
  throw new UnexpectedResponseError(what, issuesOf(result.error));
}

/** A string enum that also accepts values this client does not know yet. */
export function openEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.union([z.enum(values), z.string()]) as unknown as z.ZodType<T[number] | (string & {})>;
}

/**
 * A request field the API documents as a closed set: any other value is refused before sending,
 * with the allowed values listed. Typed like `openEnum`, so code holding a plain string compiles.
 */
export function closedEnum<const T extends readonly [string, ...string[]]>(values: T) {
  const allowed: readonly string[] = values;
  return z
    .string()
    .refine((v) => allowed.includes(v), `must be one of ${values.join(", ")}`) as unknown as z.ZodType<
    T[number] | (string & {})
  >;
}

/** A non-empty string that cannot escape its URL path segment. */
export const pathSegment = z
  .string()
  .min(1, "must not be empty")
  .refine((s) => s !== "." && s !== "..", "must not be '.' or '..'");

/**
 * An int64 field of a response, as its exact decimal string: the transport reads integers beyond
 * 2^53 − 1 as strings, and smaller ones are turned into strings here, so the type is one.
 */
export const int64 = z.union([z.string(), z.number()]).transform(String);
