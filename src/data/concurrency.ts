import { abortReason } from "../core/clock.js";

/**
 * Runs `task` for every item with at most `limit` running at once and returns the results in
 * item order. The first failure aborts the tasks still running (through their signal) and rejects.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(abortReason(signal!));
  if (signal?.aborted) throw abortReason(signal);
  signal?.addEventListener("abort", onAbort, { once: true });
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      if (controller.signal.aborted) throw controller.signal.reason;
      const i = next++;
      results[i] = await task(items[i]!, i, controller.signal);
    }
  };
  try {
    const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
    await Promise.all(
      workers.map((w) =>
        w.catch((error) => {
          if (!controller.signal.aborted) controller.abort(error);
          throw error;
        }),
      ),
    );
    return results;
  } catch (error) {
    if (signal?.aborted) throw abortReason(signal);
    throw controller.signal.reason instanceof Error ? controller.signal.reason : error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
