/**
 * Where MLflow artifacts live in the Files API. On Databricks a run's `artifact_uri` is
 * `dbfs:/databricks/mlflow-tracking/<experiment_id>/<run_id>/artifacts`, and MLflow reads and
 * writes it through the Files API root `/WorkspaceInternal/Mlflow/Artifacts/<experiment_id>/Runs/<run_id>/artifacts`.
 * Runs whose artifacts live in a Unity Catalog volume use the volume path directly.
 */

const TRACKING = /^dbfs:\/databricks\/mlflow-tracking\/([^/]+)\/([^/]+)(\/.*)?$/;
const VOLUME = /^(?:dbfs:)?(\/Volumes\/.+)$/;

/** The Files API path of an artifact URI, or undefined when it is not stored where the Files API reaches. */
export function filesPathOfArtifactUri(uri: string): string | undefined {
  const trimmed = uri.replace(/\/+$/, "");
  const tracking = TRACKING.exec(trimmed);
  if (tracking) {
    const [, experimentId, runId, rest] = tracking;
    return `/WorkspaceInternal/Mlflow/Artifacts/${experimentId}/Runs/${runId}${rest ?? ""}`;
  }
  const volume = VOLUME.exec(trimmed);
  return volume ? volume[1] : undefined;
}

/** The artifact URI of a run, as Databricks assigns it. */
export function runArtifactUri(experimentId: string, runId: string): string {
  return `dbfs:/databricks/mlflow-tracking/${experimentId}/${runId}/artifacts`;
}

/** `runs:/<run_id>/<path>` split into its parts; undefined for other URIs. */
export function parseRunsUri(uri: string): { run_id: string; path: string } | undefined {
  const m = /^runs:\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!m) return undefined;
  return { run_id: m[1]!, path: (m[2] ?? "").replace(/^\/+|\/+$/g, "") };
}

/** The Files API folder of a Unity Catalog model version's files. */
export function modelVersionFilesRoot(
  catalog: string,
  schema: string,
  model: string,
  version: number,
): string {
  return `/Models/${catalog}/${schema}/${model}/${version}`;
}

/** A relative artifact path: no leading slash, no empty, `.` or `..` segments. */
export function relativePathProblem(path: string): string | undefined {
  if (path.startsWith("/")) return "must be relative to the run's artifact root (no leading '/')";
  const segments = path.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    return "must not contain empty, '.' or '..' segments";
  }
  if (hasControlCharacter(path)) return "must not contain control characters";
  return undefined;
}

/** An absolute Files API path: starts with `/`, no empty, `.` or `..` segments. */
export function absolutePathProblem(path: string, { directory = false } = {}): string | undefined {
  if (!path.startsWith("/")) return "must be an absolute path, e.g. /Volumes/main/default/my_volume/data.csv";
  const body = directory ? path.replace(/\/$/, "") : path;
  const segments = body.slice(1).split("/");
  if (body === "" || segments.some((s) => s === "" || s === "." || s === "..")) {
    return "must not contain empty, '.' or '..' segments";
  }
  if (hasControlCharacter(path)) return "must not contain control characters";
  return undefined;
}

function hasControlCharacter(s: string): boolean {
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
