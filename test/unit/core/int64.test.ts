import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJson, stringifyJson } from "../../../src/core/json.js";
import { int64 } from "../../../src/core/validation.js";
import { Databricks } from "../../../src/index.js";

const BIG = "5558306221970383000"; // a real spark_context_id: 5558306221970382848 as a JS number
const MAX = "9223372036854775807";

describe("lossless int64 JSON", () => {
  it("reads integers beyond 2^53 as their exact decimal strings, and nothing else differently", () => {
    const text = `{"a":${BIG},"b":[-${MAX},9007199254740991,1.2345678901234567,12345678901234567e2],"s":"${MAX}","t":"x\\"${BIG}"}`;
    expect(parseJson(text)).toEqual({
      a: BIG,
      b: [`-${MAX}`, 9007199254740991, 1.2345678901234567, JSON.parse("12345678901234567e2")],
      s: MAX,
      t: `x"${BIG}`,
    });
    const plain = '{"cluster_id":"0123-456789-abcdefgh","n":42,"x":[1.5,true,null]}';
    expect(parseJson(plain)).toEqual(JSON.parse(plain));
  });

  it("writes a bigint as a bare JSON number, exactly", () => {
    expect(stringifyJson({ run_id: BigInt(MAX), n: 1, s: "t" })).toBe(`{"run_id":${MAX},"n":1,"s":"t"}`);
    expect(stringifyJson({ a: 1 })).toBe('{"a":1}');
  });
});

describe("a 64-bit id round-trips exactly", () => {
  let server: Server;
  let url: string;
  const received: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push(`${req.method} ${req.url} ${body}`);
        res.setHeader("Content-Type", "application/json");
        if (req.url?.startsWith("/api/2.2/jobs/runs/get")) {
          res.end(
            `{"run_id":${MAX},"state":{"life_cycle_state":"TERMINATED"},` +
              `"cluster_instance":{"cluster_id":"c-1","spark_context_id":${BIG}}}`,
          );
        } else if (req.url?.startsWith("/api/2.1/clusters/get")) {
          res.end(`{"cluster_id":"c-1","state":"RUNNING","spark_context_id":${BIG}}`);
        } else res.end("{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("response → typed field → request", async () => {
    const db = new Databricks({ host: url, token: "t", env: {} });
    const run = await db.jobs.getRun({ run_id: 1 });
    // The typed int64 field is a string, exact; so is the untyped id beyond 2^53.
    expect(run.cluster_instance?.spark_context_id).toBe(BIG);
    expect((await db.clusters.get({ cluster_id: "c-1" })).spark_context_id).toBe(BIG);
    const runId = (run as { run_id: unknown }).run_id;
    expect(runId).toBe(MAX);
    // Sent back as a query parameter and as a JSON number, digit for digit.
    await db.request({ method: "GET", path: "/api/2.2/jobs/runs/get-output", query: { run_id: runId } });
    await db.request({
      method: "POST",
      path: "/api/2.2/jobs/runs/cancel",
      body: { run_id: BigInt(String(runId)) },
    });
    expect(received).toContain(`GET /api/2.2/jobs/runs/get-output?run_id=${MAX} `);
    expect(received).toContain(`POST /api/2.2/jobs/runs/cancel {"run_id":${MAX}}`);
  });

  it("a small int64 is typed the same way: a string", () => {
    expect(int64.parse(42)).toBe("42");
    expect(int64.parse(BIG)).toBe(BIG);
  });
});

describe("the 16-digit scan", () => {
  it("finds a run wherever it starts, and no shorter one", () => {
    for (let at = 0; at < 40; at++) {
      const run = `${"x".repeat(at)}"${"7".repeat(15)}"`;
      expect(parseJson(`[${"1".repeat(15)},${JSON.stringify(run)}]`)).toEqual([Number("1".repeat(15)), run]);
      const big = `[${" ".repeat(at)}${"9".repeat(17)}]`;
      expect(parseJson(big)).toEqual(["9".repeat(17)]);
    }
  });
});
