import { typeNameOf } from "../../data/sql-types.js";
import { hasManyStatements, quote, toDuckDb } from "../sql/dialect.js";
import { DuckDbWorker, type DuckResult, type DuckStep, type DuckType } from "../sql/duckdb-worker.js";
import { type DatabricksType, databricksType, duckTypeText } from "../sql/types.js";

/** A column of a result, in the Statement Execution API's terms. */
export interface ResultColumn extends DatabricksType {
  name: string;
  position: number;
}

/**
 * Rows as JavaScript values of their column types: number (BYTE…INT, FLOAT, DOUBLE), bigint
 * (LONG), boolean, string (STRING, exact DECIMAL digits, DATE `YYYY-MM-DD`, TIMESTAMP ISO-8601),
 * Uint8Array (BINARY), arrays and objects (ARRAY, MAP, STRUCT), or null.
 */
export interface ResultSet {
  columns: ResultColumn[];
  rows: unknown[][];
}

/** An SQL error as the API reports it in `status.error` and `status.sql_state`. */
export class SqlFailure extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
    readonly sqlState: string,
  ) {
    super(message);
  }
}

export interface StatementParameter {
  name: string;
  value?: string | null;
  type?: string;
}

/** An in-memory DuckDB database speaking enough Databricks SQL for tests: UC names, named parameters, types. */
export class SqlEngine {
  private readonly db: DuckDbWorker;

  constructor(
    modulePath: string,
    private readonly clock: () => number,
  ) {
    this.db = new DuckDbWorker(modulePath);
  }

  /** Runs one statement; SQL errors become SqlFailure with the Databricks error class in the message. */
  execute(
    sql: string,
    parameters: StatementParameter[] = [],
    rowLimit?: number,
  ): ResultSet & { truncated: boolean } {
    if (NO_OP.test(sql)) return { columns: [], rows: [], truncated: false };
    if (hasManyStatements(sql)) {
      throw new SqlFailure(
        "BAD_REQUEST",
        "[PARSE_SYNTAX_ERROR] Syntax error: the statement holds more than one SQL statement; send one at a time.",
        "42601",
      );
    }
    const params = bindings(parameters);
    const text = toDuckDb(sql, {
      now: this.clock(),
      parameterTypes: Object.fromEntries(parameters.map((p) => [p.name, p.type ?? "STRING"])),
    });
    const used = Object.fromEntries(Object.entries(params).filter(([name]) => text.includes(`$${name}`)));
    const overwrite = INSERT_OVERWRITE.exec(text);
    const steps: DuckStep[] = overwrite
      ? [
          { sql: "BEGIN TRANSACTION" },
          { sql: `DELETE FROM ${overwrite[1]}` },
          { sql: `INSERT INTO ${text.slice(overwrite[0].length - overwrite[1]!.length)}`, params: used },
          { sql: "COMMIT" },
        ]
      : [{ sql: text, params: used }];
    let result: DuckResult;
    try {
      result = this.db.run(steps);
    } catch (e) {
      if (overwrite) this.rollback();
      throw asFailure(e as Error);
    }
    if (result.kind === "changes" || overwrite) {
      return { ...dmlResult(text, result.changes), truncated: false };
    }
    const columns = result.types.map((t, position) => ({
      name: result.names[position]!,
      position,
      ...databricksType(t),
    }));
    let rows = rowsOf(result);
    const truncated = rowLimit !== undefined && rows.length > rowLimit;
    if (truncated) rows = rows.slice(0, rowLimit);
    return { columns, rows, truncated };
  }

  /** Creates a table from column definitions (`[{ name, type }]`, Databricks type names) if it is missing. */
  createTable(fullName: string, columns: Array<{ name: string; type: string }>): void {
    const defs = columns.map((c) => `${quote(c.name)} ${duckTypeText(c.type)}`).join(", ");
    this.run(`CREATE TABLE IF NOT EXISTS ${quote(fullName)} (${defs})`);
  }

