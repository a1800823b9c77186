import { describe, expect, it } from "vitest";
import { parsePrometheusText } from "../../../src/api/serving-metrics.js";

describe("parsePrometheusText", () => {
  it("reads samples, labels, timestamps and HELP/TYPE/UNIT metadata", () => {
    const text = [
      "# HELP request_latency_ms Latency in ms\\nof requests",
      "# TYPE request_latency_ms histogram",
      "# UNIT request_latency_ms milliseconds",
      'request_latency_ms_bucket{served_entity="a",le="10"} 2 1700000000000',
      'request_latency_ms_bucket{served_entity="a",le="+Inf"} 3',
      "request_latency_ms_sum 31.5",
      'odd{v="quote \\" and \\\\ and \\n",w=""} NaN',
      "up +Inf",
      "down -Inf 5",
      "# EOF",
    ].join("\n");
    const m = parsePrometheusText(text);
    expect(m.samples).toEqual([
      {
        name: "request_latency_ms_bucket",
        labels: { served_entity: "a", le: "10" },
        value: 2,
        timestamp: 1700000000000,
      },
      { name: "request_latency_ms_bucket", labels: { served_entity: "a", le: "+Inf" }, value: 3 },
      { name: "request_latency_ms_sum", labels: {}, value: 31.5 },
      { name: "odd", labels: { v: 'quote " and \\ and \n', w: "" }, value: Number.NaN },
      { name: "up", labels: {}, value: Number.POSITIVE_INFINITY },
      { name: "down", labels: {}, value: Number.NEGATIVE_INFINITY, timestamp: 5 },
    ]);
    expect(m.metadata.request_latency_ms).toEqual({
      help: "Latency in ms\nof requests",
      type: "histogram",
      unit: "milliseconds",
    });
    expect(m.text).toBe(text);
  });

  it("skips lines it cannot read instead of failing", () => {
    const m = parsePrometheusText('garbage here now\nbad{x=1} 2\nok 1\nnovalue{a="b"}\n');
    expect(m.samples).toEqual([{ name: "ok", labels: {}, value: 1 }]);
  });
});
