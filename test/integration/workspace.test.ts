import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlreadyExists, isNotFound, isValidationError } from "../../src/index.js";
import { realPayloads } from "../fixtures.js";
import { rejection } from "../helpers.js";
import { b64, startWorkspace, unb64, type Workspace } from "./compute-helpers.js";

describe("workspace against the emulator", () => {
  let ws: Workspace;
  const dir = mkdtempSync(join(tmpdir(), "brickml-ws-int-"));
  beforeAll(async () => {
    ws = await startWorkspace();
  });
  afterAll(async () => {
    await ws.emu.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates folders with their parents and reads them back", async () => {
    const { db } = ws;
    await db.workspace.mkdirs({ path: "/Users/me@example.com/project/nested" });
    await db.workspace.mkdirs({ path: "/Users/me@example.com/project/nested" });
    const status = await db.workspace.getStatus({ path: "/Users/me@example.com/project" });
    expect(status).toMatchObject({ object_type: "DIRECTORY", path: "/Users/me@example.com/project" });
    expect(status.object_id).toBeGreaterThan(0);
    // The /Workspace prefix names the same tree.
    const aliased = await db.workspace.getStatus({ path: "/Workspace/Users/me@example.com/project" });
    expect(aliased.object_id).toBe(status.object_id);
    const root = await db.workspace.list({ path: "/" }).toArray({ limit: 10 });
    expect(root.map((o) => o.path)).toEqual(["/Shared", "/Users"]);
  });

  it("imports notebooks in each format and exports them again", async () => {
    const { db } = ws;
    await db.workspace.mkdirs({ path: "/Shared/formats" });
    await db.workspace.import({
      path: "/Shared/formats/py",
      content: b64("# Databricks notebook source\nx = 1\n\n# COMMAND ----------\n\nprint(x)"),
      format: "SOURCE",
      language: "PYTHON",
    });
    const py = await db.workspace.getStatus({ path: "/Shared/formats/py" });
    expect(py).toMatchObject({ object_type: "NOTEBOOK", language: "PYTHON" });
    expect(py.created_at).toBe(py.modified_at);
    const source = await db.workspace.export({ path: "/Shared/formats/py" });
    expect(source.file_type).toBe("py");
    expect(unb64(source.content)).toBe(
      "# Databricks notebook source\nx = 1\n\n# COMMAND ----------\n\nprint(x)",
    );

    const jupyter = JSON.parse(
      unb64((await db.workspace.export({ path: "/Shared/formats/py", format: "JUPYTER" })).content),
    );
    expect(jupyter.cells.map((c: any) => c.source.join(""))).toEqual(["x = 1", "print(x)"]);
    await db.workspace.import({
      path: "/Shared/formats/from-ipynb",
      content: b64(JSON.stringify(jupyter)),
      format: "JUPYTER",
    });
    const back = await db.workspace.export({ path: "/Shared/formats/from-ipynb", format: "SOURCE" });
    expect(unb64(back.content)).toContain("x = 1\n\n# COMMAND ----------\n\nprint(x)");

    const html = await db.workspace.export({ path: "/Shared/formats/py", format: "HTML" });
    expect(html.file_type).toBe("html");
    await db.workspace.import({ path: "/Shared/formats/from-html", content: html.content!, format: "HTML" });
    expect((await db.workspace.getStatus({ path: "/Shared/formats/from-html" })).object_type).toBe(
      "NOTEBOOK",
    );

    await db.workspace.import({
      path: "/Shared/formats/query.sql",
      content: b64("-- Databricks notebook source\nSELECT 1"),
      format: "AUTO",
    });
    expect(await db.workspace.getStatus({ path: "/Shared/formats/query" })).toMatchObject({
      object_type: "NOTEBOOK",
      language: "SQL",
    });
    await db.workspace.import({ path: "/Shared/formats/data.csv", content: b64("a,b\n1,2"), format: "AUTO" });
    const file = await db.workspace.getStatus({ path: "/Shared/formats/data.csv" });
    expect(file).toMatchObject({ object_type: "FILE", size: 7 });
    expect(file.language).toBeUndefined();
    expect(
      unb64((await db.workspace.export({ path: "/Shared/formats/data.csv", format: "RAW" })).content),
    ).toBe("a,b\n1,2");
  });

  it("answers conflicts, missing parents and missing paths like the real service", async () => {
    const { db } = ws;
    const nb = {
      path: "/Shared/dup",
      content: b64("1"),
      format: "SOURCE" as const,
      language: "PYTHON" as const,
    };
    await db.workspace.import(nb);
    const dup = await rejection(db.workspace.import(nb));
    expect(isAlreadyExists(dup)).toBe(true);
    expect(dup.errorCode).toBe("RESOURCE_ALREADY_EXISTS");
    await db.workspace.import({ ...nb, content: b64("2"), overwrite: true });
    expect(unb64((await db.workspace.export({ path: "/Shared/dup" })).content)).toContain("2");

    const orphan = await rejection(db.workspace.import({ ...nb, path: "/Shared/no/such/nb" }));
    expect(isNotFound(orphan)).toBe(true);
    expect(orphan.message).toBe("The parent folder (/Shared/no/such) does not exist.");

    const missing = await rejection(db.workspace.getStatus({ path: "/Shared/nothing" }));
    expect(isNotFound(missing)).toBe(true);
    expect(missing.message).toBe("Path (/Shared/nothing) doesn't exist.");
    expect(isNotFound(await rejection(db.workspace.list({ path: "/Shared/nothing" }).firstPage()))).toBe(
      true,
    );
    expect(isNotFound(await rejection(db.workspace.export({ path: "/Shared/nothing" })))).toBe(true);

    const onFile = await rejection(db.workspace.mkdirs({ path: "/Shared/dup/sub" }));
    expect(isAlreadyExists(onFile)).toBe(true);
  });

  it("deletes objects, and folders only when asked to recurse", async () => {
    const { db } = ws;
    await db.workspace.mkdirs({ path: "/Shared/tree/a/b" });
    await db.workspace.import({
      path: "/Shared/tree/a/b/nb",
      content: b64("1"),
      format: "SOURCE",
      language: "R",
    });
    const walked: string[] = [];
    for await (const o of db.workspace.walk({ path: "/Shared/tree" }))
      walked.push(`${o.object_type} ${o.path}`);
    expect(walked).toEqual([
      "DIRECTORY /Shared/tree/a",
      "DIRECTORY /Shared/tree/a/b",
      "NOTEBOOK /Shared/tree/a/b/nb",
    ]);

    const notEmpty = await rejection(db.workspace.delete({ path: "/Shared/tree" }));
    expect(notEmpty.errorCode).toBe("DIRECTORY_NOT_EMPTY");
    expect(notEmpty.message).toBe("Folder (/Shared/tree) is not empty.");
    await db.workspace.delete({ path: "/Shared/tree/a/b/nb" });
    await db.workspace.delete({ path: "/Shared/tree", recursive: true });
    expect(isNotFound(await rejection(db.workspace.getStatus({ path: "/Shared/tree/a" })))).toBe(true);
    expect(isNotFound(await rejection(db.workspace.delete({ path: "/Shared/tree" })))).toBe(true);
  });

  it("enforces the 10 MB limit on the client and, for other clients, on the server", async () => {
    const { db } = ws;
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 97).toString("base64");
    const before = ws.emu.requestCount();
    const local = await rejection(db.workspace.import({ path: "/Shared/big", content: big, format: "RAW" }));
    expect(isValidationError(local)).toBe(true);
    expect(ws.emu.requestCount()).toBe(before);
    // A client without the check gets the real error code.
    const remote = await rejection(
      db.request({
        method: "POST",
        path: "/api/2.0/workspace/import",
        body: { path: "/Shared/big", content: big, format: "RAW" },
      }),
    );
    expect(remote.statusCode).toBe(400);
    expect(remote.errorCode).toBe("MAX_NOTEBOOK_SIZE_EXCEEDED");
    expect(remote.message).toContain("exceeded max size (10485760 bytes)");
  });

  it("uploads local notebooks by extension", async () => {
    const { db } = ws;
    await db.workspace.mkdirs({ path: "/Shared/up" });
    writeFileSync(join(dir, "train.py"), "import mlflow\nprint('train')\n");
    const py = await db.workspace.uploadNotebook(join(dir, "train.py"), "/Shared/up/train");
    expect(py).toMatchObject({ path: "/Shared/up/train", object_type: "NOTEBOOK", language: "PYTHON" });
    writeFileSync(
      join(dir, "eda.ipynb"),
      JSON.stringify({
        cells: [
          { cell_type: "markdown", source: ["# EDA"] },
          { cell_type: "code", source: ["df = 1"] },
        ],
        metadata: { language_info: { name: "python" } },
        nbformat: 4,
        nbformat_minor: 5,
      }),
    );
    const nb = await db.workspace.uploadNotebook(join(dir, "eda.ipynb"), "/Shared/up/eda");
    expect(nb.object_type).toBe("NOTEBOOK");
    const source = unb64((await db.workspace.export({ path: "/Shared/up/eda" })).content);
    expect(source).toContain("# MAGIC %md\n# MAGIC # EDA");
    expect(source).toContain("df = 1");
    const again = await rejection(db.workspace.uploadNotebook(join(dir, "train.py"), "/Shared/up/train"));
    expect(isAlreadyExists(again)).toBe(true);
    await db.workspace.uploadNotebook(join(dir, "train.py"), "/Shared/up/train", { overwrite: true });
  });

  it("gives other emulator services the notebook source", async () => {
    await ws.db.workspace.import({
      path: "/Shared/source",
      content: b64("# Databricks notebook source\nprint(1)"),
      format: "SOURCE",
      language: "PYTHON",
    });
    const workspace = ws.emu.context.service<any>("workspace");
    expect(workspace.getNotebook("/Shared/source")).toEqual({ language: "PYTHON", content: "print(1)" });
    expect(workspace.getNotebook("/Workspace/Shared/source")).toEqual({
      language: "PYTHON",
      content: "print(1)",
    });
    expect(workspace.getNotebook("/Shared/missing")).toBeUndefined();
  });

  it("accepts every real request body", async () => {
    for (const p of realPayloads("workspace.").filter((p) => p.kind === "request")) {
      const [method, path] = p.api.split(" ");
      await ws.db.request({ method: method as "POST", path: path!, body: p.body });
    }
    expect((await ws.db.workspace.getStatus({ path: "/Users/[USERNAME]/[UNIQUE_NAME]" })).object_type).toBe(
      "DIRECTORY",
    );
  });
});
