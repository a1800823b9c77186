"""Tracking calls over the emulator's MLflow REST API."""

import json
import os

from brickml_local import api
from brickml_local.context import CONTEXT, job_tags, now_ms

BASE = "/api/2.0/mlflow"


class MlflowException(Exception):
    pass


class _Info:
    def __init__(self, info):
        self.run_id = info["run_id"]
        self.run_uuid = info["run_id"]
        self.experiment_id = info["experiment_id"]
        self.run_name = info.get("run_name")
        self.artifact_uri = info["artifact_uri"]
        self.status = info.get("status")
        self.start_time = info.get("start_time")


class _Data:
    def __init__(self, data):
        self.params = {p["key"]: p["value"] for p in data.get("params", [])}
        self.metrics = {m["key"]: m["value"] for m in data.get("metrics", [])}
        self.tags = {t["key"]: t["value"] for t in data.get("tags", [])}


class ActiveRun:
    """What start_run returns; ends the run when used as a context manager."""

    def __init__(self, run):
        self.info = _Info(run["info"])
        self.data = _Data(run.get("data", {}))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        end_run("FINISHED" if exc_type is None else "FAILED")
        return False


_state = {"experiment_id": None, "run": None, "last": None}


def get_tracking_uri():
    return "databricks"


def set_tracking_uri(uri):
    if uri not in ("databricks", None) and not str(uri).startswith("databricks"):
        raise MlflowException(
            f"The brickml emulator tracks to itself; set_tracking_uri({uri!r}) is not supported"
        )


def get_experiment_by_name(name):
    try:
        return api.get(f"{BASE}/experiments/get-by-name", experiment_name=name)["experiment"]
    except api.ApiError as e:
        if e.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise


def set_experiment(experiment_name=None, experiment_id=None):
    if experiment_id is not None:
        exp = api.get(f"{BASE}/experiments/get", experiment_id=str(experiment_id))["experiment"]
    else:
        if not experiment_name:
            raise MlflowException("set_experiment needs experiment_name or experiment_id")
        exp = get_experiment_by_name(experiment_name)
        if exp is None:
            created = api.post(f"{BASE}/experiments/create", {"name": experiment_name})
            exp = {"experiment_id": created["experiment_id"], "name": experiment_name}
    _state["experiment_id"] = exp["experiment_id"]
    return exp


def _default_experiment_id():
    if _state["experiment_id"] is None:
        name = os.environ.get("MLFLOW_EXPERIMENT_NAME") or CONTEXT.get("notebookPath")
        if not name:
            raise MlflowException("No experiment: call mlflow.set_experiment(name) first")
        set_experiment(name)
    return _state["experiment_id"]


def start_run(run_id=None, experiment_id=None, run_name=None, nested=False, tags=None, description=None):
    if _state["run"] is not None:
        raise MlflowException(
            f"Run with UUID {_state['run'].info.run_id} is already active. To start a new run, first end "
            "the current run with mlflow.end_run(). Nested runs are not supported by the brickml "
            "emulator's mlflow module."
        )
    if run_id is not None:
        run = api.get(f"{BASE}/runs/get", run_id=run_id)["run"]
        api.post(f"{BASE}/runs/update", {"run_id": run_id, "status": "RUNNING"})
    else:
        all_tags = {**job_tags(), **{k: str(v) for k, v in (tags or {}).items()}}
        if description:
            all_tags["mlflow.note.content"] = description
        body = {
            "experiment_id": str(experiment_id or _default_experiment_id()),
            "start_time": now_ms(),
            "tags": [{"key": k, "value": v} for k, v in all_tags.items()],
        }
        if run_name:
            body["run_name"] = run_name
        run = api.post(f"{BASE}/runs/create", body)["run"]
    _state["run"] = ActiveRun(run)
    return _state["run"]


def active_run():
    return _state["run"]


def last_active_run():
    return _state["run"] or _state["last"]


def end_run(status="FINISHED"):
    run = _state["run"]
    if run is None:
        return
    api.post(f"{BASE}/runs/update", {"run_id": run.info.run_id, "status": status, "end_time": now_ms()})
    _state["last"], _state["run"] = run, None


def _run_id():
    if _state["run"] is None:
        start_run()
    return _state["run"].info.run_id


def log_param(key, value):
    api.post(f"{BASE}/runs/log-parameter", {"run_id": _run_id(), "key": key, "value": str(value)})
    return value


def log_params(params):
    items = [{"key": k, "value": str(v)} for k, v in params.items()]
    for i in range(0, len(items), 100):
        api.post(f"{BASE}/runs/log-batch", {"run_id": _run_id(), "params": items[i : i + 100]})


def _metric(key, value, step, timestamp):
    return {"key": key, "value": float(value), "timestamp": timestamp or now_ms(), "step": int(step or 0)}


def log_metric(key, value, step=None, timestamp=None):
    api.post(f"{BASE}/runs/log-metric", {"run_id": _run_id(), **_metric(key, value, step, timestamp)})


def log_metrics(metrics, step=None, timestamp=None):
    items = [_metric(k, v, step, timestamp) for k, v in metrics.items()]
    for i in range(0, len(items), 1000):
        api.post(f"{BASE}/runs/log-batch", {"run_id": _run_id(), "metrics": items[i : i + 1000]})


def set_tag(key, value):
    api.post(f"{BASE}/runs/set-tag", {"run_id": _run_id(), "key": key, "value": str(value)})


def set_tags(tags):
    items = [{"key": k, "value": str(v)} for k, v in tags.items()]
    for i in range(0, len(items), 100):
        api.post(f"{BASE}/runs/log-batch", {"run_id": _run_id(), "tags": items[i : i + 100]})


def artifact_root(run_id=None):
    """The Files API folder of the run's artifacts (as Databricks maps dbfs:/databricks/mlflow-tracking)."""
    if run_id is None:
        uri = (_state["run"] and _state["run"].info.artifact_uri) or None
        if uri is None:
            _run_id()
            uri = _state["run"].info.artifact_uri
    else:
        uri = api.get(f"{BASE}/runs/get", run_id=run_id)["run"]["info"]["artifact_uri"]
    prefix = "dbfs:/databricks/mlflow-tracking/"
    if uri.startswith(prefix):
        experiment_id, run, rest = uri[len(prefix) :].split("/", 2)
        return f"/WorkspaceInternal/Mlflow/Artifacts/{experiment_id}/Runs/{run}/{rest}".rstrip("/")
    if uri.startswith("dbfs:/Volumes/") or uri.startswith("/Volumes/"):
        return uri[len("dbfs:") :] if uri.startswith("dbfs:") else uri
    raise MlflowException(f"Artifacts at {uri} are out of the emulator's reach")


def _upload(local_path, artifact_path):
    name = os.path.basename(local_path)
    dest = "/".join(p for p in [artifact_root(), (artifact_path or "").strip("/"), name] if p)
    with open(local_path, "rb") as f:
        api.upload(dest, f.read())


def log_artifact(local_path, artifact_path=None):
    _upload(local_path, artifact_path)


def log_artifacts(local_dir, artifact_path=None):
    for root, _dirs, files in os.walk(local_dir):
        rel = os.path.relpath(root, local_dir)
        sub = "/".join(p for p in [(artifact_path or "").strip("/"), "" if rel == "." else rel] if p)
        for f in files:
            _upload(os.path.join(root, f), sub or None)


def log_text(text, artifact_file):
    api.upload(f"{artifact_root()}/{artifact_file.strip('/')}", str(text).encode("utf-8"))


def log_dict(dictionary, artifact_file):
    log_text(json.dumps(dictionary, indent=2), artifact_file)
