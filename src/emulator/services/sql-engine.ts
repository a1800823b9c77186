import { createRequire } from "node:module";
import { typeNameOf } from "../../data/sql-types.js";

/** The part of better-sqlite3 the emulator uses. */
interface Database {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  function(name: string, fn: (...args: any[]) => unknown): void;
  transaction<F extends (...args: any[]) => any>(fn: F): F;
  close(): void;
}
interface Statement {
  reader: boolean;
  columns(): Array<{ name: string; type: string | null }>;
  raw(on: boolean): Statement;
  safeIntegers(on: boolean): Statement;
  all(params?: unknown): unknown[];
  run(params?: unknown): { changes: number };
}
type DatabaseConstructor = new (file: string) => Database;

/** A column of a result, in the Statement Execution API's terms. */
export interface ResultColumn {
  name: string;
  position: number;
  type_name: string;
  type_text: string;
  type_precision?: number;
  type_scale?: number;
}

/** Rows as SQLite returns them: bigint for integers, number, string, Buffer or null. */
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

let loaded: DatabaseConstructor | Error | undefined;

/**
 * better-sqlite3 is an optional dependency that only the emulator's SQL warehouse needs: it is
 * required on first use, so the emulator starts (and every other service works) without it.
 */
export function sqliteDriver(): DatabaseConstructor | Error {
  if (loaded === undefined) {
    try {
      const require = createRequire(typeof __filename === "string" ? __filename : import.meta.url);
      loaded = require("better-sqlite3") as DatabaseConstructor;
    } catch (e) {
      loaded = new Error(
        `The emulator's SQL warehouse needs the optional dependency better-sqlite3, which could not be loaded (${(e as Error).message.split("\n")[0]}). Install it with \`npm install better-sqlite3\`.`,
      );
    }
  }
  return loaded;
}

/** An in-memory SQL engine speaking enough Databricks SQL for tests: UC names, named parameters, types. */
export class SqlEngine {
  private readonly db: Database;

  constructor(Driver: DatabaseConstructor, clock: () => number, random: () => number) {
    this.db = new Driver(":memory:");
    // Databricks functions SQLite lacks, on the emulator's clock.
    const nowIso = () => new Date(clock()).toISOString();
    this.db.function("brickml_current_timestamp", nowIso);
    this.db.function("brickml_current_date", () => nowIso().slice(0, 10));
    this.db.function("now", nowIso);
    this.db.function("rand", () => random());
  }

  /** Runs one statement; SQL errors become SqlFailure with the Databricks error class in the message. */
  execute(
    sql: string,
    parameters: StatementParameter[] = [],
    rowLimit?: number,
  ): ResultSet & { truncated: boolean } {
    const text = toSqlite(sql);
    if (NO_OP.test(text)) return { columns: [], rows: [], truncated: false };
    const replace = REPLACE.exec(text);
    try {
      if (replace) this.db.exec(`DROP ${replace[1]!.toUpperCase()} IF EXISTS ${replace[2]}`);
      const stmt = this.db.prepare(replace ? text.replace(/\s+OR\s+REPLACE\b/i, "") : text);
      const params = bindings(parameters);
      if (!stmt.reader) {
        const { changes } = stmt.run(params);
        return { ...dmlResult(text, changes), truncated: false };
      }
      let rows = stmt.raw(true).safeIntegers(true).all(params) as unknown[][];
      const truncated = rowLimit !== undefined && rows.length > rowLimit;
      if (truncated) rows = rows.slice(0, rowLimit);
      return { columns: describe(stmt.columns(), rows), rows, truncated };
    } catch (e) {
      throw asFailure(e as Error);
    }
  }

  /** Creates a table from column definitions (`[{ name, type }]`, Databricks type names) if it is missing. */
  createTable(fullName: string, columns: Array<{ name: string; type: string }>): void {
    // Complex types (`ARRAY<STRING>`, `MAP<…>`) are kept as quoted type names, so results still
    // describe them; SQLite stores their values as JSON text.
    const defs = columns
      .map((c) => `${quote(c.name)} ${c.type.includes("<") ? quote(c.type) : toSqlite(c.type)}`)
      .join(", ");
    this.db.exec(`CREATE TABLE IF NOT EXISTS ${quote(fullName)} (${defs})`);
  }

