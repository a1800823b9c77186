import { readFile } from "node:fs/promises";
import { dirname, extname, isAbsolute, resolve } from "node:path";
import { ValidationError } from "../../core/errors.js";
import type { LifecycleSpec } from "../../workflows/lifecycle.js";
import { clientFor, EXIT, parseCommand } from "../client.js";
import { type Command, UsageError } from "../command.js";
import { progressPrinter } from "../progress.js";

const USAGE = `Usage: brickml deploy <spec.json|spec.yaml> [options]

Plans the life cycle described by the spec (notebook, cluster, parameters, model, alias,
endpoint, traffic) against the workspace, prints the plan, then applies it: upload, train,
register, alias, deploy. Applying twice changes nothing the second time; an interrupted deploy
continues where it stopped. A relative notebook.source is read relative to the spec file.

Options:
  --plan         Print the plan and stop
  --profile P    Profile of ~/.databrickscfg to use (default: DATABRICKS_* variables, then DEFAULT)
  --json         Print the result as JSON
  -h, --help     Show this help

Exit codes: 0 deployed (or nothing to do), 1 a step failed, 2 bad usage or spec, 3 timed out,
4 configuration or credentials.`;

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
    let lifecycle: ReturnType<typeof db.lifecycle>;
    try {
      lifecycle = db.lifecycle(spec);
    } catch (e) {
      if (e instanceof ValidationError) throw new UsageError(e.message);
      throw e;
    }
    const plan = await lifecycle.plan();
    if (!values.json || values.plan) {
      const lines = plan.steps.map(
        (s) => `  ${s.action.padEnd(6)} ${s.step.padEnd(8)} ${s.resource}  (${s.reason})`,
      );
      const text = `Plan: ${plan.changes} change(s)\n${lines.join("\n")}\n`;
      if (values.json) io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
      else io.stdout.write(text);
    }
    if (values.plan) return EXIT.ok;
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
        ? `${JSON.stringify(summary, null, 2)}\n`
        : `Deployed ${summary.model} version ${summary.version} to ${summary.endpoint} (${summary.endpoint_url})\n`,
    );
    return EXIT.ok;
  },
};

async function readSpec(file: string): Promise<LifecycleSpec> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new UsageError(`cannot read the spec file ${file}`);
  }
  let spec: LifecycleSpec;
  try {
    spec = [".yaml", ".yml"].includes(extname(file).toLowerCase())
      ? (await import("yaml")).parse(text)
      : JSON.parse(text);
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
