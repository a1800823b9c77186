import { describe, expect, it } from "vitest";
import { z } from "zod";
import { openEnum, parseLenient, pathSegment, validate } from "../../../src/core/validation.js";
import { isValidationError, type ValidationError } from "../../../src/index.js";

const request = z.looseObject({
  cluster_name: z.string(),
  num_workers: z.number().int().min(0),
  spark_conf: z.record(z.string(), z.string()).optional(),
  tasks: z.array(z.looseObject({ task_key: pathSegment })).optional(),
});

describe("validate", () => {
  it("returns the value, keeping fields it does not know", () => {
    const out = validate(
      request,
      { cluster_name: "c", num_workers: 2, newer_field: true },
      "clusters.create request",
    );
    expect(out).toEqual({ cluster_name: "c", num_workers: 2, newer_field: true });
  });

  it("names every bad field path and what was expected", () => {
    let err: ValidationError | undefined;
    try {
      validate(
        request,
        { num_workers: "two", tasks: [{ task_key: "ok" }, { task_key: ".." }] },
        "clusters.create request",
      );
    } catch (e) {
      err = e as ValidationError;
    }
    expect(isValidationError(err)).toBe(true);
    expect(err!.issues.map((i) => i.path)).toEqual(["cluster_name", "num_workers", "tasks.1.task_key"]);
    expect(err!.message).toMatch(
      /^Invalid clusters\.create request: cluster_name: .*; num_workers: .*number.*; tasks\.1\.task_key: must not be '\.' or '\.\.'$/,
    );
  });
});

describe("lenient responses", () => {
  const response = z.looseObject({ state: openEnum(["PENDING", "RUNNING"]), num_workers: z.number() });

  it("keep unknown fields and unknown enum values", () => {
    const body = { state: "WARMING_UP", num_workers: 1, brand_new: { x: 1 } };
    expect(parseLenient(response, body)).toEqual(body);
  });

  it("return the body unchanged when it does not match", () => {
    const body = { state: "RUNNING", num_workers: "many" };
    expect(parseLenient(response, body)).toBe(body);
  });
});
