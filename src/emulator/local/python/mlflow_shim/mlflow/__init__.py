"""A small stand-in for the `mlflow` package, used when the real one is not installed.

It implements the calls training notebooks commonly make — set_experiment, start_run (a context
manager; nested runs are not supported), log_param(s), log_metric(s) with step, set_tag(s),
active_run, log_artifact, models.infer_signature, sklearn.log_model and pyfunc.log_model — against
the emulator's MLflow REST API and artifact store. Anything else is not here: install the real
`mlflow` package into the interpreter to use it.
"""

from . import models, pyfunc, sklearn  # noqa: F401
from ._tracking import (  # noqa: F401
    ActiveRun,
    MlflowException,
    active_run,
    end_run,
    get_experiment_by_name,
    get_tracking_uri,
    last_active_run,
    log_artifact,
    log_artifacts,
    log_dict,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_text,
    set_experiment,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)

__version__ = "2.14.1+brickml"


def set_registry_uri(uri):
    """The emulator's registry is Unity Catalog; "databricks-uc" is the only registry."""
    if uri != "databricks-uc":
        raise MlflowException(f"The brickml emulator's registry is Unity Catalog (databricks-uc), not {uri}")


def __getattr__(name):
    raise AttributeError(
        f"mlflow.{name} is not in the brickml emulator's small mlflow module; install the real "
        "mlflow package into the interpreter that runs notebooks to use it"
    )