  /** Appends rows (arrays in column order); values are cast to the table's column types. */
  insertRows(fullName: string, columns: string[], rows: unknown[][]): void {
    if (!rows.length) return;
    const declared = new Map(this.tableColumns(fullName)?.map((c) => [c.name, c.type]));
    const types = columns.map((c) => duckTypeText(declared.get(c) ?? "STRING"));
    const values = rows.map((r) => `(${r.map((v, i) => `CAST(${literal(v)} AS ${types[i]})`).join(", ")})`);
    this.run(`INSERT INTO ${quote(fullName)} (${columns.map(quote).join(", ")}) VALUES ${values.join(", ")}`);
  }

  /** Declared columns of a table (Databricks type text), or undefined when it does not exist. */
  tableColumns(fullName: string): Array<{ name: string; type: string }> | undefined {
    let result: DuckResult;
    try {
      result = this.db.run([{ sql: `SELECT * FROM ${quote(fullName)} LIMIT 0` }]);
    } catch {
      return undefined;
    }
    return result.types.map((t, i) => ({ name: result.names[i]!, type: databricksType(t).type_text }));
  }

  close(): void {
    this.db.close();
  }

  private run(sql: string): void {
    try {
      this.db.run([{ sql }]);
    } catch (e) {
      throw asFailure(e as Error);
    }
  }

  private rollback(): void {
    try {
      this.db.run([{ sql: "ROLLBACK" }]);
    } catch {
      // no transaction was open
    }
  }
}

// Statements about catalogs, schemas and session settings have nothing to do in one database.
const NO_OP =
  /^\s*(USE\b|SET\b|CREATE\s+(CATALOG|SCHEMA|DATABASE)\b|DROP\s+(CATALOG|SCHEMA|DATABASE)\b|OPTIMIZE\b|ANALYZE\b)/i;
// `INSERT OVERWRITE [TABLE] t …` replaces the table's rows: DELETE then INSERT, in one transaction.
const INSERT_OVERWRITE = /^\s*INSERT\s+OVERWRITE\s+(?:TABLE\s+)?("(?:[^"]|"")+"|[\w$]+)/i;

/** A JavaScript value as an SQL literal (cast to the column type by the caller). */
function literal(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : `'${v}'`;
  if (typeof v === "bigint") return String(v);
  if (v instanceof Date) return `'${v.toISOString().replace("T", " ").replace("Z", "")}'`;
  if (v instanceof Uint8Array)
    return `'\\x${Buffer.from(v).toString("hex").match(/../g)?.join("\\x") ?? ""}'::BLOB`;
  if (Array.isArray(v)) return `[${v.map(literal).join(", ")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>);
    return `MAP {${entries.map(([k, x]) => `${literal(k)}: ${literal(x)}`).join(", ")}}`;
  }
  const text = String(v);
  // ISO-8601 instants ("…T…Z") as DuckDB reads timestamps.
  const iso = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d(?:\.\d+)?)Z$/.exec(text);
  return `'${(iso ? `${iso[1]} ${iso[2]}` : text).replace(/'/g, "''")}'`;
}

/** Named parameters as strings (the SQL casts them to their declared type), checked first. */
function bindings(parameters: StatementParameter[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const p of parameters) {
    const v = p.value ?? null;
    const type = typeNameOf(p.type ?? "STRING");
    const invalid =
      v !== null &&
      (((type === "LONG" || type === "INT" || type === "SHORT" || type === "BYTE") &&
        !/^\s*[-+]?\d+\s*$/.test(v)) ||
        ((type === "DOUBLE" || type === "FLOAT" || type === "DECIMAL") && Number.isNaN(Number(v))) ||
        (type === "BOOLEAN" && !/^\s*(true|false)\s*$/i.test(v)));
    if (invalid) {
      throw new SqlFailure(
        "BAD_REQUEST",
        `[INVALID_PARAMETER_MARKER_VALUE] The value '${v}' of parameter ${p.name} is not a valid ${p.type}.`,
        "22018",
      );
    }
    out[p.name] = v === null ? null : v.trim();
  }
  return out;
}

function dmlResult(sql: string, changes: number): ResultSet {
  const long = (name: string, position: number): ResultColumn => ({
    name,
    position,
    type_name: "LONG",
    type_text: "BIGINT",
  });
  if (/^\s*INSERT\b/i.test(sql)) {
    return {
      columns: [long("num_affected_rows", 0), long("num_inserted_rows", 1)],
      rows: [[BigInt(changes), BigInt(changes)]],
    };
  }
  if (/^\s*(UPDATE|DELETE|MERGE)\b/i.test(sql))
    return { columns: [long("num_affected_rows", 0)], rows: [[BigInt(changes)]] };
  return { columns: [], rows: [] };
}

