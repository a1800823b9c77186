import { describe, expect, it } from "vitest";
import { type ObservedAccess, planAccess } from "../../../src/workflows/lifecycle/plan.js";
import type { LifecycleSpec } from "../../../src/workflows/lifecycle/spec.js";

const BOB = "bob@example.com";
const SP = "6f1c2a0e-8d4b-4c1e-9a7f-0b3d5e2c1a90";

function spec(access: LifecycleSpec["access"]): LifecycleSpec {
  return {
    notebook: { path: "/Shared/x" },
    cluster: { clusterId: "c" },
    model: { name: "main.ml.m" },
    endpoint: { name: "ep" },
    access,
  };
}

const grant = (object: "endpoint" | "model", principal: string, level: string) => ({
  object,
  name: object === "endpoint" ? "ep" : "main.ml.m",
  principal,
  level,
});

describe("planAccess", () => {
  it("grants everything listed on objects that do not exist yet", () => {
    const step = planAccess(spec({ endpoint: { CAN_QUERY: [BOB, SP] }, model: { EXECUTE: ["group:g"] } }), {
      endpoint: undefined,
      model: undefined,
      keep: ["group:admins"],
    });
    expect(step.action).toBe("update");
    expect(step.access).toEqual({
      add: [
        grant("endpoint", BOB, "CAN_QUERY"),
        grant("endpoint", SP, "CAN_QUERY"),
        grant("model", "group:g", "EXECUTE"),
      ],
      revoke: [],
    });
  });

  it("revokes a listed level from unlisted principals, leaves unlisted levels, owners and admins alone", () => {
    const observed: ObservedAccess = {
      endpoint: [
        { principal: "alice@example.com", level: "CAN_MANAGE" }, // the creator
        { principal: "group:admins", level: "CAN_QUERY" },
        { principal: "carol@example.com", level: "CAN_QUERY" },
        { principal: "dave@example.com", level: "CAN_VIEW" }, // a level the spec does not list
        { principal: BOB, level: "CAN_QUERY" },
      ],
      model: [
        { principal: BOB, level: "EXECUTE" },
        { principal: BOB, level: "APPLY_TAG" },
        { principal: "carol@example.com", level: "EXECUTE" },
      ],
      keep: ["group:admins", "alice@example.com"],
    };
    const step = planAccess(
      spec({ endpoint: { CAN_QUERY: [BOB], CAN_MANAGE: [] }, model: { EXECUTE: [BOB] } }),
      observed,
    );
    expect(step.access).toEqual({
      add: [],
      revoke: [
        grant("endpoint", "carol@example.com", "CAN_QUERY"),
        grant("model", "carol@example.com", "EXECUTE"),
      ],
    });
    expect(step.changes).toEqual([
      "revoke CAN_QUERY on endpoint ep from carol@example.com",
      "revoke EXECUTE on model main.ml.m from carol@example.com",
    ]);
  });

  it("shows the level an endpoint principal loses when given another", () => {
    const step = planAccess(spec({ endpoint: { CAN_QUERY: [BOB] } }), {
      endpoint: [{ principal: BOB, level: "CAN_VIEW" }],
      model: undefined,
      keep: [],
    });
    expect(step.access).toEqual({
      add: [grant("endpoint", BOB, "CAN_QUERY")],
      revoke: [grant("endpoint", BOB, "CAN_VIEW")],
    });
  });

  it("plans no change when the grants match", () => {
    const step = planAccess(spec({ model: { EXECUTE: [BOB] } }), {
      endpoint: undefined,
      model: [{ principal: BOB, level: "EXECUTE" }],
      keep: [],
    });
    expect(step).toMatchObject({ action: "none", resource: "main.ml.m", reason: "grants match the spec" });
  });
});
