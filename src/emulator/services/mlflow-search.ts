import { invalidParameter } from "../errors.js";

/**
 * MLflow's search filter grammar, the part the emulator needs: conditions joined by AND, each
 * `<entity>.<key> <op> <value>` with entity `tags`, `params`, `metrics` or `attributes` (or a
 * bare attribute name), op one of = != <> > >= < <= LIKE ILIKE, and a quoted string or a number.
 * Keys may be dotted (`tags.mlflow.runName`) or backquoted (`` params.`my key` ``).
 */

export type Entity = "tags" | "params" | "metrics" | "attributes";
export interface Condition {
  entity: Entity;
  key: string;
  op: string;
  value: string | number;
}
export interface OrderKey {
  entity: Entity;
  key: string;
  descending: boolean;
}
/** Reads a field of the searched object; undefined when it has none. */
export type FieldReader = (entity: Entity, key: string) => string | number | undefined;

const ENTITY: Record<string, Entity> = {
  tags: "tags",
  tag: "tags",
  params: "params",
  param: "params",
  parameter: "params",
  parameters: "params",
  metrics: "metrics",
  metric: "metrics",
  attributes: "attributes",
  attribute: "attributes",
  attr: "attributes",
  run: "attributes",
};

const IDENT = String.raw`(?:[A-Za-z_][\w]*\.)?(?:\x60[^\x60]+\x60|"[^"]+"|[\w.:/-]+)`;
const OP = String.raw`!=|<>|>=|<=|=|>|<|\bNOT\s+I?LIKE\b|\bI?LIKE\b`;
const VALUE = String.raw`'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?`;
const CONDITION = new RegExp(String.raw`^\s*(${IDENT})\s*(${OP})\s*(${VALUE})\s*`, "i");

export function parseFilter(filter: string | undefined): Condition[] {
  if (!filter?.trim()) return [];
  const out: Condition[] = [];
  let rest = filter;
  for (;;) {
    const m = CONDITION.exec(rest);
    if (!m) throw invalidParameter(`Invalid filter '${filter}': could not parse '${rest.trim()}'`);
    out.push({
      ...parseIdent(m[1]!),
      op: m[2]!.toUpperCase().replace(/\s+/g, " "),
      value: parseValue(m[3]!),
    });
    rest = rest.slice(m[0].length);
    if (!rest.trim()) return out;
    const and = /^AND\s+/i.exec(rest);
    if (!and) throw invalidParameter(`Invalid filter '${filter}': expected AND before '${rest.trim()}'`);
    rest = rest.slice(and[0].length);
  }
}

export function parseOrderBy(orderBy: string[] | undefined): OrderKey[] {
  return (orderBy ?? []).map((clause) => {
    const m = new RegExp(String.raw`^\s*(${IDENT})(?:\s+(ASC|DESC))?\s*$`, "i").exec(clause);
    if (!m) throw invalidParameter(`Invalid order_by clause '${clause}'`);
    return { ...parseIdent(m[1]!), descending: (m[2] ?? "ASC").toUpperCase() === "DESC" };
  });
}

export function matches(conditions: Condition[], read: FieldReader): boolean {
  return conditions.every((c) => compare(read(c.entity, c.key), c.op, c.value));
}

/** A comparator for `Array.sort`; objects lacking a key sort last. */
export function comparator<T>(keys: OrderKey[], read: (item: T) => FieldReader) {
  return (a: T, b: T): number => {
    for (const k of keys) {
      const x = read(a)(k.entity, k.key);
      const y = read(b)(k.entity, k.key);
      if (x === y) continue;
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      const order = x < y ? -1 : 1;
      return k.descending ? -order : order;
    }
    return 0;
  };
}

function parseIdent(ident: string): { entity: Entity; key: string } {
  const dot = ident.indexOf(".");
  const head = dot > 0 ? ident.slice(0, dot).toLowerCase() : "";
  const entity = ENTITY[head];
  const key = entity ? ident.slice(dot + 1) : ident;
  return { entity: entity ?? "attributes", key: key.replace(/^[`"]|[`"]$/g, "") };
}

function parseValue(v: string): string | number {
  if (v.startsWith("'")) return v.slice(1, -1).replace(/''/g, "'").replace(/\\(.)/g, "$1");
  if (v.startsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, "$1");
  return Number(v);
}

function compare(field: string | number | undefined, op: string, value: string | number): boolean {
  if (field === undefined) return false;
  if (op.endsWith("LIKE")) {
    const re = likePattern(String(value), op.includes("ILIKE"));
    return op.startsWith("NOT") ? !re.test(String(field)) : re.test(String(field));
  }
  const [x, y] = typeof value === "number" ? [Number(field), value] : [String(field), value];
  switch (op) {
    case "=":
      return x === y;
    case "!=":
    case "<>":
      return x !== y;
    case ">":
      return x > y;
    case ">=":
      return x >= y;
    case "<":
      return x < y;
    case "<=":
      return x <= y;
    default:
      throw invalidParameter(`Unsupported comparator '${op}'`);
  }
}

function likePattern(pattern: string, ignoreCase: boolean): RegExp {
  const body = pattern
    .split("")
    .map((ch) => (ch === "%" ? ".*" : ch === "_" ? "." : ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, ignoreCase ? "is" : "s");
}