const MS_PER_DAY = 86_400_000;

/** How each DuckDB column's raw values become the values of its Databricks type. */
function converter(t: DuckType): ((v: unknown) => unknown) | undefined {
  switch (t.typeId) {
    case 12:
    case 31:
      return (v) => new Date(Number((v as bigint) / 1000n)).toISOString();
    case 20:
      return (v) => new Date(Number(v) * 1000).toISOString();
    case 21:
      return (v) => new Date(Number(v)).toISOString();
    case 22:
      return (v) => new Date(Number((v as bigint) / 1_000_000n)).toISOString();
    case 13:
      return (v) => new Date((v as number) * MS_PER_DAY).toISOString().slice(0, 10);
    case 8:
    case 16:
      return (v) => BigInt(v as number | bigint);
    case 9:
    case 32:
      return (v) => String(v);
    case 26:
      return (v) =>
        Object.fromEntries(
          (v as Array<{ key: unknown; value: unknown }>).map((e) => [String(e.key), e.value]),
        );
    default:
      return undefined;
  }
}

function rowsOf(result: DuckResult): unknown[][] {
  const { columns, types } = result;
  const n = columns[0]?.values.length ?? 0;
  const rows = new Array<unknown[]>(n);
  for (let r = 0; r < n; r++) rows[r] = new Array(columns.length);
  columns.forEach(({ values, nulls }, c) => {
    const convert = converter(types[c]!);
    for (let r = 0; r < n; r++) {
      const v = nulls?.[r] ? null : values[r];
      rows[r]![c] = v === null || v === undefined ? null : convert ? convert(v) : v;
    }
  });
  return rows;
}

// DuckDB error messages and the Databricks error classes (and SQLSTATEs) they stand for.
const FAILURES: Array<[RegExp, (name: string) => [string, string]]> = [
  [
    /Table with name (.+?) does not exist/,
    (n) => [
      `[TABLE_OR_VIEW_NOT_FOUND] The table or view ${n} cannot be found. Verify the spelling and correctness of the schema and catalog.`,
      "42P01",
    ],
  ],
  [
    /Referenced column (.+?) not found/,
    (n) => [
      `[UNRESOLVED_COLUMN.WITHOUT_SUGGESTION] A column, variable, or function parameter with name ${n} cannot be resolved.`,
      "42703",
    ],
  ],
  [
    /Table with name (.+?) already exists/,
    (n) => [
      `[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table or view ${n} because it already exists.`,
      "42P07",
    ],
  ],
  [
    /prepared statement parameters: (.+)$/,
    (n) => [`[UNBOUND_SQL_PARAMETER] Found the unbound parameter: ${n.replace(/`/g, "")}.`, "42P02"],
  ],
  [
    /Function with name (.+?) does not exist/,
    (n) => [`[UNRESOLVED_ROUTINE] Cannot resolve routine ${n}.`, "42883"],
  ],
  [/Conversion Error: (.+)$/, () => ["", "22018"]],
  [/Parser Error: (.+)$/, () => ["", "42601"]],
];

function asFailure(e: Error): SqlFailure {
  if (e instanceof SqlFailure) return e;
  const msg = e.message.split("\n")[0]!;
  for (const [pattern, describeFailure] of FAILURES) {
    const m = pattern.exec(msg);
    if (!m) continue;
    const raw = m[1]!.replace(/^"|"$/g, "");
    const name = `\`${raw.split(".").join("`.`")}\``;
    const [text, sqlState] = describeFailure(name);
    const fallback =
      sqlState === "22018" ? `[CAST_INVALID_INPUT] ${m[1]}` : `[PARSE_SYNTAX_ERROR] Syntax error: ${m[1]}.`;
    return new SqlFailure("BAD_REQUEST", text || fallback, sqlState);
  }
  return new SqlFailure("BAD_REQUEST", msg, "42000");
}
