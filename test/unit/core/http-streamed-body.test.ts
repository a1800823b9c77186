import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Databricks, isDatabricksError } from "../../../src/index.js";
import { rejection } from "../../helpers.js";

// Following a redirect replays the body, so the redirect layer would keep every byte of a
// streamed body in memory; streamed bodies are therefore sent without redirect support.
describe("Transport: streamed request bodies", () => {
  let server: Server;
  let db: Databricks;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      req.on("end", () => {
        if (req.url === "/moved") res.writeHead(307, { location: "/target" }).end();
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    db = new Databricks({
      host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token: "t",
      env: {},
      maxRetries: 0,
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("does not follow a redirect for a streamed body (the redirect is reported instead)", async () => {
    seen.length = 0;
    const err = await rejection(
      db.request({ method: "PUT", path: "/moved", data: () => Readable.from(["a", "b"]) }),
    );
    expect(isDatabricksError(err)).toBe(true);
    expect(err.statusCode).toBe(307);
    expect(seen).toEqual(["PUT /moved"]);
  });

  it("still follows redirects for bodies held in memory", async () => {
    seen.length = 0;
    await db.request({ method: "PUT", path: "/moved", data: Buffer.from("ab") });
    expect(seen).toEqual(["PUT /moved", "PUT /target"]);
  });
});
