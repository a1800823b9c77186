import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Databricks } from "../../../src/index.js";

const SIZE = 200 * 1024 * 1024;
const CHUNK = 64 * 1024;
/** Generous: the point is that a 200 MB body is never held in memory, not a tight budget. */
const MAX_GROWTH = 100 * 1024 * 1024;

/** 200 MB of deterministic bytes, produced chunk by chunk (each chunk a fresh buffer). */
function generated(): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= SIZE) return this.push(null);
      const chunk = Buffer.alloc(CHUNK, sent / CHUNK);
      sent += CHUNK;
      this.push(chunk);
    },
  });
}

function digestOf(stream: Readable): Promise<{ bytes: number; sha: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    let bytes = 0;
    stream.on("data", (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
    });
    stream.on("end", () => resolve({ bytes, sha: hash.digest("hex") }));
    stream.on("error", reject);
  });
}

/** Runs `fn` while sampling RSS; returns the peak growth over the starting RSS. */
async function peakRssGrowth(fn: () => Promise<void>): Promise<number> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().rss) - start;
}

describe("Files API streaming (memory)", () => {
  let server: Server;
  let db: Databricks;
  let expected: string;
  let received: { bytes: number; sha: string } | undefined;

  beforeAll(async () => {
    expected = (await digestOf(generated())).sha;
    server = createServer(async (req, res) => {
      if (req.method === "PUT") {
        received = await digestOf(req);
        res.writeHead(204).end();
      } else {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(SIZE) });
        generated().pipe(res);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    db = new Databricks({ host: `http://127.0.0.1:${port}`, token: "dapi-test", env: {} });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("uploads 200 MB from a stream without holding it in memory", async () => {
    const growth = await peakRssGrowth(() =>
      db.files.upload({ file_path: "/Volumes/c/s/v/big.bin", contents: generated }),
    );
    expect(received).toEqual({ bytes: SIZE, sha: expected });
    expect(growth).toBeLessThan(MAX_GROWTH);
  });

  it("downloads 200 MB as a stream without holding it in memory", async () => {
    let got: { bytes: number; sha: string } | undefined;
    const growth = await peakRssGrowth(async () => {
      const { contents, content_length } = await db.files.download({ file_path: "/Volumes/c/s/v/big.bin" });
      expect(content_length).toBe(SIZE);
      got = await digestOf(contents);
    });
    expect(got).toEqual({ bytes: SIZE, sha: expected });
    expect(growth).toBeLessThan(MAX_GROWTH);
  });
});
