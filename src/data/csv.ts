import { ValidationError } from "../core/errors.js";
import type { Columns } from "./dataframe.js";

/**
 * Columns of a CSV text (RFC 4180: a header row, `,` separators, `"` quoting with `""` for a
 * quote, CRLF or LF line ends). A column whose every non-empty value is a number becomes numbers;
 * others stay strings. Empty fields are null.
 */
export function csvColumns(text: string): Columns {
  const rows = csvRows(text.replace(/^\uFEFF/, ""));
  const header = rows.shift();
  if (!header?.length || header.every((h) => h === "")) {
    throw new ValidationError("CSV", [{ path: "header", message: "the first line must name the columns" }]);
  }
  const out: Record<string, unknown[]> = {};
  header.forEach((name, c) => {
    if (name in out) {
      throw new ValidationError("CSV", [{ path: `header[${c}]`, message: `column "${name}" repeats` }]);
    }
    const texts = rows.map((r) => r[c] ?? "");
    const numeric = texts.every((t) => t === "" || isNumber(t));
    out[name] = texts.map((t) => (t === "" ? null : numeric ? Number(t) : t));
  });
  return out;
}

function isNumber(text: string): boolean {
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text);
}

function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const endRow = () => {
    row.push(field);
    field = "";
    if (!(row.length === 1 && row[0] === "")) rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      endRow();
      if (c === "\r" && text[i + 1] === "\n") i++;
    } else field += c;
    i++;
  }
  if (quoted)
    throw new ValidationError("CSV", [
      { path: `row ${rows.length + 1}`, message: "a quote is never closed" },
    ]);
  if (field !== "" || row.length) endRow();
  return rows;
}
