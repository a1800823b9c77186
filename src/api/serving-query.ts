import type { Readable } from "node:stream";
import { z } from "zod";
import { endpointName, servedEntityName } from "./serving-endpoints-schemas.js";

/** The input forms of custom (MLflow pyfunc) models; a request carries exactly one. */
export const TABULAR_INPUT_KEYS = ["dataframe_split", "dataframe_records", "instances", "inputs"] as const;
/** The input forms of chat, completions and embeddings models. */
export const LLM_INPUT_KEYS = ["messages", "prompt", "input"] as const;
const INPUT_KEYS = [...TABULAR_INPUT_KEYS, ...LLM_INPUT_KEYS];
/** The keys of a query's input forms. */
export type QueryInputKey = (typeof TABULAR_INPUT_KEYS)[number] | (typeof LLM_INPUT_KEYS)[number];

/** `{columns, data, index}`: pandas "split" orientation. */
export interface DataframeSplit {
  columns?: string[];
  data: unknown[][];
  index?: Array<number | string>;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant" | (string & {});
  content: unknown;
  [key: string]: unknown;
}

/** Fields any query may carry besides its input. */
export interface QueryCommon {
  /** Endpoint name. */
  name: string;
  /** Query one served entity directly (`/served-models/{name}/invocations`), bypassing the traffic split. */
  served_model_name?: string;
  /** Inference parameters for pyfunc models. */
  params?: Record<string, unknown>;
  /** Recorded with the request in inference tables. */
  client_request_id?: string;
  usage_context?: Record<string, string>;
  max_tokens?: number;
  temperature?: number;
  n?: number;
  stop?: string[];
  extra_params?: Record<string, unknown>;
  /** Use `queryStream` for streaming responses. */
  stream?: boolean;
  [key: string]: unknown;
}

/** An object holding input `K` and none of the other input keys. */
export type Only<K extends string, V> = { [P in K]: V } & {
  [P in Exclude<QueryInputKey, K>]?: never;
};

/** Exactly one input form; the key present decides which. */
export type QueryInput =
  | Only<"dataframe_split", DataframeSplit>
  | Only<"dataframe_records", Array<Record<string, unknown>>>
  | Only<"instances", unknown[]>
  | Only<"inputs", unknown[] | Record<string, unknown>>
  | Only<"messages", ChatMessage[]>
  | Only<"prompt", string | string[]>
  | Only<"input", string | string[]>;

export type QueryRequest = QueryCommon & QueryInput;

/** What a serving endpoint answers; which fields are present depends on the served model's kind. */
export interface QueryResponse<P = unknown> {
  /** Custom models. */
  predictions?: P[];
  /** Feature serving. */
  outputs?: unknown;
  /** Chat and completions models. */
  choices?: Array<{
    index?: number;
    message?: { role: string; content: string; [key: string]: unknown };
    text?: string;
    finish_reason?: string | null;
    [key: string]: unknown;
  }>;
  /** Embeddings models. */
  data?: Array<{ embedding?: number[]; index?: number; object?: string; [key: string]: unknown }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };
  id?: string;
  object?: string;
  model?: string;
  created?: number;
  /** From the `served-model-name` response header: the served entity that answered. */
  served_model_name?: string;
  [key: string]: unknown;
}

// Checked shallowly: a query may carry millions of values, and the server validates them anyway.
const array = z.custom<unknown[]>((v) => Array.isArray(v), "must be an array");
const record = z.custom<Record<string, unknown>>(
  (v) => typeof v === "object" && v !== null && !Array.isArray(v),
  "must be an object",
);

