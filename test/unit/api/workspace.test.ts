import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  isValidationError,
  ObjectInfoSchema,
  WorkspaceExportResponseSchema,
  WorkspaceListResponseSchema,
  WorkspacePathRequestSchema,
} from "../../../src/index.js";
import { realPayload, realPayloads } from "../../fixtures.js";
import { rejection } from "../../helpers.js";
import { api, client, unmatchedRequests, useNock } from "./compute-helpers.js";

useNock();

const dir = mkdtempSync(join(tmpdir(), "brickml-ws-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("workspace requests", () => {
  it("imports, exports, creates folders, deletes and reads status at the 2.0 paths", async () => {
    const exported = realPayload("workspace.export.response.1.json").body;
    api()
      .post("/api/2.0/workspace/import", {
        path: "/Shared/nb",
        content: b64("print(1)"),
        format: "SOURCE",
        language: "PYTHON",
        overwrite: true,
      })
      .reply(200, {})
      .get("/api/2.0/workspace/export")
      .query({ path: "/Shared/nb", format: "SOURCE" })
      .reply(200, exported)
      .post("/api/2.0/workspace/mkdirs", { path: "/Shared/a/b" })
      .reply(200, {})
      .post("/api/2.0/workspace/delete", { path: "/Shared/a", recursive: true })
      .reply(200, {})
      .get("/api/2.0/workspace/get-status")
      .query({ path: "/Shared/nb" })
      .reply(200, { path: "/Shared/nb", object_type: "NOTEBOOK", language: "PYTHON", object_id: 5 });
    const db = client();
    await db.workspace.import({
      path: "/Shared/nb",
      content: b64("print(1)"),
      format: "SOURCE",
      language: "PYTHON",
      overwrite: true,
    });
    const out = await db.workspace.export({ path: "/Shared/nb", format: "SOURCE" });
    expect(Buffer.from(out.content!, "base64").toString()).toBe("// Databricks notebook source\n1+1");
    await db.workspace.mkdirs({ path: "/Shared/a/b" });
    await db.workspace.delete({ path: "/Shared/a", recursive: true });
    expect((await db.workspace.getStatus({ path: "/Shared/nb" })).object_id).toBe(5);
  });

  it("rejects bad imports, including content over 10 MB, before sending anything", async () => {
    const db = client();
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => db.workspace.import({ path: "relative/nb", content: b64("x") }), "path"],
      [() => db.workspace.import({ path: "/nb", content: "not base64!" }), "base64"],
      [() => db.workspace.import({ path: "/nb", content: "A".repeat(14_000_004) }), "10 MB"],
      [
        () => db.workspace.import({ path: "/a.dbc", content: b64("x"), format: "DBC", overwrite: true }),
        "DBC",
      ],
      [() => db.workspace.getStatus({ path: "" }), "path"],
    ];
    for (const [call, text] of cases) {
      const err = await rejection(call());
      expect(isValidationError(err), text).toBe(true);
      expect(err.message).toContain(text);
    }
    expect(unmatchedRequests()).toBe(0);
  });

  it("lists one folder and walks a tree", async () => {
    api()
      .get("/api/2.0/workspace/list")
      .query({ path: "/p" })
      .reply(200, {
        objects: [
          { path: "/p/a", object_type: "DIRECTORY" },
          { path: "/p/nb", object_type: "NOTEBOOK" },
        ],
      })
      .get("/api/2.0/workspace/list")
      .query({ path: "/p/a" })
      .reply(200, { objects: [{ path: "/p/a/b", object_type: "DIRECTORY" }] })
      .get("/api/2.0/workspace/list")
      .query({ path: "/p/a/b" })
      .reply(200, {});
    const seen: string[] = [];
    for await (const o of client().workspace.walk({ path: "/p" })) seen.push(o.path!);
    expect(seen).toEqual(["/p/a", "/p/a/b", "/p/nb"]);

    const fixture = realPayload("workspace.list.response.1.json").body;
    api()
      .get("/api/2.0/workspace/list")
      .query({ path: "/test-dir", notebooks_modified_after: "5" })
      .reply(200, fixture);
    const listed = await client()
      .workspace.list({ path: "/test-dir", notebooks_modified_after: 5 })
      .toArray({ limit: 5 });
    expect(listed).toEqual(fixture.objects);
  });

  it("uploads local notebooks with the format and language of their extension", async () => {
    const files: Array<[string, object]> = [
      ["train.py", { format: "SOURCE", language: "PYTHON" }],
      ["query.sql", { format: "SOURCE", language: "SQL" }],
      ["job.scala", { format: "SOURCE", language: "SCALA" }],
      ["plot.R", { format: "SOURCE", language: "R" }],
      ["explore.ipynb", { format: "JUPYTER" }],
      ["bundle.dbc", { format: "DBC" }],
    ];
    for (const [name, expected] of files) {
      writeFileSync(join(dir, name), `content of ${name}`);
      const target = `/Shared/${name.split(".")[0]}`;
      api()
        .post("/api/2.0/workspace/import", { path: target, content: b64(`content of ${name}`), ...expected })
        .reply(200, {})
        .get("/api/2.0/workspace/get-status")
        .query({ path: target })
        .reply(200, { path: target, object_type: "NOTEBOOK" });
      const info = await client().workspace.uploadNotebook(join(dir, name), target);
      expect(info.path).toBe(target);
    }
    api()
      .post("/api/2.0/workspace/import", (b) => b.overwrite === true)
      .reply(200, {})
      .get("/api/2.0/workspace/get-status")
      .query(true)
      .reply(200, {});
    await client().workspace.uploadNotebook(join(dir, "train.py"), "/Shared/train", { overwrite: true });
  });

  it("refuses files it cannot classify or that are too large", async () => {
    writeFileSync(join(dir, "notes.txt"), "x");
    const unknown = await rejection(client().workspace.uploadNotebook(join(dir, "notes.txt"), "/Shared/n"));
    expect(isValidationError(unknown)).toBe(true);
    writeFileSync(join(dir, "big.py"), Buffer.alloc(10 * 1024 * 1024 + 1));
    const big = await rejection(client().workspace.uploadNotebook(join(dir, "big.py"), "/Shared/big"));
    expect(big.message).toContain("10 MB");
    expect(unmatchedRequests()).toBe(0);
  });
});

describe("workspace fixtures", () => {
  it("accepts every real request body", () => {
    for (const p of realPayloads("workspace.").filter((p) => p.kind === "request")) {
      expect(WorkspacePathRequestSchema.safeParse(p.body).success, p.file).toBe(true);
    }
  });

  it("parses every real response body without losing a field", () => {
    const schemas: Record<string, any> = {
      "workspace.export": WorkspaceExportResponseSchema,
      "workspace.get-status": ObjectInfoSchema,
      "workspace.list": WorkspaceListResponseSchema,
    };
    for (const p of realPayloads("workspace.").filter((p) => p.kind === "response")) {
      const parsed = schemas[p.file.split(".").slice(0, 2).join(".")].safeParse(p.body);
      expect(parsed.success, p.file).toBe(true);
      expect(parsed.data, p.file).toEqual(p.body);
    }
  });
});
