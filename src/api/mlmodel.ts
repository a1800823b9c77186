/**
 * Reads the parts of an MLflow `MLmodel` file that registration needs. MLmodel files are YAML
 * written by PyYAML's `safe_dump`: block mappings, plain or quoted scalars (long quoted strings
 * folded over several lines), the odd block sequence. This reader covers that subset; it is not a
 * general YAML parser.
 */

export type YamlValue = string | null | YamlValue[] | { [key: string]: YamlValue };

export interface MlmodelSignature {
  /** The input schema as JSON text (MLflow stores the schema as a JSON string). */
  inputs?: string | undefined;
  outputs?: string | undefined;
  params?: string | undefined;
}

export interface Mlmodel {
  flavors: string[];
  signature?: MlmodelSignature | undefined;
  run_id?: string | undefined;
  artifact_path?: string | undefined;
  /** Every top-level key, as parsed. */
  raw: Record<string, YamlValue>;
}

interface Line {
  indent: number;
  text: string;
  no: number;
}

export function parseMlmodel(text: string): Mlmodel {
  const doc = parseYaml(text);
  const raw = doc && typeof doc === "object" && !Array.isArray(doc) ? doc : {};
  const flavors = raw.flavors && typeof raw.flavors === "object" ? Object.keys(raw.flavors) : [];
  const sig = raw.signature;
  const signature =
    sig && typeof sig === "object" && !Array.isArray(sig)
      ? { inputs: str(sig.inputs), outputs: str(sig.outputs), params: str(sig.params) }
      : undefined;
  return { flavors, signature, run_id: str(raw.run_id), artifact_path: str(raw.artifact_path), raw };
}

/**
 * Why Unity Catalog would refuse this model, or undefined when its signature declares both inputs
 * and outputs (the rule MLflow applies before registering into Unity Catalog).
 */
export function signatureProblem(model: Mlmodel): string | undefined {
  const sig = model.signature;
  if (!sig) return "its MLmodel has no signature";
  for (const part of ["inputs", "outputs"] as const) {
    const value = sig[part];
    if (value === undefined || value.trim() === "") return `its signature declares no ${part}`;
    let schema: unknown;
    try {
      schema = JSON.parse(value);
    } catch {
      return `its signature ${part} are not a JSON schema`;
    }
    if (!Array.isArray(schema) || schema.length === 0) return `its signature declares no ${part}`;
  }
  return undefined;
}

function str(v: YamlValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** Parses the YAML subset described above into plain values. */
export function parseYaml(text: string): YamlValue {
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, no) => {
    if (/^\s*(#.*)?$/.test(raw) || raw === "---") return;
    const indent = raw.length - raw.trimStart().length;
    lines.push({ indent, text: raw.trimEnd(), no });
  });
  const allLines = text.split(/\r?\n/);
  const state = { i: 0 };
  if (lines.length === 0) return null;
  return parseBlock(lines, allLines, state, lines[0]!.indent);
}

function parseBlock(lines: Line[], all: string[], st: { i: number }, indent: number): YamlValue {
  const first = lines[st.i];
  if (!first) return null;
  if (first.text.trimStart().startsWith("- ") || first.text.trim() === "-") {
    return parseSequence(lines, all, st, indent);
  }
  const out: Record<string, YamlValue> = {};
  while (st.i < lines.length) {
    const line = lines[st.i]!;
    if (line.indent < indent) break;
    if (line.indent > indent) {
      st.i++; // stray deeper line (e.g. a continuation we could not attach): skip it
      continue;
    }
    const m = /^\s*("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:#][^:]*?)\s*:(?:\s+(.*))?$/.exec(line.text);
    if (!m) break;
    const key = unquote(m[1]!);
    const rest = m[2]?.trim() ?? "";
    st.i++;
    out[key] = parseValue(rest, lines, all, st, indent, line);
  }
  return out;
}

function parseSequence(lines: Line[], all: string[], st: { i: number }, indent: number): YamlValue[] {
  const items: YamlValue[] = [];
  while (st.i < lines.length) {
    const line = lines[st.i]!;
    const trimmed = line.text.trimStart();
    if (line.indent !== indent || !(trimmed.startsWith("- ") || trimmed === "-")) break;
    const rest = trimmed === "-" ? "" : trimmed.slice(2).trim();
    if (/^[^'"][^:]*:(\s|$)/.test(rest) || /^['"].*['"]\s*:(\s|$)/.test(rest)) {
      // "- key: value" starts a mapping whose keys sit two columns right of the dash.
      lines[st.i] = { indent: indent + 2, text: `${" ".repeat(indent + 2)}${rest}`, no: line.no };
      items.push(parseBlock(lines, all, st, indent + 2));
    } else {
      st.i++;
      items.push(parseValue(rest, lines, all, st, indent, line));
    }
  }
  return items;
}

function parseValue(
  rest: string,
  lines: Line[],
  all: string[],
  st: { i: number },
  indent: number,
  line: Line,
): YamlValue {
  const next = lines[st.i];
  if (rest === "") {
    if (next && next.indent > indent) return parseBlock(lines, all, st, next.indent);
    // A sequence may sit at the same indentation as its key.
    if (next && next.indent === indent && next.text.trimStart().startsWith("- ")) {
      return parseSequence(lines, all, st, indent);
    }
    return null;
  }
  if (rest === "|" || rest === ">" || /^[|>][+-]?$/.test(rest)) {
    const body: string[] = [];
    while (st.i < lines.length && lines[st.i]!.indent > indent) body.push(lines[st.i++]!.text);
    const min = Math.min(...body.map((b) => b.length - b.trimStart().length));
    const text = body.map((b) => b.slice(min));
    return rest.startsWith("|") ? `${text.join("\n")}\n` : `${text.join(" ")}\n`;
  }
  if (rest.startsWith("'") || rest.startsWith('"')) {
    // Quoted scalars may continue over the following raw lines until the closing quote.
    let text = all[line.no]!.slice(all[line.no]!.indexOf(rest));
    let no = line.no;
    while (!closesQuote(text)) {
      no++;
      if (no >= all.length) break;
      const cont = all[no]!.trim();
      text += cont === "" ? "\n" : text.endsWith("\n") ? cont : ` ${cont}`;
      while (st.i < lines.length && lines[st.i]!.no <= no) st.i++;
    }
    return unquote(text.trim());
  }
  // Plain scalars may also fold over more-indented lines.
  let text = rest.replace(/\s+#.*$/, "");
  while (st.i < lines.length && lines[st.i]!.indent > indent && !/:\s|:$/.test(lines[st.i]!.text)) {
    text += ` ${lines[st.i++]!.text.trim()}`;
  }
  return text === "null" || text === "~" ? null : text;
}

function closesQuote(text: string): boolean {
  const q = text[0];
  if (q === "'") {
    let i = 1;
    while (i < text.length) {
      if (text[i] === "'") {
        if (text[i + 1] === "'") i += 2;
        else return true;
      } else i++;
    }
    return false;
  }
  let i = 1;
  while (i < text.length) {
    if (text[i] === "\\") i += 2;
    else if (text[i] === '"') return true;
    else i++;
  }
  return false;
}

function unquote(s: string): string {
  if (s.length >= 2 && s.startsWith("'") && s.endsWith("'")) return s.slice(1, -1).replace(/''/g, "'");
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) {
    try {
      return JSON.parse(s.replace(/\n/g, "\\n")) as string;
    } catch {
      return s.slice(1, -1);
    }
  }
  return s;
}
