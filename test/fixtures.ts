import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A real request, response or error body published in an official repository. */
export interface RealPayload {
  source: string;
  commit: string;
  locator: string;
  /** e.g. `GET /api/2.1/clusters/get` */
  api: string;
  kind: "request" | "response" | "error";
  http_status?: number;
  note?: string;
  body: any;
  /** File name, e.g. `clusters.get.response.1.json`. */
  file: string;
}

const DIR = join(import.meta.dirname, "fixtures", "real-payloads");

export function realPayload(file: string): RealPayload {
  return { ...JSON.parse(readFileSync(join(DIR, file), "utf8")), file };
}

/** Every payload whose file name starts with `prefix` (e.g. `clusters.` or `errors.`). */
export function realPayloads(prefix: string): RealPayload[] {
  return readdirSync(DIR)
    .filter((f) => f.startsWith(prefix) && f.endsWith(".json"))
    .sort()
    .map(realPayload);
}
