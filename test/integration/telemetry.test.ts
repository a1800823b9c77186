import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SpanKind } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import nock from "nock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { routeTemplate } from "../../src/core/telemetry.js";
import { type Emulator, type JobsEmulatorExports, startEmulator } from "../../src/emulator/index.js";
import { Databricks, type LifecycleSpec } from "../../src/index.js";
import { parentOf, registerOtel } from "../otel.js";

const CLUSTER = { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };
const STEPS = ["upload", "train", "register", "alias", "deploy"];

function spec(name: string, over: Partial<LifecycleSpec> = {}): LifecycleSpec {
  return {
    notebook: {
      path: `/Shared/otel/${name}`,
      source: { content: "# Databricks notebook source\nimport mlflow\n" },
    },
    cluster: CLUSTER,
    parameters: { C: "1.0" },
    model: { name: `main.otel.${name}` },
    endpoint: { name: `otel-${name}` },
    ...over,
  };
}

describe("OpenTelemetry traces and metrics", () => {
  const otel = registerOtel();
  let emu: Emulator;
  let db: Databricks;
  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 5000 });
    db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const jobs = emu.context.service<JobsEmulatorExports>("jobs")!;
    jobs.scriptNotebook("/Shared/otel/churn", {
      durationMs: 30_000,
      mlflow: { model: { coefficients: { intercept: 1, weights: { x: 1 } } } },
    });
  });
  afterAll(async () => {
    await emu.close();
    await otel.shutdown();
  });
  beforeEach(() => otel.reset());

  it("a life cycle is one trace: lifecycle → steps → waits → requests, each step with the ids it touched", async () => {
    const res = await db.lifecycle(spec("churn")).apply();
    const spans = otel.spans();
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const children = (s: ReadableSpan) => spans.filter((c) => parentOf(c) === s.spanContext().spanId);

    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    const roots = spans.filter((s) => !parentOf(s));
    expect(roots.map((s) => s.name)).toEqual(["lifecycle"]);
    const root = roots[0]!;
    expect(root.attributes).toMatchObject({
      "brickml.model.name": "main.otel.churn",
      "brickml.endpoint.name": "otel-churn",
      "brickml.run.id": res.run.runId,
      "brickml.model.version": res.version.version,
    });
    // Every span hangs off the tree (no orphan whose parent was never exported).
    for (const s of spans) if (s !== root) expect(byId.has(parentOf(s)!)).toBe(true);

    const steps = children(root).filter((s) => s.kind === SpanKind.INTERNAL);
    expect(steps.map((s) => s.name)).toEqual(STEPS);
    const step = (name: string) => steps.find((s) => s.name === name)!;
    expect(step("train").attributes["brickml.run.id"]).toBe(res.run.runId);
    expect(step("register").attributes).toMatchObject({
      "brickml.run.id": res.run.runId,
      "brickml.model.name": "main.otel.churn",
      "brickml.model.version": res.version.version,
    });
    const served = await res.endpoint.refresh();
    expect(step("deploy").attributes).toMatchObject({
      "brickml.endpoint.name": "otel-churn",
      "brickml.endpoint.config_version": served.config?.config_version,
    });
    // The register step nests no second `register` span from registerModel: one span per step.
    expect(spans.filter((s) => s.name === "register")).toHaveLength(1);

    // Waits: under their step, one event per poll, the final state, requests as children.
    const trainWait = children(step("train")).find((s) => s.name === "wait")!;
    expect(trainWait.attributes["brickml.wait.for"]).toContain(String(res.run.runId));
    const polls = trainWait.events.filter((e) => e.name === "poll");
    expect(polls.length).toBe(trainWait.attributes["brickml.wait.polls"]);
    expect(polls.length).toBeGreaterThan(1);
    expect(trainWait.attributes["brickml.wait.final_state"]).toBe(
      polls.at(-1)!.attributes!["brickml.wait.state"],
    );
    expect(String(trainWait.attributes["brickml.wait.final_state"])).toMatch(/TERMINATED/);
    const pollRequests = children(trainWait);
    expect(pollRequests.length).toBe(polls.length);
    expect(
      pollRequests.every((s) => s.name === "GET /api/2.2/jobs/runs/get" || s.name.startsWith("GET ")),
    ).toBe(true);
    expect(children(step("deploy")).some((s) => s.name === "wait")).toBe(true);

    // Requests: CLIENT spans following the HTTP conventions.
    const requests = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(requests.length).toBeGreaterThan(10);
    const host = new URL(emu.url);
    for (const r of requests) {
      expect(r.attributes["http.request.method"]).toMatch(/^(GET|POST|PUT|PATCH|DELETE|HEAD)$/);
      expect(r.attributes["server.address"]).toBe(host.hostname);
      expect(r.attributes["server.port"]).toBe(Number(host.port));
      expect(r.attributes["url.template"]).toMatch(/^\//);
      expect(r.name).toBe(`${r.attributes["http.request.method"]} ${r.attributes["url.template"]}`);
      expect(typeof r.attributes["http.response.status_code"]).toBe("number");
      expect(r.attributes["brickml.http.attempt"]).toBe(1);
    }
    // The endpoint's name is a parameter of its routes, not part of the template.
    const endpointRoutes = requests
      .map((r) => String(r.attributes["url.template"]))
      .filter((t) => t.includes("serving-endpoints/"));
    expect(endpointRoutes.length).toBeGreaterThan(0);
    for (const t of endpointRoutes) expect(t).not.toContain("otel-churn");
    // Not-found answers of the first read are failed requests with their error code.
    const notFound = requests.find((r) => r.attributes["http.response.status_code"] === 404);
    expect(notFound?.attributes["error.type"]).toMatch(/NOT_FOUND|RESOURCE_DOES_NOT_EXIST/);

    const points = await otel.metrics();
    const count = points.get("brickml.client.requests")!;
    const total = count.reduce((n, p) => n + Number(p.value), 0);
    expect(total).toBeGreaterThanOrEqual(requests.length);
    expect(count.some((p) => p.attributes["brickml.service"] === "jobs")).toBe(true);
    expect(count.some((p) => p.attributes["brickml.service"] === "serving-endpoints")).toBe(true);
    expect(points.get("http.client.request.duration")!.length).toBe(count.length);
  }, 60_000);

  it("the fluent handles: version.deploy() and endpoint.promote() are spans with the model, endpoint and config", async () => {
    const version = await db.model("main.otel.churn").version(1);
    const endpoint = await version.deploy("otel-handles");
    const served = await endpoint.promote();
    const spans = otel.spans();
    const deploy = spans.find((s) => s.name === "deploy")!;
    expect(parentOf(deploy)).toBeUndefined();
    expect(deploy.attributes).toMatchObject({
      "brickml.model.name": "main.otel.churn",
      "brickml.model.version": 1,
      "brickml.endpoint.name": "otel-handles",
    });
    expect(spans.some((s) => s.name === "wait" && parentOf(s) === deploy.spanContext().spanId)).toBe(true);
    const promote = spans.find((s) => s.name === "promote")!;
    expect(promote.attributes).toMatchObject({
      "brickml.endpoint.name": "otel-handles",
      "brickml.endpoint.config_version": served.config?.config_version,
    });
  }, 30_000);

  it("a retried request: one CLIENT span per attempt with resend count and reason, and a retry metric", async () => {
    const host = "https://retry.otel.example.com";
    const scope = nock(host)
      .get("/api/2.2/jobs/runs/get")
      .query(true)
      .reply(503, { error_code: "TEMPORARILY_UNAVAILABLE", message: "busy" })
      .get("/api/2.2/jobs/runs/get")
      .query(true)
      .reply(200, { run_id: 7, state: { life_cycle_state: "RUNNING" } });
    const client = new Databricks({
      host,
      token: "dapi-retry-token-0123456789",
      env: {},
      random: () => 0,
    });
    await client.jobs.getRun({ run_id: 7 });
    scope.done();
    const attempts = otel.spans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(attempts.map((s) => s.attributes["http.response.status_code"])).toEqual([503, 200]);
    expect(attempts[0]!.attributes["error.type"]).toBeDefined();
    expect(attempts[0]!.status.code).toBe(2);
    expect(attempts[1]!.attributes).toMatchObject({
      "brickml.http.attempt": 2,
      "http.request.resend_count": 1,
      "server.address": "retry.otel.example.com",
    });
    expect(attempts[1]!.attributes["brickml.retry.reason"]).toMatch(/503|unavailable/i);
    const retries = (await otel.metrics()).get("brickml.client.retries")!;
    expect(retries.find((p) => p.attributes["server.address"] === "retry.otel.example.com")?.value).toBe(1);
  });

  it("a failing step ends its span with an error and the error's code", async () => {
    const host = "https://fail.otel.example.com";
    nock(host)
      .get("/api/2.0/serving-endpoints/gone")
      .reply(404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" });
    const client = new Databricks({ host, token: "dapi-fail-token-0123456789", env: {} });
    await expect(client.endpoint("gone").promote()).rejects.toThrow();
    const promote = otel.spans().find((s) => s.name === "promote")!;
    expect(promote.status.code).toBe(2);
    expect(promote.attributes["error.type"]).toBe("NOT_FOUND");
    expect(promote.attributes["brickml.endpoint.name"]).toBe("gone");
  });
});

