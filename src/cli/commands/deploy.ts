import { readFile } from "node:fs/promises";
import { dirname, extname, isAbsolute, resolve } from "node:path";
import { isValidationError } from "../../core/errors.js";
import type { Plan } from "../../workflows/lifecycle.js";
import { StepFailedError } from "../../workflows/progress.js";
import { clientFor, EXIT, parseCommand } from "../client.js";
import { type Command, UsageError } from "../command.js";
import { progressPrinter } from "../progress.js";

const USAGE = `Usage: brickml deploy <spec.json|spec.yaml> [options]

Plans the life cycle described by the spec (notebook, cluster, parameters, model, alias,
endpoint, traffic, access) against the workspace, prints the plan, then applies exactly those steps:
upload, train, register, alias, deploy, access (grants to add and revoke). Applying twice changes nothing the second time; an
interrupted deploy continues where it stopped. A relative notebook.source is read relative to
the spec file. In YAML, parameters are taken as written (C: 1.0 is "1.0"); in JSON they must
be strings.

Options:
  --plan         Print the plan and stop
  --profile P    Profile of ~/.databrickscfg to use (default: DATABRICKS_* variables, then DEFAULT)
  --json         Print one JSON object: changes, steps (and, after applying, what it deployed)
  -h, --help     Show this help

Exit codes: 0 deployed (or nothing to do), 1 a step failed, 2 bad usage or spec (the message
names the field), 3 timed out, 4 configuration or credentials.`;

export const deployCommand: Command = {
  name: "deploy",
  summary: "Plan and apply a life-cycle spec (train, register, deploy)",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { plan: { type: "boolean" } }, USAGE, io);
    if (!parsed) return EXIT.ok;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError("give exactly one spec file");
    const spec = await readSpec(positionals[0]!);
    const db = clientFor(io, values);
    const lifecycle = asUsage(() => db.lifecycle(spec as never));
    const plan = await asUsageAsync(() => lifecycle.plan());
    if (!values.json) io.stdout.write(planText(plan));
    if (values.plan) {
      if (values.json) io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
      return EXIT.ok;
    }
    const result = await lifecycle.apply(values.json ? {} : { onProgress: progressPrinter(io.stdout) });
    const summary = {
      run_id: result.run.runId,
      run_page_url: result.run.url,
      model: result.version.fullName,
      version: result.version.version,
      endpoint: result.endpoint.name,
      endpoint_url: result.endpoint.url,
    };
    io.stdout.write(
      values.json
        ? `${JSON.stringify({ ...result.plan, ...summary }, null, 2)}\n`
        : `Deployed ${summary.model} version ${summary.version} to ${summary.endpoint} (${summary.endpoint_url})\n`,
    );
    return EXIT.ok;
  },
};

function planText(plan: Plan): string {
  const lines = plan.steps.flatMap((s) => [
    `  ${s.action.padEnd(6)} ${s.step.padEnd(8)} ${s.resource}  (${s.reason})`,
    // Each grant on its own line: the reason only counts them.
    ...(s.access ? (s.changes ?? []).map((c) => `           ${c}`) : []),
  ]);
  return `Plan: ${plan.changes} change(s)\n${lines.join("\n")}\n`;
}

/** A spec error (a bad field, a notebook source that cannot be read) is bad usage: exit 2. */
function specError(e: unknown): unknown {
  if (isValidationError(e)) return new UsageError(e.message);
  if (e instanceof StepFailedError && isValidationError(e.cause)) return new UsageError(e.message);
  return e;
}

function asUsage<T>(work: () => T): T {
  try {
    return work();
  } catch (e) {
    throw specError(e);
  }
}

async function asUsageAsync<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw specError(e);
  }
}

/**
 * Reads a JSON or YAML spec. YAML scalars under `parameters` are taken as written in the file
 * (`C: 1.0` → "1.0", `flag: true` → "true"): widgets are strings, and the text is what the
 * author meant. Everything else keeps its YAML type and is checked by the spec's schema.
 */
async function readSpec(file: string): Promise<Record<string, any>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new UsageError(`cannot read the spec file ${file}`);
  }
  let spec: Record<string, any>;
  try {
    spec = [".yaml", ".yml"].includes(extname(file).toLowerCase()) ? await parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new UsageError(
      `${file} is not valid ${extname(file).slice(1).toUpperCase() || "JSON"}: ${(e as Error).message}`,
    );
  }
  const source = spec?.notebook?.source;
  if (typeof source === "string" && !isAbsolute(source))
    spec.notebook.source = resolve(dirname(file), source);
  return spec;
}

async function parseYaml(text: string): Promise<Record<string, any>> {
  const { parseDocument, isMap, isScalar } = await import("yaml");
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) throw doc.errors[0];
  const spec = doc.toJS();
  const parameters = doc.get("parameters", true);
  if (isMap(parameters) && spec?.parameters && typeof spec.parameters === "object") {
    for (const pair of parameters.items) {
      const value = pair.value;
      if (isScalar(pair.key) && isScalar(value) && value.value !== null && typeof value.value !== "string")
        spec.parameters[String(pair.key.value)] = value.source ?? String(value.value);
    }
  }
  return spec;
}
