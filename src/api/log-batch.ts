/** Per-request limits of `runs/log-batch`, as documented. */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;

export interface Batch<M, P, T> {
  metrics: M[];
  params: P[];
  tags: T[];
}

/**
 * Splits a batch into requests within the limits. Each kind keeps its order across requests
 * (metrics append, tags overwrite in order, so the last value still wins).
 */
export function splitBatch<M, P, T>(batch: Batch<M, P, T>): Batch<M, P, T>[] {
  const out: Batch<M, P, T>[] = [];
  let m = 0;
  let p = 0;
  let t = 0;
  do {
    const params = batch.params.slice(p, p + LOG_BATCH_LIMITS.params);
    const tags = batch.tags.slice(t, t + LOG_BATCH_LIMITS.tags);
    const room = Math.min(LOG_BATCH_LIMITS.metrics, LOG_BATCH_LIMITS.total - params.length - tags.length);
    const metrics = batch.metrics.slice(m, m + room);
    p += params.length;
    t += tags.length;
    m += metrics.length;
    out.push({ metrics, params, tags });
  } while (m < batch.metrics.length || p < batch.params.length || t < batch.tags.length);
  return out;
}
