"""mlflow.pyfunc: PythonModel and log_model(python_model=...)."""

import os
import platform
import re
import tempfile

from brickml_local import api

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


def _model_files_root(model_uri):
    """The Files API folder of a Unity Catalog model version: models:/name/version or models:/name@alias."""
    m = re.match(r"^models:/([^/@]+)(?:/(\d+)|@(.+))$", str(model_uri))
    if not m:
        raise NotImplementedError(
            f"The brickml emulator loads models:/<catalog.schema.model>/<version> or @<alias> URIs, not {model_uri}"
        )
    name, version, alias = m.groups()
    if alias:
        found = api.get(f"/api/2.1/unity-catalog/models/{name}/aliases/{alias}")
        version = found["version_num"] if "version_num" in found else found["version"]
    catalog, schema, model = name.split(".")
    return f"/Models/{catalog}/{schema}/{model}/{version}"


def spark_udf(spark, model_uri, result_type=None, env_manager=None):
    """A model UDF for DataFrame.withColumn in the emulator's spark subset (it scores with pandas)."""
    from brickml_local.serve import load_predict, spec_from_mlmodel
    from brickml_local.spark import ModelUdf

    root = _model_files_root(model_uri)
    mlmodel = api.download(f"{root}/MLmodel").decode("utf-8")
    spec = spec_from_mlmodel(mlmodel)
    directory = tempfile.mkdtemp(prefix="brickml-udf-")
    with open(os.path.join(directory, spec["file"]), "wb") as f:
        f.write(api.download(f"{root}/{spec['file']}"))
    return ModelUdf(load_predict(directory, spec))
