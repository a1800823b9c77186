import { ApiFault } from "../errors.js";

/**
 * What a served model computes in the emulator: a linear model when the registered version
 * carries `coefficients.json`, otherwise a stable hash of the row (so every input has one
 * answer, and two model versions answer differently).
 */
export interface Coefficients {
  intercept: number;
  weights: Record<string, number>;
  link?: "identity" | "logistic";
}

export const TABULAR_KEYS = ["dataframe_split", "dataframe_records", "instances", "inputs"] as const;
export const LLM_KEYS = ["messages", "prompt", "input"] as const;

// The MLflow scoring server's wording (mlflow/pyfunc/scoring_server), which Databricks model serving returns.
const REQUIRED_INPUT_FORMAT =
  "The input must be a JSON dictionary with exactly one of the input fields {'dataframe_records', 'dataframe_split', 'instances', 'inputs'}";
const SCORING_PROTOCOL_CHANGE_INFO =
  "IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are seeing this error, you are likely using an outdated scoring request format. To resolve the error, either update your request format or adjust your MLflow Model's requirements file to specify an older version of MLflow (for example, change the 'mlflow' requirement specifier to 'mlflow==1.30.0'). If you are making a request using the MLflow client (e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client to a version >= 2.0 in order to use the new request format. For more information about the updated MLflow Model scoring protocol in MLflow 2.0, see https://mlflow.org/docs/latest/models.html#deploy-mlflow-models.";

const badRequest = (message: string) => new ApiFault(400, "BAD_REQUEST", message);

/** True when the body is a chat, completions or embeddings request (and not a tabular one). */
export function isLlmRequest(body: Record<string, unknown>): boolean {
  return LLM_KEYS.some((k) => body[k] !== undefined) && !TABULAR_KEYS.some((k) => body[k] !== undefined);
}

/** The rows of a tabular request, validated like the MLflow scoring server does. */
export function rowsOf(body: unknown): unknown[] {
  if (Array.isArray(body))
    throw badRequest(`${REQUIRED_INPUT_FORMAT}. Received a list. ${SCORING_PROTOCOL_CHANGE_INFO}`);
  if (typeof body !== "object" || body === null) {
    throw badRequest(`${REQUIRED_INPUT_FORMAT}. Received unexpected input type '${pyType(body)}'.`);
  }
  const fields = body as Record<string, unknown>;
  const present = TABULAR_KEYS.filter((k) => k in fields);
  if (present.length !== 1) {
    const keys = Object.keys(fields)
      .map((k) => `'${k}'`)
      .join(", ");
    throw badRequest(
      `${REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: [${keys}]. ${SCORING_PROTOCOL_CHANGE_INFO}`,
    );
  }
  if (
    fields.params !== undefined &&
    (typeof fields.params !== "object" || fields.params === null || Array.isArray(fields.params))
  ) {
    throw badRequest("Failed to parse params: 'params' must be a JSON dictionary.");
  }
  const key = present[0]!;
  const value = fields[key];
  switch (key) {
    case "dataframe_split":
      return splitRows(value);
    case "dataframe_records":
      if (!Array.isArray(value)) throw badRequest(dataframeError("records", "expected a list of records"));
      return value;
    case "instances":
      if (!Array.isArray(value))
        throw badRequest("Failed to parse data as TF serving input. 'instances' must be a list.");
      return value;
    default:
      return tensorRows(value);
  }
}

function splitRows(value: unknown): unknown[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest(dataframeError("split", "expected a dictionary with 'columns' and 'data'"));
  }
  const { columns, data } = value as { columns?: unknown; data?: unknown };
  if (!Array.isArray(data)) throw badRequest(dataframeError("split", "'data' must be a list of rows"));
  if (columns === undefined) return data;
  if (!Array.isArray(columns)) throw badRequest(dataframeError("split", "'columns' must be a list"));
  return data.map((row, i) => {
    if (!Array.isArray(row) || row.length !== columns.length) {
      throw badRequest(
        dataframeError(
          "split",
          `row ${i} has ${Array.isArray(row) ? row.length : 1} values for ${columns.length} columns`,
        ),
      );
    }
    return Object.fromEntries(columns.map((c, j) => [String(c), row[j]]));
  });
}

/** `inputs` as a list of rows, or as a dictionary of columns. */
function tensorRows(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value !== "object" || value === null) return [value];
  const columns = Object.entries(value as Record<string, unknown>);
  const length = Math.max(0, ...columns.map(([, v]) => (Array.isArray(v) ? v.length : 1)));
  return Array.from({ length }, (_, i) =>
    Object.fromEntries(columns.map(([k, v]) => [k, Array.isArray(v) ? v[i] : v])),
  );
}

function dataframeError(orient: string, detail: string): string {
  return `Failed to parse input as a Pandas DataFrame (orient='${orient}'): ${detail}. Ensure that the input is a valid JSON-formatted Pandas DataFrame.`;
}

function pyType(v: unknown): string {
  if (typeof v === "string") return "<class 'str'>";
  if (typeof v === "number") return Number.isInteger(v) ? "<class 'int'>" : "<class 'float'>";
  if (typeof v === "boolean") return "<class 'bool'>";
  return "<class 'NoneType'>";
}

