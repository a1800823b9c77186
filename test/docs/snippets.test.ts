import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { extractSnippets } from "./snippets.js";

describe("extractSnippets", () => {
  it("takes ts blocks with their line and marker, and leaves other languages alone", () => {
    const md = [
      "# T",
      "```ts",
      "const a = 1;",
      "```",
      "<!-- snippet: partial -->",
      "```ts",
      "a;",
      "```",
      "```sh",
      "npm test",
      "```",
      "<!-- snippet: run -->",
      "```typescript",
      "console.log(1);",
      "```",
    ].join("\n");
    expect(extractSnippets("x.md", md)).toEqual([
      { file: "x.md", line: 3, code: "const a = 1;", mode: "check" },
      { file: "x.md", line: 7, code: "a;", mode: "partial" },
      { file: "x.md", line: 14, code: "console.log(1);", mode: "run" },
    ]);
  });

  it("refuses a misspelt marker and an unclosed block, naming the line", () => {
    expect(() => extractSnippets("x.md", "<!-- snippet: parital -->\n```ts\na\n```")).toThrow(
      'x.md:1: unknown snippet marker "parital" (use partial or run)',
    );
    expect(() => extractSnippets("x.md", "text\n```ts\na")).toThrow("x.md:2: code block never closed");
  });
});

describe("README links", () => {
  it("are absolute, so they work on the npm package page, which ships no docs/", () => {
    const readme = readFileSync(resolve(import.meta.dirname, "../../README.md"), "utf8");
    const targets = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!);
    expect(targets.length).toBeGreaterThan(10);
    expect(targets.filter((t) => !/^https:\/\//.test(t))).toEqual([]);
  });
});
