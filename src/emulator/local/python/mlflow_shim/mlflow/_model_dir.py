"""Writes a real MLflow model directory (MLmodel, pickled model, requirements) into the run's artifacts."""

import json
import os
import pickle
import platform
import tempfile
import uuid
from datetime import datetime, timezone

from brickml_local import api

from . import _tracking

MLFLOW_VERSION = "2.14.1"


def _quoted(value):
    return "'" + value.replace("'", "''") + "'"


def _yaml(mapping, indent=0):
    lines = []
    pad = "  " * indent
    for key, value in mapping.items():
        if isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            lines.extend(_yaml(value, indent + 1))
        elif value is None:
            lines.append(f"{pad}{key}: null")
        elif isinstance(value, bool):
            lines.append(f"{pad}{key}: {'true' if value else 'false'}")
        elif isinstance(value, str) and (value == "" or any(ch in value for ch in ":{}[]'\"#,")):
            lines.append(f"{pad}{key}: {_quoted(value)}")
        else:
            lines.append(f"{pad}{key}: {value}")
    return lines


def _version(module):
    try:
        return __import__(module).__version__
    except Exception:
        return None


def _pickle(obj, path):
    """cloudpickle when installed (it also pickles classes a notebook defines), else pickle."""
    try:
        import cloudpickle

        with open(path, "wb") as f:
            cloudpickle.dump(obj, f)
        return "cloudpickle"
    except ImportError:
        with open(path, "wb") as f:
            pickle.dump(obj, f)
        return "pickle"


def log_model_dir(artifact_path, flavors, signature, files, requirements, input_example=None):
    """Saves the MLmodel plus `files` ({name: writer(path)}) and uploads them under artifact_path."""
    artifact_path = (artifact_path or "model").strip("/")
    run_id = _tracking._run_id()
    created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    model_uuid = uuid.uuid4().hex
    mlmodel = {
        "artifact_path": artifact_path,
        "flavors": flavors,
        "mlflow_version": MLFLOW_VERSION,
        "model_uuid": model_uuid,
        "run_id": run_id,
    }
    if signature is not None:
        mlmodel["signature"] = signature.to_dict()
    mlmodel["utc_time_created"] = created
    with tempfile.TemporaryDirectory() as tmp:
        for name, write in files.items():
            write(os.path.join(tmp, name))
        with open(os.path.join(tmp, "MLmodel"), "w") as f:
            f.write("\n".join(_yaml(mlmodel)) + "\n")
        with open(os.path.join(tmp, "requirements.txt"), "w") as f:
            f.write("\n".join([f"mlflow=={MLFLOW_VERSION}", *requirements]) + "\n")
        with open(os.path.join(tmp, "python_env.yaml"), "w") as f:
            f.write(
                f"python: {platform.python_version()}\nbuild_dependencies:\n- pip\ndependencies:\n"
                "- -r requirements.txt\n"
            )
        if input_example is not None:
            with open(os.path.join(tmp, "input_example.json"), "w") as f:
                f.write(_example_json(input_example))
        root = _tracking.artifact_root()
        for name in sorted(os.listdir(tmp)):
            with open(os.path.join(tmp, name), "rb") as f:
                api.upload(f"{root}/{artifact_path}/{name}", f.read())
    _append_history(run_id, artifact_path, created, flavors, model_uuid)
    return ModelInfo(run_id, artifact_path, model_uuid, flavors, signature)


def _example_json(example):
    import pandas as pd

    if isinstance(example, pd.DataFrame):
        return example.to_json(orient="split", index=False)
    return json.dumps({"inputs": getattr(example, "tolist", lambda: example)()})


def _append_history(run_id, artifact_path, created, flavors, model_uuid):
    run = api.get(f"{_tracking.BASE}/runs/get", run_id=run_id)["run"]
    tags = {t["key"]: t["value"] for t in run.get("data", {}).get("tags", [])}
    history = json.loads(tags.get("mlflow.log-model.history", "[]"))
    history.append(
        {
            "run_id": run_id,
            "artifact_path": artifact_path,
            "utc_time_created": created,
            "flavors": flavors,
            "model_uuid": model_uuid,
            "mlflow_version": MLFLOW_VERSION,
        }
    )
    _tracking.set_tag("mlflow.log-model.history", json.dumps(history))


class ModelInfo:
    def __init__(self, run_id, artifact_path, model_uuid, flavors, signature):
        self.run_id = run_id
        self.artifact_path = artifact_path
        self.model_uri = f"runs:/{run_id}/{artifact_path}"
        self.model_uuid = model_uuid
        self.flavors = flavors
        self.signature = signature


def requirement(module, name=None):
    v = _version(module)
    return f"{name or module}=={v}" if v else (name or module)


def pickle_to(obj):
    """A writer that pickles obj and records the format it used."""
    used = {}

    def write(path):
        used["format"] = _pickle(obj, path)

    return write, used