  insertRows(fullName: string, columns: string[], rows: unknown[][]): void {
    if (!rows.length) return;
    const stmt = this.db.prepare(
      `INSERT INTO ${quote(fullName)} (${columns.map(quote).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
    );
    const insert = this.db.transaction((all: unknown[][]) => {
      for (const r of all) stmt.run(r.map(sqliteValue));
    });
    insert(rows);
  }

  /** Declared columns of a table, or undefined when it does not exist. */
  tableColumns(fullName: string): Array<{ name: string; type: string }> | undefined {
    const info = this.db.prepare(`PRAGMA table_info(${quote(fullName)})`).all() as Array<{
      name: string;
      type: string;
    }>;
    return info.length ? info.map((c) => ({ name: c.name, type: c.type })) : undefined;
  }

  close(): void {
    this.db.close();
  }
}

// Statements about catalogs, schemas and session settings have nothing to do in one SQLite file.
const NO_OP =
  /^\s*(USE\b|SET\b|CREATE\s+(CATALOG|SCHEMA|DATABASE)\b|DROP\s+(CATALOG|SCHEMA|DATABASE)\b|OPTIMIZE\b|ANALYZE\b)/i;
const REPLACE = /^\s*CREATE\s+OR\s+REPLACE\s+(TABLE|VIEW)\s+("(?:[^"]|"")+"|[\w$]+)/i;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Rewrites Databricks SQL for SQLite: a three-part name `catalog.schema.table` (plain or with
 * backticks) becomes one quoted identifier, `STRING` becomes `TEXT` (SQLite would give STRING
 * numeric affinity and turn '007' into 7), and `USING DELTA` is dropped. Literals and comments are
 * left alone.
 */
export function toSqlite(sql: string): string {
  const tokens = tokenize(sql);
  let out = "";
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === "ident") {
      const parts = [t.name];
      let j = i;
      for (
        let next = tokens[j + 2];
        parts.length < 3 && tokens[j + 1]?.text === "." && next?.kind === "ident";
      ) {
        parts.push(next.name);
        j += 2;
        next = tokens[j + 2];
      }
      if (parts.length === 3) {
        out += quote(parts.join("."));
        i = j;
        continue;
      }
      const clockFn = t.quoted ? undefined : /^current_(timestamp|date)$/i.exec(t.name);
      if (clockFn) {
        // SQLite's CURRENT_TIMESTAMP keyword reads the wall clock; the emulator's clock is virtual.
        out += `brickml_current_${clockFn[1]!.toLowerCase()}()`;
        if (tokens[i + 1]?.text === "(" && tokens[i + 2]?.text === ")") i += 2;
        continue;
      }
      if (!t.quoted && /^string$/i.test(t.name)) {
        out += "TEXT";
        continue;
      }
      if (
        !t.quoted &&
        /^using$/i.test(t.name) &&
        tokens[i + 1]?.kind === "space" &&
        /^delta$/i.test(tokens[i + 2]?.text ?? "")
      ) {
        i += 2;
        continue;
      }
      out += t.quoted ? quote(t.name) : t.text;
      continue;
    }
    out += t.text;
  }
  return out;
}

type Token =
  | { kind: "ident"; text: string; name: string; quoted: boolean }
  | { kind: "space" | "other"; text: string };

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const until = (end: string, from: number) => {
    const k = sql.indexOf(end, from);
    return k < 0 ? sql.length : k + end.length;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    let end: number;
    if (c === "'") {
      end = i + 1;
      while (end < sql.length && !(sql[end] === "'" && sql[end + 1] !== "'")) end += sql[end] === "'" ? 2 : 1;
      end = Math.min(sql.length, end + 1);
      tokens.push({ kind: "other", text: sql.slice(i, end) });
    } else if (c === "-" && sql[i + 1] === "-") {
      end = until("\n", i);
      tokens.push({ kind: "other", text: sql.slice(i, end) });
    } else if (c === "/" && sql[i + 1] === "*") {
      end = until("*/", i + 2);
      tokens.push({ kind: "other", text: sql.slice(i, end) });
    } else if (c === "`" || c === '"') {
      end = until(c, i + 1);
      tokens.push({ kind: "ident", text: sql.slice(i, end), name: sql.slice(i + 1, end - 1), quoted: true });
    } else if (/[A-Za-z_]/.test(c)) {
      end = i + 1;
      while (end < sql.length && /[\w$]/.test(sql[end]!)) end++;
      const word = sql.slice(i, end);
      // `:name` parameter markers stay as they are.
      tokens.push(
        sql[i - 1] === ":"
          ? { kind: "other", text: word }
          : { kind: "ident", text: word, name: word, quoted: false },
      );
    } else if (/\s/.test(c)) {
      end = i + 1;
      while (end < sql.length && /\s/.test(sql[end]!)) end++;
      tokens.push({ kind: "space", text: sql.slice(i, end) });
    } else {
      end = i + 1;
      tokens.push({ kind: "other", text: c });
    }
    i = end;
  }
  return tokens;
}