/** One prediction per row. */
export function predict(
  rows: unknown[],
  model: { key: string; coefficients?: Coefficients | undefined },
): number[] {
  const c = model.coefficients;
  if (!c) return rows.map((row) => round(hashUnit(`${model.key}|${canonical(row)}`), 6));
  const names = Object.keys(c.weights);
  return rows.map((row) => {
    let z = c.intercept;
    if (Array.isArray(row)) {
      for (const [i, n] of names.entries()) z += c.weights[n]! * num(row[i]);
    } else if (typeof row === "object" && row !== null) {
      for (const n of names) z += c.weights[n]! * num((row as Record<string, unknown>)[n]);
    } else if (names.length) z += c.weights[names[0]!]! * num(row);
    return c.link === "logistic" ? 1 / (1 + Math.exp(-z)) : z;
  });
}

/** Parses `coefficients.json`; undefined when it is not a usable linear model. */
export function parseCoefficients(raw: Buffer | undefined): Coefficients | undefined {
  if (!raw) return undefined;
  try {
    const c = JSON.parse(raw.toString("utf8")) as Coefficients;
    if (typeof c.intercept !== "number" || typeof c.weights !== "object" || c.weights === null)
      return undefined;
    return c;
  } catch {
    return undefined;
  }
}

/** Chat, completions or embeddings answer (deterministic), for external models and LLM-style inputs. */
export function llmAnswer(
  body: Record<string, unknown>,
  model: string,
  createdSeconds: number,
): Record<string, unknown> {
  const id = `chatcmpl-${hashHex(canonical(body))}`;
  if (body.messages !== undefined) {
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      throw badRequest("'messages' must be a non-empty list of {role, content} objects.");
    }
    const last = body.messages[body.messages.length - 1] as { content?: unknown } | undefined;
    const content = limitWords(`You said: ${String(last?.content ?? "")}`, body.max_tokens);
    const prompt = wordCount(
      body.messages.map((m) => String((m as { content?: unknown })?.content ?? "")).join(" "),
    );
    return {
      id,
      object: "chat.completion",
      created: createdSeconds,
      model,
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
      usage: usage(prompt, wordCount(content)),
    };
  }
  if (body.prompt !== undefined) {
    const prompts = Array.isArray(body.prompt) ? body.prompt.map(String) : [String(body.prompt)];
    const texts = prompts.map((p) => limitWords(` and then ${p}`, body.max_tokens));
    return {
      id: id.replace("chatcmpl", "cmpl"),
      object: "text_completion",
      created: createdSeconds,
      model,
      choices: texts.map((text, index) => ({ index, text, finish_reason: "stop" })),
      usage: usage(wordCount(prompts.join(" ")), wordCount(texts.join(" "))),
    };
  }
  const inputs = Array.isArray(body.input) ? body.input.map(String) : [String(body.input)];
  return {
    object: "list",
    model,
    data: inputs.map((text, index) => ({
      object: "embedding",
      index,
      embedding: Array.from({ length: 8 }, (_, i) => round(hashUnit(`${model}|${i}|${text}`) * 2 - 1, 6)),
    })),
    usage: usage(wordCount(inputs.join(" ")), 0),
  };
}

/** The chat answer as server-sent events: one chunk per word, then `[DONE]`. */
export function chatEventStream(answer: Record<string, unknown>): string {
  const choice = (answer.choices as Array<{ message: { content: string } }>)[0]!;
  const words = choice.message.content.split(/(?<= )/);
  const base = {
    id: answer.id,
    object: "chat.completion.chunk",
    created: answer.created,
    model: answer.model,
  };
  const events = words.map((w, i) => ({
    ...base,
    choices: [
      { index: 0, delta: i === 0 ? { role: "assistant", content: w } : { content: w }, finish_reason: null },
    ],
  }));
  events.push({
    ...base,
    choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
    usage: answer.usage,
  } as never);
  return `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("")}data: [DONE]\n\n`;
}

/** Simulated model execution time: a few ms plus a little per row. */
export function executionMs(rows: number, key: string): number {
  return 3 + Math.ceil(rows / 100) + (hashInt(key) % 7);
}

function usage(prompt: number, completion: number) {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function limitWords(text: string, maxTokens: unknown): string {
  const max = typeof maxTokens === "number" && maxTokens > 0 ? maxTokens : 256;
  return text.split(" ").slice(0, max).join(" ");
}

const wordCount = (s: string) => s.split(/\s+/).filter(Boolean).length;

function num(v: unknown): number {
  const n = typeof v === "boolean" ? Number(v) : Number(v);
  return Number.isFinite(n) ? n : 0;
}

function round(n: number, digits: number): number {
  return Number(n.toFixed(digits));
}

/** JSON with sorted keys, so equal rows hash equally whatever their key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** FNV-1a, 32 bits. */
export function hashInt(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const hashUnit = (s: string) => hashInt(s) / 4294967296;
const hashHex = (s: string) => hashInt(s).toString(16).padStart(8, "0");
