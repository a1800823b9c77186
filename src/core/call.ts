import type { Clock } from "./clock.js";
import type { RequestOptions } from "./http.js";

/**
 * The options of one public call, fixed where the call starts, so that every request, retry,
 * poll and step inside it shares one budget: a numeric `deadline` (ms from now) becomes the point
 * in time it ends, and the caller's signal and the wait's signal become one. Fixing options that
 * are already fixed changes nothing, so a method may pass its call's options to another one.
 */
export function fixCall(
  options: RequestOptions | undefined,
  clock: Clock,
  wait?: { signal?: AbortSignal | undefined },
): RequestOptions {
  const deadline = options?.deadline;
  const signal = anySignal(options?.signal, wait?.signal);
  return {
    ...options,
    ...(typeof deadline === "number" ? { deadline: new Date(clock.now() + deadline) } : {}),
    ...(signal ? { signal } : {}),
  };
}

/** The call's deadline as a time in ms, when it has one of its own. */
export function deadlineOf(options: RequestOptions | undefined): number | undefined {
  const d = options?.deadline;
  return d instanceof Date ? d.getTime() : undefined;
}

function anySignal(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  return a && b && a !== b ? AbortSignal.any([a, b]) : (a ?? b);
}
