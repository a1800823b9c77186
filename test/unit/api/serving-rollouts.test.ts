import { describe, expect, it } from "vitest";
import {
  decodePrevious,
  defaultEntityName,
  encodePrevious,
  planCanary,
  planPromote,
  planRollback,
  planShift,
} from "../../../src/api/serving-rollouts.js";

const e1 = {
  name: "churn-1",
  entity_name: "main.ml.churn",
  entity_version: "1",
  workload_size: "Small",
  scale_to_zero_enabled: true,
  environment_vars: { KEY: "{{secrets/s/k}}" },
  creation_timestamp: 100,
};
const e2 = { ...e1, name: "churn-2", entity_version: "2", creation_timestamp: 200 };
const one = {
  served_entities: [e1],
  traffic_config: { routes: [{ served_entity_name: "churn-1", traffic_percentage: 100 }] },
};
const canary = {
  served_entities: [e1, e2],
  traffic_config: {
    routes: [
      { served_entity_name: "churn-1", traffic_percentage: 90 },
      { served_entity_name: "churn-2", traffic_percentage: 10 },
    ],
  },
};
const routes = (p: {
  traffic_config: { routes: Array<{ served_entity_name: string; traffic_percentage: number }> };
}) => Object.fromEntries(p.traffic_config.routes.map((r) => [r.served_entity_name, r.traffic_percentage]));

describe("rollout plans", () => {
  it("canary: stable keeps the rest, candidate inherits compute and environment", () => {
    const plan = planCanary(one, { entity_name: "main.ml.churn", entity_version: "2" }, 10);
    expect(routes(plan)).toEqual({ "churn-1": 90, "churn-2": 10 });
    expect(plan.served_entities[1]).toEqual({
      entity_name: "main.ml.churn",
      entity_version: "2",
      name: "churn-2",
      workload_size: "Small",
      scale_to_zero_enabled: true,
      environment_vars: { KEY: "{{secrets/s/k}}" },
    });
    // A second canary replaces the first, not the stable entity.
    const again = planCanary(canary, { entity_name: "main.ml.churn", entity_version: "3" }, 20);
    expect(routes(again)).toEqual({ "churn-1": 80, "churn-3": 20 });
    expect(() => planCanary(one, { entity_name: "main.ml.churn", entity_version: "1" }, 10)).toThrow(
      /own served entity name/,
    );
  });

  it("shift: every served entity gets a route; unknown names and bad sums are refused", () => {
    expect(routes(planShift(canary, { "churn-2": 100 }))).toEqual({ "churn-1": 0, "churn-2": 100 });
    expect(() => planShift(canary, { "churn-9": 100 })).toThrow(/no entity named "churn-9"/);
    expect(() => planShift(canary, { "churn-1": 50 })).toThrow(/add up to 100, got 50/);
  });

  it("promote: the named or newest entity alone", () => {
    expect(planPromote(canary).served_entities.map((e) => e.name)).toEqual(["churn-2"]);
    expect(routes(planPromote(canary, "churn-1"))).toEqual({ "churn-1": 100 });
    expect(() => planPromote(canary, "nope")).toThrow(/no entity named/);
  });

  it("rollback: from the recorded config, reusing entities still served, else ending a canary", () => {
    const recorded = decodePrevious(encodePrevious(one));
    const after = {
      served_entities: [e2],
      traffic_config: { routes: [{ served_entity_name: "churn-2", traffic_percentage: 100 }] },
    };
    const plan = planRollback(after, recorded);
    expect(plan.served_entities).toEqual([
      {
        name: "churn-1",
        entity_name: "main.ml.churn",
        entity_version: "1",
        workload_size: "Small",
        scale_to_zero_enabled: true,
        environment_vars: { KEY: "{{secrets/s/k}}" },
      },
    ]);
    expect(routes(plan)).toEqual({ "churn-1": 100 });
    expect(routes(planRollback(canary, undefined))).toEqual({ "churn-1": 100 });
    expect(() => planRollback(one, undefined)).toThrow(/nothing to roll back to/);
  });

  it("the recorded config is short, skips secrets, and falls back to the essentials", () => {
    const value = encodePrevious(canary)!;
    expect(value.length).toBeLessThanOrEqual(255);
    expect(value).not.toContain("secrets");
    expect(decodePrevious(value)?.entities.map((e) => e.entity_version)).toEqual(["1", "2"]);
    const many = {
      served_entities: Array.from({ length: 6 }, (_, i) => ({
        ...e1,
        name: `churn-${i}`,
        entity_version: String(i),
      })),
    };
    expect(decodePrevious(encodePrevious(many))?.entities[0]).toEqual({
      name: "churn-0",
      entity_name: "main.ml.churn",
      entity_version: "0",
    });
    expect(
      encodePrevious({ served_entities: [{ name: "x", external_model: { name: "gpt" } }] }),
    ).toBeUndefined();
    expect(decodePrevious("not json")).toBeUndefined();
  });

  it("default names use the model's own name", () => {
    expect(defaultEntityName({ entity_name: "main.ml.churn", entity_version: "7" })).toBe("churn-7");
  });
});
