/**
 * Conversions between the notebook formats the Workspace API imports and exports. A notebook is kept
 * as its SOURCE text (cells separated by `COMMAND ----------` lines, without the file header).
 */

export type NotebookLanguage = "PYTHON" | "SQL" | "SCALA" | "R";

const COMMENT: Record<NotebookLanguage, string> = { PYTHON: "#", R: "#", SQL: "--", SCALA: "//" };
const EXTENSION: Record<NotebookLanguage, string> = { PYTHON: "py", R: "r", SQL: "sql", SCALA: "scala" };
const HEADER = /^(#|--|\/\/) Databricks notebook source[ \t]*\r?\n?/;

export function fileExtension(language: NotebookLanguage): string {
  return EXTENSION[language];
}

/** The language a SOURCE file's header comment implies, or undefined when it has no notebook header. */
export function headerLanguage(text: string, path: string): NotebookLanguage | undefined {
  const m = HEADER.exec(text);
  if (!m) return undefined;
  if (m[1] === "--") return "SQL";
  if (m[1] === "//") return "SCALA";
  return /\.r$/i.test(path) ? "R" : "PYTHON";
}

/** SOURCE text without the `Databricks notebook source` header line. */
export function stripHeader(text: string): string {
  return text.replace(HEADER, "");
}

/** The file SOURCE export produces: header line, then the cells. */
export function toSourceFile(language: NotebookLanguage, source: string): string {
  return `${COMMENT[language]} Databricks notebook source\n${source}`;
}

function separator(language: NotebookLanguage): string {
  return `\n\n${COMMENT[language]} COMMAND ----------\n\n`;
}

function cellsOf(language: NotebookLanguage, source: string): string[] {
  const c = COMMENT[language].replace(/\//g, "\\/");
  return source.split(new RegExp(`\\n*^${c} COMMAND -+[ \\t]*$\\n*`, "m"));
}

/** Reads a Jupyter notebook; throws when the text is not one. */
export function fromJupyter(text: string): { language: NotebookLanguage; source: string } {
  const nb = JSON.parse(text) as {
    cells?: Array<{ cell_type?: string; source?: string | string[] }>;
    metadata?: { language_info?: { name?: string }; kernelspec?: { language?: string } };
  };
  if (!nb || typeof nb !== "object" || !Array.isArray(nb.cells)) throw new Error("no cells");
  const declared = (
    nb.metadata?.language_info?.name ??
    nb.metadata?.kernelspec?.language ??
    "python"
  ).toUpperCase();
  const language: NotebookLanguage =
    (["PYTHON", "SQL", "SCALA", "R"] as const).find((l) => l === declared) ?? "PYTHON";
  const prefix = COMMENT[language];
  const cells = nb.cells.map((cell) => {
    const text = Array.isArray(cell.source) ? cell.source.join("") : (cell.source ?? "");
    if (cell.cell_type !== "markdown") return text;
    return [`${prefix} MAGIC %md`, ...text.split("\n").map((l) => `${prefix} MAGIC ${l}`.trimEnd())].join(
      "\n",
    );
  });
  return { language, source: cells.join(separator(language)) };
}

/** A Jupyter notebook (nbformat 4) with one cell per SOURCE cell; `%md` cells become markdown. */
export function toJupyter(language: NotebookLanguage, source: string, name: string): string {
  const magic = `${COMMENT[language]} MAGIC `;
  const cells = cellsOf(language, source).map((cell) => {
    const lines = cell.split("\n");
    if (lines[0]?.trim() === `${magic}%md`.trim()) {
      const text = lines
        .slice(1)
        .map((l) => (l.startsWith(magic) ? l.slice(magic.length) : l.replace(/^.*MAGIC ?/, "")));
      return { cell_type: "markdown", metadata: {}, source: withNewlines(text) };
    }
    return {
      cell_type: "code",
      execution_count: null,
      metadata: {},
      outputs: [],
      source: withNewlines(lines),
    };
  });
  const notebook = {
    cells,
    metadata: {
      application: "brickml emulator",
      language_info: { name: language.toLowerCase() },
      "application/vnd.databricks.v1+notebook": { notebookName: name, language: language.toLowerCase() },
    },
    nbformat: 4,
    nbformat_minor: 0,
  };
  return JSON.stringify(notebook, null, 1);
}

function withNewlines(lines: string[]): string[] {
  return lines.map((l, i) => (i < lines.length - 1 ? `${l}\n` : l));
}

/** An HTML page that shows the notebook and carries its source (so HTML exports can be imported again). */
export function toHtml(language: NotebookLanguage, source: string, name: string, extra = ""): string {
  const payload = Buffer.from(JSON.stringify({ language, source })).toString("base64");
  return [
    "<!DOCTYPE html>",
    `<html><head><meta charset="utf-8"><title>${escapeHtml(name)}</title>`,
    `<meta name="databricks-notebook" content="${payload}"></head>`,
    `<body><h1>${escapeHtml(name)}</h1><pre>${escapeHtml(source)}</pre>${extra}</body></html>`,
  ].join("\n");
}

/** Reads back an HTML page made by `toHtml`; throws for any other HTML. */
export function fromHtml(html: string): { language: NotebookLanguage; source: string } {
  const m = /<meta name="databricks-notebook" content="([A-Za-z0-9+/=]+)"/.exec(html);
  if (!m?.[1]) throw new Error("no notebook in this HTML");
  return JSON.parse(Buffer.from(m[1], "base64").toString("utf8"));
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