describe("url.template", () => {
  it("every parameterised path the clients build maps to a template without the parameter", () => {
    const dir = join(import.meta.dirname, "..", "..", "src", "api");
    const paths: string[] = [];
    const absolute = (p: string) => p.startsWith("/api/") || p.startsWith("/serving-endpoints/");
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const found = [...readFileSync(join(dir, file), "utf8").matchAll(/encodePath`([^`]*)`/g)].map((m) =>
        m[1]!.replace(/\$\{[^}]+\}/g, "PARAM.x-1"),
      );
      // A fragment (`/versions/${v}`) follows the file's own object path, or a model's.
      const object = found.find(absolute) ?? "/api/2.1/unity-catalog/models/PARAM.x-1";
      for (const path of found) paths.push(absolute(path) ? path : `${object}${path}`);
    }
    expect(paths.length).toBeGreaterThan(20);
    for (const p of paths) {
      const template = routeTemplate(p);
      expect(template, p).not.toContain("PARAM");
      expect(template, p).toMatch(/\{\w+\}/);
    }
  });

  it("keeps literal routes, drops the query, and gives no template for absolute URLs", () => {
    expect(routeTemplate("/api/2.2/jobs/runs/get?run_id=1")).toBe("/api/2.2/jobs/runs/get");
    expect(routeTemplate("/api/2.0/serving-endpoints")).toBe("/api/2.0/serving-endpoints");
    expect(routeTemplate("/api/2.0/fs/files/Volumes/main/x/secret.csv")).toBe("/api/2.0/fs/files{file_path}");
    expect(routeTemplate("/api/2.1/unity-catalog/models/main.s.m/versions/3")).toBe(
      "/api/2.1/unity-catalog/models/{full_name}/versions/{version}",
    );
    expect(routeTemplate("https://bucket.s3.amazonaws.com/x?X-Amz-Signature=abc")).toBeUndefined();
  });
});
