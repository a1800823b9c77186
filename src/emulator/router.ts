import type { IncomingMessage } from "node:http";
import type { Caller } from "./access/principals.js";
import type { EmulatorContext } from "./types.js";

export interface EmuRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  headers: IncomingMessage["headers"];
  /** Parsed JSON body (undefined when empty or not JSON). */
  body: any;
  /** The raw body bytes (empty for routes that stream). */
  raw: Buffer;
  /** The request itself, for routes registered with `{ stream: true }`. */
  incoming: IncomingMessage;
  ctx: EmulatorContext;
  /** The user the bearer token belongs to (the admin for public routes). */
  caller: Caller;
}

export interface EmuResponse {
  status?: number;
  /** JSON body. */
  body?: unknown;
  /** Raw body instead of JSON. */
  raw?: Buffer | string | NodeJS.ReadableStream;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Handler = (req: EmuRequest) => EmuResponse | Promise<EmuResponse>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
  stream: boolean;
  /** True when the route changes state (persisted afterwards). */
  mutates: boolean;
  /** Served without the bearer token (presigned URLs carry their own credential). */
  public: boolean;
}

/**
 * Path patterns: literal segments, `:name` for one segment, and a trailing `*name` for the rest
 * of the path (file paths keep their slashes).
 */
export class Router {
  private readonly routes: Route[] = [];

  add(
    method: string,
    pattern: string,
    handler: Handler,
    options: { stream?: boolean; mutates?: boolean; public?: boolean } = {},
  ): void {
    this.routes.push({
      method,
      segments: pattern.split("/").filter(Boolean),
      handler,
      stream: options.stream ?? false,
      mutates: options.mutates ?? method !== "GET",
      public: options.public ?? false,
    });
  }

  get(pattern: string, handler: Handler, options?: { public?: boolean }): void {
    this.add("GET", pattern, handler, options);
  }
  post(pattern: string, handler: Handler, options?: { mutates?: boolean }): void {
    this.add("POST", pattern, handler, options);
  }
  put(pattern: string, handler: Handler): void {
    this.add("PUT", pattern, handler);
  }
  patch(pattern: string, handler: Handler): void {
    this.add("PATCH", pattern, handler);
  }
  delete(pattern: string, handler: Handler): void {
    this.add("DELETE", pattern, handler);
  }

  /** Finds the route for a request; `allowed` lists methods of the path when only the method is wrong. */
  match(method: string, path: string): { route?: Route; params: Record<string, string>; allowed: string[] } {
    const parts = path.split("/").filter(Boolean);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method || (method === "HEAD" && route.method === "GET"))
        return { route, params, allowed };
      allowed.push(route.method);
    }
    return { params: {}, allowed };
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith("*")) {
      if (i >= parts.length) return undefined;
      params[p.slice(1)] = `/${parts.slice(i).map(decodeURIComponent).join("/")}`;
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (p.startsWith(":")) params[p.slice(1)] = decodeURIComponent(part);
    else if (p !== part) return undefined;
  }
  return pattern.length === parts.length ? params : undefined;
}

export type { Route };
