"""mlflow.sklearn.log_model / load_model: a pickled scikit-learn model with the python_function flavour."""

import os
import pickle
import platform

from . import _model_dir


def log_model(sk_model, artifact_path=None, signature=None, input_example=None, name=None, **kwargs):
    unsupported = sorted(k for k in kwargs if k not in ("conda_env", "pip_requirements", "serialization_format"))
    if unsupported:
        raise NotImplementedError(
            f"mlflow.sklearn.log_model({', '.join(unsupported)}=...) is not supported by the brickml "
            "emulator's mlflow module; register the model from the run instead"
        )
    write, used = _model_dir.pickle_to(sk_model)
    # The format is known only after pickling; the flavour reads it lazily.
    flavors = {
        "python_function": {
            "env": {"virtualenv": "python_env.yaml"},
            "loader_module": "mlflow.sklearn",
            "model_path": "model.pkl",
            "predict_fn": "predict",
            "python_version": platform.python_version(),
        },
        "sklearn": {
            "code": None,
            "pickled_model": "model.pkl",
            "serialization_format": "cloudpickle",
            "sklearn_version": _model_dir._version("sklearn"),
        },
    }

    def write_and_record(path):
        write(path)
        flavors["sklearn"]["serialization_format"] = used["format"]

    requirements = [
        _model_dir.requirement("sklearn", "scikit-learn"),
        _model_dir.requirement("pandas"),
        _model_dir.requirement("numpy"),
    ]
    if "cloudpickle" in used.values() or _model_dir._version("cloudpickle"):
        requirements.append(_model_dir.requirement("cloudpickle"))
    return _model_dir.log_model_dir(
        name or artifact_path, flavors, signature, {"model.pkl": write_and_record}, requirements, input_example
    )


def load_model(model_uri):
    """Loads from a local model directory."""
    with open(os.path.join(model_uri, "model.pkl"), "rb") as f:
        return pickle.load(f)