/** Named parameters as SQLite bindings, typed by their declared SQL type (default STRING). */
function bindings(parameters: StatementParameter[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of parameters) {
    const v = p.value;
    if (v === null || v === undefined) {
      out[p.name] = null;
      continue;
    }
    switch (typeNameOf(p.type ?? "STRING")) {
      case "LONG":
      case "INT":
      case "SHORT":
      case "BYTE":
        if (!/^\s*[-+]?\d+\s*$/.test(v)) {
          throw new SqlFailure(
            "BAD_REQUEST",
            `[INVALID_PARAMETER_MARKER_VALUE] The value '${v}' of parameter ${p.name} is not a valid ${p.type}.`,
            "22018",
          );
        }
        out[p.name] = BigInt(v.trim());
        break;
      case "DOUBLE":
      case "FLOAT":
      case "DECIMAL":
        if (Number.isNaN(Number(v))) {
          throw new SqlFailure(
            "BAD_REQUEST",
            `[INVALID_PARAMETER_MARKER_VALUE] The value '${v}' of parameter ${p.name} is not a valid ${p.type}.`,
            "22018",
          );
        }
        out[p.name] = Number(v);
        break;
      case "BOOLEAN":
        out[p.name] = /^true$/i.test(v) ? 1n : 0n;
        break;
      default:
        out[p.name] = v;
    }
  }
  return out;
}

function sqliteValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (v !== null && typeof v === "object") return JSON.stringify(v);
  return v;
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

/** Result columns typed from their declared type, or from the values for expressions. */
function describe(columns: Array<{ name: string; type: string | null }>, rows: unknown[][]): ResultColumn[] {
  return columns.map((c, position) => {
    const declared = c.type ? typeNameOf(c.type) : undefined;
    if (declared) {
      const text = c
        .type!.toUpperCase()
        .replace(/^TEXT$/, "STRING")
        .replace(/^INTEGER$/, "INT");
      const column: ResultColumn = { name: c.name, position, type_name: declared, type_text: text };
      if (declared === "DECIMAL") {
        const m = /\(\s*(\d+)\s*(?:,\s*(\d+))?\s*\)/.exec(c.type!);
        column.type_precision = m ? Number(m[1]) : 10;
        column.type_scale = m?.[2] ? Number(m[2]) : 0;
      }
      return column;
    }
    const sample = rows.find((r) => r[position] !== null && r[position] !== undefined)?.[position];
    const [type_name, type_text] =
      typeof sample === "bigint"
        ? ["LONG", "BIGINT"]
        : typeof sample === "number"
          ? ["DOUBLE", "DOUBLE"]
          : sample instanceof Uint8Array
            ? ["BINARY", "BINARY"]
            : sample === undefined
              ? ["NULL", "VOID"]
              : ["STRING", "STRING"];
    return { name: c.name, position, type_name, type_text };
  });
}

// SQLite error messages and the Databricks error classes (and SQLSTATEs) they stand for.
const FAILURES: Array<[RegExp, (name: string, raw: string) => [string, string]]> = [
  [
    /no such table: (.+)$/,
    (n) => [
      `[TABLE_OR_VIEW_NOT_FOUND] The table or view ${n} cannot be found. Verify the spelling and correctness of the schema and catalog.`,
      "42P01",
    ],
  ],
  [
    /no such column: (.+)$/,
    (n) => [
      `[UNRESOLVED_COLUMN.WITHOUT_SUGGESTION] A column, variable, or function parameter with name ${n} cannot be resolved.`,
      "42703",
    ],
  ],
  [
    /table (.+) already exists/,
    (n) => [
      `[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table or view ${n} because it already exists.`,
      "42P07",
    ],
  ],
  [
    /Missing named parameter "(.+)"/,
    (_n, raw) => [`[UNBOUND_SQL_PARAMETER] Found the unbound parameter: ${raw}.`, "42P02"],
  ],
  [/no such function: (.+)$/, (n) => [`[UNRESOLVED_ROUTINE] Cannot resolve routine ${n}.`, "42883"]],
  [/(syntax error|incomplete input|more than one statement)/, (_n, _raw) => ["", "42601"]],
];

function asFailure(e: Error): SqlFailure {
  if (e instanceof SqlFailure) return e;
  const msg = e.message;
  for (const [pattern, describeFailure] of FAILURES) {
    const m = pattern.exec(msg);
    if (!m) continue;
    const raw = m[1]!;
    const name = `\`${raw.replace(/^"|"$/g, "").split(".").join("`.`")}\``;
    const [text, sqlState] = describeFailure(name, raw);
    return new SqlFailure("BAD_REQUEST", text || `[PARSE_SYNTAX_ERROR] Syntax error: ${msg}.`, sqlState);
  }
  return new SqlFailure("BAD_REQUEST", msg, "42000");
}
