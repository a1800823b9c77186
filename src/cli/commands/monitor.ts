import { readFile, writeFile } from "node:fs/promises";
import { extname } from "node:path";
import type { Table } from "apache-arrow";
import { ValidationError } from "../../core/errors.js";
import { csvColumns } from "../../data/csv.js";
import type { TabularInput } from "../../data/dataframe.js";
import { driftReport } from "../../data/drift.js";
import { renderDriftHtml, renderDriftText } from "../../data/drift-render.js";
import { quoteName } from "../../data/inference-table.js";
import { pickWarehouse } from "../../workflows/warehouse.js";
import { clientFor, EXIT, parseCommand } from "../client.js";
import { type Command, numberOption, UsageError } from "../command.js";

const USAGE = `Usage: brickml monitor <endpoint> --baseline <table|file.json|file.csv> [options]

Compares what the endpoint was asked recently (its inference table, read with SQL) with a baseline
(the training data), feature by feature: PSI and Kolmogorov-Smirnov for numeric features, PSI and
chi-square for categorical ones. Prints the drift report with a bar chart per feature.

Options:
  --baseline B     Training data: a table catalog.schema.table, a .json file (records or columns)
                   or a .csv file with a header row
  --warehouse ID   SQL warehouse (default: the first running one; a stopped one is started)
  --since TIME     Only requests received since this ISO-8601 time
  --limit N        Only the N most recent requests
  --html FILE      Also write the report as a self-contained HTML page with the charts
  --json           Print the report as JSON instead of text
  --profile P      Profile of ~/.databrickscfg to use
  --host URL       Workspace URL (default: DATABRICKS_HOST, then the profile's host)
  -h, --help       Show this help

Exit codes: 0 no drift, 1 drift (or the report could not be made; the reason is on stderr),
2 bad usage, 4 configuration, credentials or an unreachable workspace, 5 no such endpoint.`;

export const monitorCommand: Command = {
  name: "monitor",
  summary: "Drift report of an endpoint's recent requests against the training data; exit code 1 on drift",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseCommand(
      args,
      {
        baseline: { type: "string" },
        warehouse: { type: "string" },
        since: { type: "string" },
        limit: { type: "string" },
        html: { type: "string" },
      },
      USAGE,
      io,
    );
    if (!parsed) return EXIT.ok;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError("give exactly one endpoint name");
    if (!values.baseline) throw new UsageError("--baseline is required");
    const since = values.since;
    if (since !== undefined && Number.isNaN(Date.parse(since))) {
      throw new UsageError(`--since must be an ISO-8601 time, got "${since}"`);
    }
    const limit = numberOption("limit", values.limit, { integer: true, min: 1 });
    const name = positionals[0]!;
    const file = /\.(json|csv)$/i.test(values.baseline) ? await readBaseline(values.baseline) : undefined;
    if (!file && !/^[^.\s]+\.[^.\s]+\.[^.\s]+$/.test(values.baseline)) {
      throw new UsageError("--baseline must be a table catalog.schema.table or a .json or .csv file");
    }

    const db = clientFor(io, values);
    const warehouse_id = values.warehouse ?? (await pickWarehouse(db));
    const [baseline, recent] = await Promise.all([
      file ??
        db.statements.query(`SELECT * FROM ${quoteName(values.baseline)}`, { warehouse_id, format: "arrow" }),
      db.endpoint(name).inferenceTable({
        warehouse_id,
        ...(since !== undefined ? { since } : {}),
        ...(limit !== undefined ? { limit } : {}),
      }),
    ]);
    if (recent.numRows === 0) {
      io.stderr.write(`brickml monitor: ${name} has no captured requests${since ? ` since ${since}` : ""}\n`);
      return EXIT.failed;
    }
    const report = driftReport(baseline, recent);
    if (report.features.length === 0) {
      io.stderr.write(
        `brickml monitor: the baseline and the recent requests share no feature (baseline: ${columnsOf(baseline).join(", ")}; recent: ${columnsOf(recent).join(", ")})\n`,
      );
      return EXIT.failed;
    }
    if (values.html) {
      await writeFile(values.html, renderDriftHtml(report, { title: name }));
    }
    io.stdout.write(
      values.json ? `${JSON.stringify(report, null, 2)}\n` : renderDriftText(report, { title: name }),
    );
    if (values.html && !values.json) io.stdout.write(`\nWrote ${values.html}\n`);
    return report.drifted ? EXIT.failed : EXIT.ok;
  },
};

/** A baseline file: JSON records or columns, or CSV with a header row. */
async function readBaseline(file: string): Promise<TabularInput> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new UsageError(`cannot read the baseline file ${file}`);
  }
  try {
    if (extname(file).toLowerCase() === ".csv") return csvColumns(text);
    const data = JSON.parse(text) as unknown;
    if (typeof data !== "object" || data === null) throw new Error("expected records or columns");
    return data as TabularInput;
  } catch (e) {
    const message = e instanceof ValidationError ? e.message : (e as Error).message;
    throw new UsageError(`${file} is not a usable baseline: ${message}`);
  }
}

function columnsOf(data: TabularInput | Table): string[] {
  if ("schema" in data && Array.isArray((data as Table).schema?.fields)) {
    return (data as Table).schema.fields.map((f) => f.name);
  }
  return Array.isArray(data) ? Object.keys(data[0] ?? {}) : Object.keys(data);
}
