import { describe, expect, it } from "vitest";
import { csvColumns, isValidationError } from "../../../src/index.js";

describe("csvColumns", () => {
  it("reads a header and rows, numbers as numbers, empty fields as null", () => {
    expect(csvColumns('tenure,plan,score\r\n1,basic,0.5\n2.5,pro,\n,"a, ""quoted"" one",1e3\n')).toEqual({
      tenure: [1, 2.5, null],
      plan: ["basic", "pro", 'a, "quoted" one'],
      score: [0.5, null, 1000],
    });
  });

  it("keeps a column as text when one value is not a number, and a missing field as null", () => {
    expect(csvColumns("\uFEFFid,x\n007,1\nA1\n")).toEqual({ id: ["007", "A1"], x: [1, null] });
  });

  it("refuses a missing header, repeated columns and an unclosed quote", () => {
    for (const bad of ["", "a,a\n1,2", 'a\n"open']) {
      let error: unknown;
      try {
        csvColumns(bad);
      } catch (e) {
        error = e;
      }
      expect(isValidationError(error)).toBe(true);
    }
  });
});
