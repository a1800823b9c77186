import { describe, expect, it } from "vitest";
import { parseFullName, ucNameProblem } from "../../../src/api/uc-names.js";

describe("Unity Catalog names", () => {
  it("accepts the characters Unity Catalog allows", () => {
    for (const ok of ["main", "my-model", "Model_2", "ünïcode", "a`b", "x".repeat(255)]) {
      expect(ucNameProblem(ok)).toBeUndefined();
    }
  });

  it("refuses empty, long, dotted, spaced, slashed, percent and control-character names", () => {
    expect(ucNameProblem("")).toBe("must not be empty");
    expect(ucNameProblem("x".repeat(256))).toBe("must be at most 255 characters");
    expect(ucNameProblem("a.b")).toBe('must not contain "."');
    expect(ucNameProblem("a b")).toBe('must not contain " "');
    expect(ucNameProblem("a/b")).toBe('must not contain "/"');
    expect(ucNameProblem("a%2Fb")).toBe('must not contain "%"');
    expect(ucNameProblem("a\tb")).toBe("must not contain control characters");
    expect(ucNameProblem("a\u007fb")).toBe("must not contain control characters");
  });

  it("splits three-level names and refuses anything else", () => {
    expect(parseFullName("main.ml.churn")).toEqual({ catalog: "main", schema: "ml", model: "churn" });
    for (const bad of ["main.churn", "a.b.c.d", "main..churn", "main.ml.", "main.ml./x", ".."]) {
      expect(parseFullName(bad)).toBeUndefined();
    }
  });
});
