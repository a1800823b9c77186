import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseMlmodel } from "../../api/mlmodel.js";
import { parseSignature } from "../../api/mlmodel-signature.js";
import { parseFullName } from "../../api/uc-names.js";
import type { Databricks } from "../../client.js";
import { type SignatureSource, signatureTypeScript, typeNameOf } from "../../data/signature-typescript.js";
import {
  describeVersion,
  endpointSignatures,
  groupBySignature,
  readVersionSignature,
  type VersionSignature,
} from "../../workflows/typed-predict.js";
import { clientFor, EXIT, parseCommand } from "../client.js";
import { type Command, UsageError } from "../command.js";

const USAGE = `Usage: brickml types <target> [options]

Generates TypeScript types from a model's MLflow signature: <Name>Input (one row),
<Name>Output (one prediction) and <Name>Params, for endpoint.typed<Input, Output, Params>().

Target:
  churn-endpoint                  a serving endpoint: the signatures of the versions it serves
  main.ml.churn/3                 a Unity Catalog model version
  main.ml.churn@champion          the version an alias points at
  main.ml.churn                   the model's latest version
  ./model/MLmodel                 a local MLmodel file (or the folder holding it)

Options:
  --out FILE     Write the types to FILE (default: print them)
  --name NAME    Prefix of the type names (default: from the model or endpoint name)
  --profile P    Profile of ~/.databrickscfg to use
  --json         Print the parsed signatures as JSON instead
  -h, --help     Show this help

The output depends only on the signatures, so regenerating after a new model version shows the
change as a diff. Exit codes: 0 written, 1 the signature cannot be read, 2 bad usage,
4 configuration or credentials.`;

const MODEL_TARGET = /^([^/@\s]+)(?:@([^/@\s]+)|\/(\d+))?$/;
const ENDPOINT_NAME = /^[A-Za-z0-9_-]+$/;

export const typesCommand: Command = {
  name: "types",
  summary: "Generate TypeScript types from a model's signature",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { out: { type: "string" }, name: { type: "string" } }, USAGE, io);
    if (!parsed) return EXIT.ok;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError("give exactly one endpoint, model or MLmodel file");
    const target = positionals[0]!;
    if (values.name !== undefined && !/^[A-Z][A-Za-z0-9]*$/.test(values.name)) {
      throw new UsageError(`--name must be a PascalCase identifier such as Churn, got "${values.name}"`);
    }
    const { signatures, defaultName } = await readTarget(target, () => clientFor(io, values));
    if (values.json) {
      io.stdout.write(`${JSON.stringify(signatures, null, 2)}\n`);
      return EXIT.ok;
    }
    const name = values.name ?? defaultName;
    const text = signatureTypeScript(
      name,
      sourcesOf(signatures),
      ["brickml types", target, ...nameArg(values.name)].join(" "),
    );
    if (values.out === undefined) {
      io.stdout.write(text);
      return EXIT.ok;
    }
    const unchanged = existsSync(values.out) && readFileSync(values.out, "utf8") === text;
    if (!unchanged) writeFileSync(values.out, text);
    io.stdout.write(
      `${unchanged ? "Unchanged" : "Wrote"} ${values.out}: ${name}Input, ${name}Output, ${name}Params from ${signatures.map(describeVersion).join(", ")}\n`,
    );
    return EXIT.ok;
  },
};

function nameArg(name: string | undefined): string[] {
  return name === undefined ? [] : ["--name", name];
}

async function readTarget(
  target: string,
  client: () => Databricks,
): Promise<{ signatures: VersionSignature[]; defaultName: string }> {
  const model = MODEL_TARGET.exec(target);
  if (model && parseFullName(model[1]!)) {
    const [, fullName, alias, number] = model as unknown as [string, string, string?, string?];
    const db = client();
    const version = number ?? (await resolveVersion(db, fullName, alias));
    const signature = await readVersionSignature(db, fullName, version);
    return { signatures: [{ model: fullName, version, signature }], defaultName: typeNameOf(fullName) };
  }
  if (ENDPOINT_NAME.test(target) && target !== "MLmodel") {
    return { signatures: await endpointSignatures(client(), target), defaultName: typeNameOf(target) };
  }
  return { signatures: [localSignature(target)], defaultName: "Model" };
}

async function resolveVersion(db: Databricks, fullName: string, alias: string | undefined): Promise<string> {
  if (alias) return String((await db.modelVersions.getByAlias({ full_name: fullName, alias })).version);
  let latest = 0;
  for await (const v of db.modelVersions.list({ full_name: fullName }))
    latest = Math.max(latest, Number(v.version));
  if (latest === 0) throw new UsageError(`${fullName} has no versions yet`);
  return String(latest);
}

function localSignature(path: string): VersionSignature {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, "MLmodel") : path;
  if (!existsSync(file)) {
    throw new UsageError(
      `"${path}" is not an endpoint name, a model (catalog.schema.model[@alias|/version]) or an MLmodel file`,
    );
  }
  const mlmodel = parseMlmodel(readFileSync(file, "utf8"));
  if (!mlmodel.signature?.inputs) throw new Error(`${resolve(file)} has no input signature`);
  return { model: path, version: "", signature: parseSignature(mlmodel.signature, file) };
}

/** One source per distinct signature; types are suffixed by version only when signatures differ. */
function sourcesOf(signatures: VersionSignature[]): SignatureSource[] {
  const used = new Set<string>();
  return groupBySignature(signatures).map((g, i) => {
    const first = g.versions[0]!;
    let suffix = `V${first.version.replace(/[^A-Za-z0-9]/g, "")}`;
    if (used.has(suffix)) suffix = `${suffix}_${i + 1}`;
    used.add(suffix);
    return { label: g.label, suffix, signature: g.signature };
  });
}
