import { duckTypeText } from "./types.js";

export const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export interface DialectContext {
  /** The emulator's clock, for `current_timestamp()` and friends. */
  now: number;
  /** Declared types of the statement's named parameters (Databricks type text). */
  parameterTypes?: Record<string, string>;
}

/**
 * Rewrites Databricks SQL for DuckDB: a three-part name `catalog.schema.table` (plain or with
 * backticks) becomes one quoted identifier, complex types (`ARRAY<STRING>`, `MAP<…>`, `STRUCT<…>`)
 * take DuckDB's syntax, `:name` parameter markers become `$name` cast to their declared type,
 * `current_timestamp()`/`current_date()`/`now()` read the emulator's clock, `rand()` is
 * `random()`, and `USING DELTA` is dropped. Literals and comments are left alone.
 */
export function toDuckDb(sql: string, context: DialectContext): string {
  const tokens = tokenize(sql);
  const nowIso = new Date(context.now).toISOString();
  let out = "";
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === "parameter") {
      const type = context.parameterTypes?.[t.name];
      out += type === undefined ? `$${t.name}` : `CAST($${t.name} AS ${duckTypeText(type)})`;
      continue;
    }
    if (t.kind === "number") {
      const m = /^(.*?)(BD|[DLYSF])$/i.exec(t.text);
      out += m ? `CAST(${m[1]} AS ${SUFFIXES[m[2]!.toUpperCase()]})` : t.text;
      continue;
    }
    if (t.kind !== "ident") {
      out += t.text;
      continue;
    }
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
    if (t.quoted) {
      out += quote(t.name);
      continue;
    }
    const word = t.name.toLowerCase();
    const called = tokens[i + 1]?.text === "(" && tokens[i + 2]?.text === ")";
    if (word === "current_timestamp" || word === "current_date" || (word === "now" && called)) {
      // The warehouse's clock is the emulator's (virtual) clock, not the wall clock.
      out += word === "current_date" ? `DATE '${nowIso.slice(0, 10)}'` : `TIMESTAMP '${nowIso.slice(0, 23)}'`;
      if (called) i += 2;
      continue;
    }
    if (word === "rand" && tokens[i + 1]?.text === "(") {
      out += "random";
      continue;
    }
    if ((word === "array" || word === "map" || word === "struct") && tokens[i + 1]?.text === "<") {
      const end = closingAngle(tokens, i + 1);
      out += duckTypeText(
        tokens
          .slice(i, end + 1)
          .map((x) => x.text)
          .join(""),
      );
      i = end;
      continue;
    }
    if (word === "using" && tokens[i + 1]?.kind === "space" && /^delta$/i.test(tokens[i + 2]?.text ?? "")) {
      i += 2;
      continue;
    }
    out += t.text;
  }
  return out;
}

// Typed numeric literals: 2.5D, 7L, 1Y, 1S, 1.5BD, 1.5F.
const SUFFIXES: Record<string, string> = {
  D: "DOUBLE",
  L: "BIGINT",
  Y: "TINYINT",
  S: "SMALLINT",
  BD: "DECIMAL(38,18)",
  F: "FLOAT",
};

function closingAngle(tokens: Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    if (tokens[k]!.text === "<") depth++;
    else if (tokens[k]!.text === ">" && --depth === 0) return k;
  }
  return tokens.length - 1;
}

type Token =
  | { kind: "ident"; text: string; name: string; quoted: boolean }
  | { kind: "parameter"; text: string; name: string }
  | { kind: "space" | "other" | "number"; text: string };

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
    } else if (c === ":" && sql[i + 1] !== ":" && sql[i - 1] !== ":" && /[A-Za-z_]/.test(sql[i + 1] ?? "")) {
      end = i + 2;
      while (end < sql.length && /\w/.test(sql[end]!)) end++;
      tokens.push({ kind: "parameter", text: sql.slice(i, end), name: sql.slice(i + 1, end) });
    } else if (/\d/.test(c) && !/[\w$]/.test(sql[i - 1] ?? "")) {
      const m = /^(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?(BD|[DLYSF](?![\w$]))?/i.exec(sql.slice(i))!;
      end = i + m[0].length;
      tokens.push({ kind: "number", text: m[0] });
    } else if (/[A-Za-z_]/.test(c)) {
      end = i + 1;
      while (end < sql.length && /[\w$]/.test(sql[end]!)) end++;
      const word = sql.slice(i, end);
      tokens.push({ kind: "ident", text: word, name: word, quoted: false });
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

/** True when the text holds more than one statement (the API runs exactly one). */
export function hasManyStatements(sql: string): boolean {
  const tokens = tokenize(sql);
  const end = tokens.findIndex((t) => t.text === ";");
  return (
    end >= 0 &&
    tokens.slice(end + 1).some((t) => t.kind !== "space" && t.text !== ";" && !/^(--|\/\*)/.test(t.text))
  );
}
