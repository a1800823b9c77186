"""mlflow.pyfunc: PythonModel and log_model(python_model=...)."""

import platform

from . import _model_dir


class PythonModelContext:
    def __init__(self, artifacts=None):
        self.artifacts = artifacts or {}


class PythonModel:
    """Subclass and implement predict(context, model_input)."""

    def load_context(self, context):
        pass

    def predict(self, context, model_input, params=None):
        raise NotImplementedError("PythonModel subclasses implement predict(context, model_input)")


def log_model(artifact_path=None, python_model=None, signature=None, input_example=None, name=None, **kwargs):
    if python_model is None:
        raise NotImplementedError(
            "The brickml emulator's mlflow.pyfunc.log_model needs python_model=<a PythonModel instance>"
        )
    unsupported = sorted(k for k in kwargs if k not in ("conda_env", "pip_requirements"))
    if unsupported:
        raise NotImplementedError(
            f"mlflow.pyfunc.log_model({', '.join(unsupported)}=...) is not supported by the brickml "
            "emulator's mlflow module"
        )
    write, used = _model_dir.pickle_to(python_model)
    flavors = {
        "python_function": {
            "cloudpickle_version": _model_dir._version("cloudpickle"),
            "code": None,
            "env": {"virtualenv": "python_env.yaml"},
            "loader_module": "mlflow.pyfunc.model",
            "python_model": "python_model.pkl",
            "python_version": platform.python_version(),
        }
    }
    requirements = [_model_dir.requirement("pandas"), _model_dir.requirement("numpy")]
    if _model_dir._version("cloudpickle"):
        requirements.append(_model_dir.requirement("cloudpickle"))
    return _model_dir.log_model_dir(
        name or artifact_path, flavors, signature, {"python_model.pkl": write}, requirements, input_example
    )
