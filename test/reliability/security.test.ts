// Security rules not covered by test/unit/core (TLS, cross-host redirects, plain http and
// redaction live there): path parameters never leave their segment, whatever the value, on the
// wire too; credentials never go to a URL outside the workspace.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeFilePath } from "../../src/core/http.js";
import { BrickmlError, Databricks, encodePath, isValidationError } from "../../src/index.js";
import { rejection } from "../helpers.js";

/** Strings a path parameter might hold, slashes, dots, percent signs and any unicode included. */
const segment = fc
  .oneof(
    fc.string({ unit: "grapheme", minLength: 1 }),
    fc.string({
      unit: fc.constantFrom("/", ".", "%", "?", "#", "\\", ";", "&", "=", "+", " ", "a", "é", "😀"),
      minLength: 1,
    }),
    fc.constantFrom("%2e%2e", "..%2F", "%2F", "a/../b", "?x=1", "#top", "\\..\\", "%00", "a\u0000b"),
  )
  .filter((s) => s !== "." && s !== "..");

describe("encodePath", () => {
  it("keeps any value in one segment that decodes back to it, with no query or fragment", () => {
    fc.assert(
      fc.property(segment, segment, (a, b) => {
        const url = new URL(`https://ws.example.com${encodePath`/api/2.0/things/${a}/items/${b}`}`);
        const parts = url.pathname.split("/");
        expect(parts).toEqual(["", "api", "2.0", "things", parts[4], "items", parts[6]]);
        expect(decodeURIComponent(parts[4]!)).toBe(a);
        expect(decodeURIComponent(parts[6]!)).toBe(b);
        expect(url.search).toBe("");
        expect(url.hash).toBe("");
      }),
      { numRuns: 1000 },
    );
  });

  it("refuses a lone surrogate with a typed error (no URL can carry one)", () => {
    expect(() => encodePath`/x/${"a\uD800b"}`).toThrow(BrickmlError);
    expect(() => encodeFilePath("/Volumes/a/\uDC00")).toThrow(BrickmlError);
    expect(encodePath`/x/${"😀"}`).toBe("/x/%F0%9F%98%80");
  });

  it("file paths keep their segments, each decoding back to itself", () => {
    fc.assert(
      fc.property(
        fc.array(
          segment.filter((s) => !s.includes("/")),
          { minLength: 1, maxLength: 5 },
        ),
        (segs) => {
          const path = `/${segs.join("/")}`;
          const url = new URL(`https://ws.example.com/api/2.0/fs/files${encodeFilePath(path)}`);
          expect(url.pathname.split("/").slice(5).map(decodeURIComponent)).toEqual(segs);
          expect(url.search + url.hash).toBe("");
        },
      ),
    );
  });
});

describe("on the wire", () => {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  let server: Server;
  let host: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? "", headers: req.headers });
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error_code: "NOT_FOUND", message: "no" }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  // Values each service accepts that carry URL syntax: they must arrive as one encoded segment.
  const HOSTILE = "a?b=1#c&d;e\\f+g'h";
  const cases: Array<[string, (db: Databricks) => Promise<unknown>, string]> = [
    [
      "registeredModels.get",
      (db) => db.registeredModels.get({ full_name: `main.ml.${HOSTILE}` }),
      `/api/2.1/unity-catalog/models/main.ml.${encodeURIComponent(HOSTILE)}`,
    ],
    [
      "registeredModels.deleteAlias",
      (db) => db.registeredModels.deleteAlias({ full_name: "main.ml.m", alias: HOSTILE }),
      `/api/2.1/unity-catalog/models/main.ml.m/aliases/${encodeURIComponent(HOSTILE)}`,
    ],
    [
      "modelVersions.getByAlias",
      (db) => db.modelVersions.getByAlias({ full_name: `main.${HOSTILE}.m`, alias: "x" }),
      `/api/2.1/unity-catalog/models/main.${encodeURIComponent(HOSTILE)}.m/aliases/x`,
    ],
    [
      "files.delete",
      (db) => db.files.delete({ file_path: `/Volumes/main/ml/v/${HOSTILE}` }),
      `/api/2.0/fs/files/Volumes/main/ml/v/${encodeURIComponent(HOSTILE)}`,
    ],
  ];

  it.each(cases)("%s sends the value as one segment", async (_name, call, path) => {
    seen.length = 0;
    const db = new Databricks({ host, token: "dapi-wire-test", env: {}, maxRetries: 0 });
    await rejection(call(db));
    expect(seen.map((s) => s.url.split("?")[0])).toEqual([path]);
  });

  it("values that would leave their segment are refused before sending", async () => {
    seen.length = 0;
    const db = new Databricks({ host, token: "dapi-wire-test", env: {}, maxRetries: 0 });
    for (const bad of ["..", "a/b", "%2e%2e", "%2F"]) {
      expect(
        isValidationError(await rejection(db.registeredModels.get({ full_name: `main.ml.${bad}` }))),
      ).toBe(true);
      expect(
        isValidationError(
          await rejection(db.registeredModels.deleteAlias({ full_name: "main.ml.m", alias: bad })),
        ),
      ).toBe(true);
    }
    expect(seen).toEqual([]);
  });

  it("credentials never go to an absolute URL outside the workspace; anonymous requests carry none", async () => {
    seen.length = 0;
    const db = new Databricks({ host, token: "dapi-wire-test", env: {}, maxRetries: 0 });
    const foreign = host.replace("127.0.0.1", "localhost");
    const err = await rejection(db.request({ method: "GET", path: `${foreign}/steal` }));
    expect(err).toBeInstanceOf(BrickmlError);
    expect(err.message).toContain("Refusing to send credentials");
    expect(seen).toEqual([]);
    await rejection(db.request({ method: "GET", path: `${foreign}/presigned`, anonymous: true }));
    expect(seen.map((s) => [s.url, s.headers.authorization])).toEqual([["/presigned", undefined]]);
    // The workspace's own absolute URLs keep working.
    await rejection(db.request({ method: "GET", path: `${host}/own` }));
    expect(seen[1]?.headers.authorization).toBe("Bearer dapi-wire-test");
  });
});
