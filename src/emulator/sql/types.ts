import type { DuckType } from "./duckdb-worker.js";

/** A result column's type in the Statement Execution API's terms. */
export interface DatabricksType {
  type_name: string;
  type_text: string;
  type_precision?: number;
  type_scale?: number;
}

// DuckDB type ids (duckdb.h) and the Databricks types they stand for. HUGEINT is what DuckDB's
// SUM of integers gives, where Databricks gives BIGINT; unsigned types have no Databricks twin.
const SIMPLE: Record<number, [string, string]> = {
  1: ["BOOLEAN", "BOOLEAN"],
  2: ["BYTE", "TINYINT"],
  3: ["SHORT", "SMALLINT"],
  4: ["INT", "INT"],
  5: ["LONG", "BIGINT"],
  6: ["SHORT", "SMALLINT"],
  7: ["INT", "INT"],
  8: ["LONG", "BIGINT"],
  10: ["FLOAT", "FLOAT"],
  11: ["DOUBLE", "DOUBLE"],
  12: ["TIMESTAMP", "TIMESTAMP"],
  13: ["DATE", "DATE"],
  14: ["STRING", "STRING"],
  15: ["INTERVAL", "INTERVAL"],
  16: ["LONG", "BIGINT"],
  17: ["STRING", "STRING"],
  18: ["BINARY", "BINARY"],
  20: ["TIMESTAMP", "TIMESTAMP"],
  21: ["TIMESTAMP", "TIMESTAMP"],
  22: ["TIMESTAMP", "TIMESTAMP"],
  23: ["STRING", "STRING"],
  27: ["STRING", "STRING"],
  31: ["TIMESTAMP", "TIMESTAMP"],
  36: ["NULL", "VOID"],
};

/** The Databricks type of a DuckDB result column. */
export function databricksType(t: DuckType): DatabricksType {
  switch (t.typeId) {
    case 9:
    case 32:
    case 35:
      return { type_name: "DECIMAL", type_text: "DECIMAL(38,0)", type_precision: 38, type_scale: 0 };
    case 19:
      return {
        type_name: "DECIMAL",
        type_text: `DECIMAL(${t.width},${t.scale})`,
        type_precision: t.width!,
        type_scale: t.scale!,
      };
    case 24:
    case 33:
      return { type_name: "ARRAY", type_text: `ARRAY<${databricksType(t.valueType!).type_text}>` };
    case 26:
      return {
        type_name: "MAP",
        type_text: `MAP<${databricksType(t.keyType!).type_text}, ${databricksType(t.valueType!).type_text}>`,
      };
    case 25:
      return {
        type_name: "STRUCT",
        type_text: `STRUCT<${t.entryNames!.map((n, i) => `${n}: ${databricksType(t.entryTypes![i]!).type_text}`).join(", ")}>`,
      };
    default: {
      const [type_name, type_text] = SIMPLE[t.typeId] ?? ["STRING", "STRING"];
      return { type_name, type_text };
    }
  }
}

// Databricks spellings DuckDB does not know.
const RENAMES: Record<string, string> = {
  LONG: "BIGINT",
  SHORT: "SMALLINT",
  BYTE: "TINYINT",
  TIMESTAMP_NTZ: "TIMESTAMP",
  TIMESTAMP_LTZ: "TIMESTAMP",
  VOID: "INTEGER",
};

/**
 * A Databricks type text (`BIGINT`, `DECIMAL(10,2)`, `ARRAY<STRING>`, `MAP<STRING, INT>`,
 * `STRUCT<a: INT, b: STRING>`) in DuckDB's syntax (`VARCHAR[]`, `MAP(…)`, `STRUCT("a" …)`).
 */
export function duckTypeText(text: string): string {
  const tokens = text.match(/[A-Za-z_][\w]*|`[^`]*`|\d+|[<>(),:]/g) ?? [];
  let i = 0;
  const next = () => tokens[i++];
  const parse = (): string => {
    const word = next() ?? "";
    const upper = word.toUpperCase();
    if (tokens[i] === "<") {
      i++;
      let out: string;
      if (upper === "ARRAY") out = `${parse()}[]`;
      else if (upper === "MAP") {
        const key = parse();
        i++; // ,
        out = `MAP(${key}, ${parse()})`;
      } else {
        const fields: string[] = [];
        while (tokens[i] !== undefined && tokens[i] !== ">") {
          const name = next()!.replace(/^`|`$/g, "");
          if (tokens[i] === ":") i++;
          fields.push(`"${name.replace(/"/g, '""')}" ${parse()}`);
          if (tokens[i] === ",") i++;
        }
        out = `STRUCT(${fields.join(", ")})`;
      }
      i++; // >
      return out;
    }
    if (tokens[i] === "(") {
      const args: string[] = [];
      i++;
      while (tokens[i] !== undefined && tokens[i] !== ")") {
        if (tokens[i] !== ",") args.push(tokens[i]!);
        i++;
      }
      i++;
      return `${upper}(${args.join(",")})`;
    }
    return RENAMES[upper] ?? upper;
  };
  return parse();
}
