import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { Databricks, isValidationError } from "../../src/index.js";
import { rejection } from "../helpers.js";

/**
 * Request fields the API documents as a closed set: the client refuses any other value before
 * sending, listing the allowed ones, and the emulator refuses it too, as the service does.
 */
describe("closed sets", () => {
  let emu: Emulator;
  let db: Databricks;
  const content = Buffer.from("print(1)").toString("base64");
  const entity = { entity_name: "main.ml.churn", entity_version: "1", scale_to_zero_enabled: true };

  beforeAll(async () => {
    emu = await startEmulator({ manualClock: true });
    db = new Databricks({ host: emu.url, token: emu.token, env: {}, maxRetries: 0 });
  });
  afterAll(() => emu.close());

  it.each([
    [
      "workspace.import language",
      () => db.workspace.import({ path: "/Shared/x", content, format: "SOURCE", language: "COBOL" }),
      "language: must be one of PYTHON, SCALA, SQL, R",
    ],
    [
      "workspace.import format",
      () => db.workspace.import({ path: "/Shared/x", content, format: "PDF" }),
      "format: must be one of SOURCE, HTML, JUPYTER, DBC, R_MARKDOWN, AUTO, RAW",
    ],
    [
      "workspace.export format",
      () => db.workspace.export({ path: "/Shared/x", format: "PDF" }),
      "format: must be one of SOURCE",
    ],
    [
      "served entity workload_type",
      () =>
        db.servingEndpoints.create({
          name: "e",
          config: { served_entities: [{ ...entity, workload_type: "TPU" }] },
        }),
      "workload_type: must be one of CPU, GPU_SMALL, GPU_MEDIUM, GPU_LARGE, MULTIGPU_MEDIUM",
    ],
    [
      "AI gateway rate limit renewal_period",
      () =>
        db.servingEndpoints.putAiGateway({
          name: "e",
          rate_limits: [{ calls: 1, key: "user", renewal_period: "hour" }],
        }),
      "renewal_period: must be one of minute",
    ],
    [
      "runs/list run_type",
      () => db.jobs.listRuns({ run_type: "NIGHTLY" }).firstPage(),
      "run_type: must be one of JOB_RUN, WORKFLOW_RUN, SUBMIT_RUN",
    ],
    [
      "cluster events order",
      () => db.clusters.events({ cluster_id: "c", order: "UP" }).firstPage(),
      "order: must be one of ASC, DESC",
    ],
  ])("the client refuses a %s outside the set before sending", async (_, call, message) => {
    const before = emu.requestCount();
    const err = await rejection((async () => call())());
    expect(isValidationError(err)).toBe(true);
    expect(err.message).toContain(message);
    expect(emu.requestCount()).toBe(before);
  });

  it("the emulator refuses values outside the set with INVALID_PARAMETER_VALUE", async () => {
    const raw = (method: string, path: string, body?: unknown, query?: Record<string, string>) =>
      rejection(db.request({ method: method as "GET", path, body, ...(query ? { query } : {}) }));
    for (const err of [
      await raw("POST", "/api/2.0/workspace/import", {
        path: "/Shared/x",
        content,
        format: "SOURCE",
        language: "COBOL",
      }),
      await raw("GET", "/api/2.0/workspace/export", undefined, { path: "/Shared/x", format: "PDF" }),
      await raw("POST", "/api/2.0/serving-endpoints", {
        name: "tiny",
        config: { served_entities: [{ ...entity, workload_size: "Tiny" }] },
      }),
      await raw("POST", "/api/2.0/serving-endpoints", {
        name: "tpu",
        config: { served_entities: [{ ...entity, workload_type: "TPU" }] },
      }),
    ]) {
      expect(err.statusCode).toBe(400);
      expect(err.errorCode).toBe("INVALID_PARAMETER_VALUE");
    }
    const tiny = await raw("POST", "/api/2.0/serving-endpoints", {
      name: "tiny",
      config: { served_entities: [{ ...entity, workload_size: "Tiny" }] },
    });
    expect(tiny.message).toContain("use one of Small, Medium, Large");
  });

  it("a workload size outside Small/Medium/Large passes the client (workspaces may offer custom sizes)", async () => {
    // The emulated workspace has no custom sizes, so the service is the one to refuse it.
    const err = await rejection(
      db.servingEndpoints.create({
        name: "tiny",
        config: { served_entities: [{ ...entity, workload_size: "Tiny" }] },
      }),
    );
    expect(isValidationError(err)).toBe(false);
    expect(err.errorCode).toBe("INVALID_PARAMETER_VALUE");
  });
});
