import { describe, expect, it } from "vitest";
import { configDifferences, entitiesOf, toEntityInput } from "../../../src/api/serving-deploy.js";
import { endpointCoreConfigInput } from "../../../src/api/serving-endpoints-schemas.js";

const served = {
  config_version: 4,
  served_entities: [
    {
      name: "churn-1",
      entity_name: "main.ml.churn",
      entity_version: "1",
      workload_size: "Small",
      scale_to_zero_enabled: true,
      environment_vars: { A: "1" },
      state: { deployment: "DEPLOYMENT_READY" },
      creator: "me",
    },
  ],
  traffic_config: { routes: [{ served_entity_name: "churn-1", traffic_percentage: 100 }] },
};

const want = (c: unknown) => endpointCoreConfigInput.parse(c);

describe("configDifferences", () => {
  it("matches on the fields given, with server defaults and write-only fields ignored", () => {
    expect(
      configDifferences(
        want({ served_entities: [{ entity_name: "main.ml.churn", entity_version: 1 }] }),
        served,
      ),
    ).toEqual([]);
    const full = want({
      served_entities: [
        {
          name: "churn-1",
          entity_name: "main.ml.churn",
          entity_version: "1",
          workload_type: "CPU",
          scale_to_zero_enabled: true,
          environment_vars: { A: "1" },
          burst_scaling_enabled: true,
        },
      ],
      traffic_config: { routes: [{ served_entity_name: "churn-1", traffic_percentage: 100 }] },
    });
    expect(configDifferences(full, served)).toEqual([]);
  });

  it("names what differs", () => {
    expect(
      configDifferences(
        want({
          served_entities: [{ entity_name: "main.ml.churn", entity_version: "1", workload_size: "Medium" }],
        }),
        served,
      ),
    ).toEqual(['served entity main.ml.churn.workload_size: "Small" served, "Medium" wanted']);
    expect(
      configDifferences(
        want({
          served_entities: [{ entity_name: "main.ml.churn", entity_version: "1", environment_vars: {} }],
        }),
        served,
      ),
    ).toEqual(["served entity main.ml.churn.environment_vars: differs"]);
    expect(
      configDifferences(
        want({ served_entities: [{ entity_name: "main.ml.churn", entity_version: "2" }] }),
        served,
      ),
    ).toEqual(["served entity main.ml.churn: not served"]);
    expect(configDifferences(want({ served_entities: [] }), undefined)).toEqual([
      "the endpoint serves no config yet",
    ]);
  });

  it("compares traffic as a split, where a 0 % route equals no route", () => {
    const two = {
      ...served,
      served_entities: [
        ...served.served_entities,
        { ...served.served_entities[0]!, name: "churn-2", entity_version: "2" },
      ],
      traffic_config: {
        routes: [
          { served_entity_name: "churn-1", traffic_percentage: 100 },
          { served_entity_name: "churn-2", traffic_percentage: 0 },
        ],
      },
    };
    const entities = [
      { name: "churn-1", entity_name: "main.ml.churn", entity_version: "1" },
      { name: "churn-2", entity_name: "main.ml.churn", entity_version: "2" },
    ];
    expect(
      configDifferences(
        want({
          served_entities: entities,
          traffic_config: { routes: [{ served_entity_name: "churn-1", traffic_percentage: 100 }] },
        }),
        two,
      ),
    ).toEqual([]);
    expect(
      configDifferences(
        want({
          served_entities: entities,
          traffic_config: {
            routes: [
              { served_entity_name: "churn-1", traffic_percentage: 90 },
              { served_entity_name: "churn-2", traffic_percentage: 10 },
            ],
          },
        }),
        two,
      ),
    ).toEqual(["traffic_config: routes differ"]);
  });

  it("reads the deprecated served_models form on both sides", () => {
    const legacy = {
      served_models: [{ name: "m-1", model_name: "m", model_version: "1", scale_to_zero_enabled: false }],
    };
    expect(entitiesOf(legacy)[0]).toMatchObject({ entity_name: "m", entity_version: "1" });
    expect(
      configDifferences(
        want({ served_models: [{ model_name: "m", model_version: 1, scale_to_zero_enabled: false }] }),
        legacy,
      ),
    ).toEqual([]);
  });

  it("compares external models without their write-only secrets", () => {
    const ext = {
      served_entities: [
        {
          name: "prod",
          external_model: { name: "gpt-4o-mini", provider: "openai", task: "llm/v1/chat", openai_config: {} },
        },
      ],
    };
    const wanted = want({
      served_entities: [
        {
          name: "prod",
          external_model: {
            name: "gpt-4o-mini",
            provider: "openai",
            task: "llm/v1/chat",
            openai_config: { openai_api_key_plaintext: "sk-secret" },
          },
        },
      ],
    });
    expect(configDifferences(wanted, ext)).toEqual([]);
  });
});

describe("toEntityInput", () => {
  it("drops state and audit fields and keeps size over explicit concurrency", () => {
    expect(
      toEntityInput({
        ...served.served_entities[0]!,
        min_provisioned_concurrency: 0,
        max_provisioned_concurrency: 4,
      } as never),
    ).toEqual({
      name: "churn-1",
      entity_name: "main.ml.churn",
      entity_version: "1",
      workload_size: "Small",
      scale_to_zero_enabled: true,
      environment_vars: { A: "1" },
    });
    expect(
      toEntityInput({
        name: "x",
        entity_name: "m",
        entity_version: "1",
        min_provisioned_concurrency: 0,
        max_provisioned_concurrency: 4,
      }),
    ).toEqual({
      name: "x",
      entity_name: "m",
      entity_version: "1",
      min_provisioned_concurrency: 0,
      max_provisioned_concurrency: 4,
    });
  });
});