export const queryRequest = z
  .looseObject({
    name: endpointName,
    served_model_name: servedEntityName.optional(),
    dataframe_split: z
      .looseObject({ columns: array.optional(), data: array, index: array.optional() })
      .optional(),
    dataframe_records: array.optional(),
    instances: array.optional(),
    inputs: z.union([array, record]).optional(),
    messages: array.optional(),
    prompt: z.union([z.string(), array]).optional(),
    input: z.union([z.string(), array]).optional(),
    params: record.optional(),
    client_request_id: z.string().optional(),
    usage_context: z.record(z.string(), z.string()).optional(),
    max_tokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    n: z.number().int().positive().optional(),
    stop: z.array(z.string()).optional(),
    extra_params: record.optional(),
    stream: z.boolean().optional(),
  })
  .superRefine((req, ctx) => {
    const present = INPUT_KEYS.filter((k) => req[k] !== undefined);
    if (present.length === 1) return;
    ctx.addIssue({
      code: "custom",
      path: [],
      message:
        present.length === 0
          ? `must contain exactly one input: ${TABULAR_INPUT_KEYS.join(", ")} (or ${LLM_INPUT_KEYS.join(", ")} for chat, completions and embeddings models)`
          : `must contain exactly one input, got ${present.join(" and ")}`,
    });
  });

/** The JSON body sent to the endpoint: the request without the path parameters. */
export function queryBody(req: Record<string, unknown>): Record<string, unknown> {
  const { name: _name, served_model_name: _served, ...body } = req;
  return body;
}

/** Normalises a response body: a bare list (unwrapped pyfunc output) becomes `predictions`. */
export function toQueryResponse<P>(body: unknown, servedModelName: string | undefined): QueryResponse<P> {
  const out: QueryResponse<P> = Array.isArray(body)
    ? { predictions: body as P[] }
    : typeof body === "object" && body !== null
      ? (body as QueryResponse<P>)
      : { outputs: body };
  if (servedModelName !== undefined) out.served_model_name = servedModelName;
  return out;
}

/**
 * Reads a server-sent event stream and yields each `data:` payload, parsed as JSON when it is
 * JSON, until `[DONE]` or the end of the stream.
 */
export async function* parseEventStream(
  stream: Readable | AsyncIterable<Buffer | string>,
): AsyncGenerator<unknown> {
  let buffered = "";
  let data: string[] = [];
  const dispatch = (): { done: boolean; value?: unknown } => {
    if (data.length === 0) return { done: false };
    const payload = data.join("\n");
    data = [];
    if (payload.trim() === "[DONE]") return { done: true };
    try {
      return { done: false, value: JSON.parse(payload) };
    } catch {
      return { done: false, value: payload };
    }
  };
  for await (const chunk of stream) {
    buffered += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    let newline = buffered.search(/\r?\n/);
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(buffered[newline] === "\r" ? newline + 2 : newline + 1);
      newline = buffered.search(/\r?\n/);
      if (line === "") {
        const event = dispatch();
        if (event.done) return;
        if ("value" in event) yield event.value;
      } else if (line.startsWith("data:")) {
        data.push(line.slice(line[5] === " " ? 6 : 5));
      }
      // Other fields (event:, id:, retry:) and comments (":") carry nothing a caller needs here.
    }
  }
  if (buffered.startsWith("data:")) data.push(buffered.slice(buffered[5] === " " ? 6 : 5));
  const last = dispatch();
  if (!last.done && "value" in last) yield last.value;
}

/** Splits `count` rows into `[offset, size]` batches. */
export function batchRanges(count: number, batchSize: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let offset = 0; offset < count; offset += batchSize)
    out.push([offset, Math.min(batchSize, count - offset)]);
  return out;
}

/** Runs `task(i)` for i in [0, n) with at most `concurrency` in flight; stops starting new ones after a failure. */
export async function runBounded<T>(
  n: number,
  concurrency: number,
  task: (i: number, signal: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
): Promise<T[]> {
  const results = new Array<T>(n);
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < n) {
      const i = next++;
      try {
        results[i] = await task(i, controller.signal);
      } catch (error) {
        // The first failure wins; the ones it causes by aborting the others are not interesting.
        if (!failure) {
          failure = { error };
          controller.abort(error);
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  if (failure) throw failure.error;
  return results;
}
