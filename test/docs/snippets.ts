import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * How a ```ts block of the docs is tested, set by an HTML comment on the line before its fence:
 * `<!-- snippet: partial -->` skips a fragment that relies on names defined elsewhere, `<!-- snippet: run -->`
 * also runs it against the emulator. Unmarked blocks are type-checked.
 */
export type SnippetMode = "check" | "partial" | "run";

export interface Snippet {
  /** Markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the block's first code line in `file`. */
  line: number;
  code: string;
  mode: SnippetMode;
}

const MARKER = /^<!--\s*snippet:\s*(\S+)\s*-->$/;
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;

/** The ```ts and ```typescript blocks of one Markdown text. */
export function extractSnippets(file: string, markdown: string): Snippet[] {
  const lines = markdown.split("\n");
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, , fence, lang] = open;
    const end = lines.findIndex((l, j) => j > i && l.trim().startsWith(fence!) && l.trim() === fence);
    if (end < 0) throw new Error(`${file}:${i + 1}: code block never closed`);
    if (lang === "ts" || lang === "typescript") {
      const marker = MARKER.exec(lines[i - 1]?.trim() ?? "")?.[1];
      if (marker !== undefined && marker !== "partial" && marker !== "run") {
        throw new Error(`${file}:${i}: unknown snippet marker "${marker}" (use partial or run)`);
      }
      out.push({ file, line: i + 2, code: lines.slice(i + 1, end).join("\n"), mode: marker ?? "check" });
    }
    i = end;
  }
  return out;
}

/** Every TypeScript block of README.md and docs/*.md. */
export function docSnippets(root: string): Snippet[] {
  const docs = readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => join(root, "docs", f));
  return [join(root, "README.md"), ...docs].flatMap((path) =>
    extractSnippets(relative(root, path), readFileSync(path, "utf8")),
  );
}
