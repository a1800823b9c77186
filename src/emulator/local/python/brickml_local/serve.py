"""Serves one pickled python_function model: a JSON request per stdin line, a JSON answer per stdout line.

Usage: python -m brickml_local.serve MODEL_DIR  (holding MLmodel and the pickled model)
Requests follow MLflow's scoring protocol: dataframe_split, dataframe_records, instances or inputs.
"""

import json
import os
import pickle
import sys
import traceback


def _mlmodel(text):
    """The python_function flavour and signature inputs of an MLmodel file."""
    try:
        import yaml  # installed with the real mlflow, which may fold long lines
    except ImportError:
        yaml = None
    if yaml is not None:
        doc = yaml.safe_load(text) or {}
        return doc.get("flavors", {}).get("python_function") or {}, (doc.get("signature") or {}).get("inputs")
    import re

    # The MLmodel files brickml writes keep each value on one line.
    flavour = {}
    for key in ("loader_module", "model_path", "python_model", "predict_fn", "data"):
        m = re.search(rf"^\s+{key}: (.+)$", text, re.M)
        if m:
            flavour[key] = m.group(1).strip().strip("'")
    m = re.search(r"^\s+inputs: '(.+)'$", text, re.M)
    return flavour, m.group(1).replace("''", "'") if m else None


def spec_from_mlmodel(text):
    """How to load and call the model an MLmodel file describes."""
    flavour, inputs = _mlmodel(text)
    loader = flavour.get("loader_module")
    if loader == "brickml_emulator.linear_model":
        return {"loader": loader, "file": flavour.get("data") or "coefficients.json", "inputs": None, "types": {}}
    if loader not in ("mlflow.sklearn", "mlflow.pyfunc.model"):
        raise NotImplementedError(
            f"The brickml emulator loads pickled scikit-learn and pyfunc models, not {loader} models"
        )
    file = flavour.get("model_path" if loader == "mlflow.sklearn" else "python_model")
    columns = json.loads(inputs) if inputs else []
    named = [c for c in columns if "name" in c]
    return {
        "loader": loader,
        "file": file,
        "predictFn": flavour.get("predict_fn"),
        "inputs": [c["name"] for c in named] or None,
        "types": {c["name"]: c.get("type") for c in named},
    }


def load_predict(model_dir, spec):
    """model.predict behind MLflow's schema enforcement."""
    predict = load(model_dir, spec)
    return lambda frame: jsonable(predict(enforce(frame, spec.get("inputs"), spec.get("types") or {})))


def linear_model(path):
    """A model a scripted notebook logs (coefficients.json), computed as the emulator's serving does."""
    import numpy as np

    with open(path) as f:
        c = json.load(f)

    def predict(frame):
        z = c["intercept"] + sum(w * frame[name].astype("float64").fillna(0) for name, w in c["weights"].items())
        z = np.asarray(z, dtype="float64")
        return 1 / (1 + np.exp(-z)) if c.get("link") == "logistic" else z

    return predict


def load(model_dir, spec):
    if spec["loader"] == "brickml_emulator.linear_model":
        return linear_model(os.path.join(model_dir, spec["file"]))
    try:
        import cloudpickle as loader
    except ImportError:
        loader = pickle
    if spec["loader"] == "mlflow.pyfunc.model":
        try:
            import mlflow.pyfunc  # noqa: F401  (the pickle refers to mlflow.pyfunc.PythonModel)
        except ImportError:
            sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mlflow_shim"))
        with open(os.path.join(model_dir, spec["file"]), "rb") as f:
            model = loader.load(f)
        from mlflow.pyfunc import PythonModelContext

        context = PythonModelContext({})
        model.load_context(context)
        return lambda frame: model.predict(context, frame)
    with open(os.path.join(model_dir, spec["file"]), "rb") as f:
        model = loader.load(f)
    return getattr(model, spec.get("predictFn") or "predict")


def to_frame(body, columns):
    import numpy as np
    import pandas as pd

    if "dataframe_split" in body:
        split = body["dataframe_split"]
        return pd.DataFrame(split["data"], columns=split.get("columns"), index=split.get("index"))
    if "dataframe_records" in body:
        return pd.DataFrame(body["dataframe_records"])
    value = body["instances"] if "instances" in body else body["inputs"]
    if isinstance(value, dict):
        return pd.DataFrame({k: v if isinstance(v, list) else [v] for k, v in value.items()})
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        return pd.DataFrame(value)
    array = np.asarray(value)
    if columns and array.ndim == 2 and array.shape[1] == len(columns):
        return pd.DataFrame(array, columns=columns)
    if columns and array.ndim == 1 and len(columns) == 1:
        return pd.DataFrame({columns[0]: array})
    return array


_CASTS = {"double": "float64", "float": "float32", "long": "int64", "integer": "int32", "boolean": "bool"}


def enforce(frame, columns, types):
    """MLflow's schema enforcement for column signatures: every input present, in order, typed."""
    import pandas as pd

    if not columns or not isinstance(frame, pd.DataFrame):
        return frame
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        extra = [c for c in frame.columns if c not in columns]
        note = f" Note that there were extra inputs: {extra}" if extra else ""
        raise ValueError(f"Failed to enforce schema of data. Error: Model is missing inputs {missing}.{note}")
    frame = frame[columns]
    for c in columns:
        target = _CASTS.get(types.get(c, ""))
        if target and str(frame[c].dtype) != target:
            try:
                frame = frame.assign(**{c: frame[c].astype(target)})
            except (TypeError, ValueError) as e:
                raise ValueError(
                    f"Failed to enforce schema of data. Error: Incompatible input types for column {c}. "
                    f"Can not safely convert {frame[c].dtype} to {target}. ({e})"
                ) from None
    return frame


def jsonable(predictions):
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return json.loads(predictions.to_json(orient="records"))
    if isinstance(predictions, (pd.Series, np.ndarray)):
        return np.asarray(predictions).tolist()
    return predictions


def main(model_dir):
    with open(os.path.join(model_dir, "MLmodel"), encoding="utf-8") as f:
        spec = spec_from_mlmodel(f.read())
    # The protocol owns the real stdout; anything the model prints goes to stderr.
    out = os.fdopen(os.dup(1), "w", buffering=1)
    sys.stdout = sys.stderr
    predict = load(model_dir, spec)
    out.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            frame = enforce(to_frame(request["body"], spec.get("inputs")), spec.get("inputs"), spec.get("types") or {})
            answer = {"id": request["id"], "predictions": jsonable(predict(frame))}
        except Exception as e:  # noqa: BLE001 - a bad request answers 400 with the message
            message = str(e)
            answer = {
                "id": request["id"],
                "error": f"{type(e).__name__}: {message}" if message else type(e).__name__,
                "trace": traceback.format_exc(),
            }
        out.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
