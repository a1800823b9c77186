"""With the real mlflow package: the notebook's experiment by default, and the job tags on new runs."""

import functools
import os

from .context import CONTEXT, job_tags


def add_job_tags(mlflow):
    if CONTEXT.get("notebookPath"):
        os.environ.setdefault("MLFLOW_EXPERIMENT_NAME", CONTEXT["notebookPath"])
    start_run = mlflow.start_run

    @functools.wraps(start_run)
    def start_run_with_job_tags(*args, **kwargs):
        if kwargs.get("run_id") is None and not args:
            kwargs["tags"] = {**job_tags(), **(kwargs.get("tags") or {})}
        return start_run(*args, **kwargs)

    mlflow.start_run = start_run_with_job_tags
