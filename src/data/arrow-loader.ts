import type * as Arrow from "apache-arrow";
import { ConfigError } from "../core/errors.js";

export type ArrowModule = typeof Arrow;
export type ArrowTable = Arrow.Table;

let loading: Promise<ArrowModule> | undefined;

/**
 * apache-arrow is an optional peer, loaded on first use only: programs that never touch Arrow
 * neither install nor load it.
 */
export function loadArrow(): Promise<ArrowModule> {
  loading ??= import("apache-arrow").catch((e: Error) => {
    loading = undefined;
    throw new ConfigError(
      `Arrow tables need the optional package apache-arrow (npm install apache-arrow): ${e.message.split("\n")[0]}`,
    );
  });
  return loading;
}

/**
 * Recognises an Arrow table by shape rather than `instanceof`, so tables built by another copy of
 * apache-arrow (an application's own, or a driver's) are accepted too.
 */
export function isArrowTable(value: unknown): value is ArrowTable {
  const t = value as Partial<ArrowTable> | null;
  return (
    typeof t === "object" &&
    t !== null &&
    Array.isArray(t.batches) &&
    typeof t.numRows === "number" &&
    typeof t.schema === "object" &&
    typeof t.getChild === "function"
  );
}
