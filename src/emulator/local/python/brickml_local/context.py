"""What the emulator tells the notebook process about the task it runs (env BRICKML_CONTEXT)."""

import json
import os
import time

CONTEXT = json.loads(os.environ.get("BRICKML_CONTEXT") or "{}")
_T0 = time.time()


def now_ms():
    """The emulator's time: the task's start plus the real time elapsed since."""
    start = CONTEXT.get("startTime")
    if start is None:
        return int(time.time() * 1000)
    return int(start + (time.time() - _T0) * 1000)


def job_tags():
    """The tags Databricks puts on MLflow runs a job's notebook starts."""
    path = CONTEXT.get("notebookPath")
    if not path:
        return {}
    tags = {
        "mlflow.source.type": "JOB",
        "mlflow.source.name": path,
        "mlflow.databricks.notebookPath": path,
        "mlflow.databricks.jobRunID": str(CONTEXT["jobRunId"]),
        "mlflow.databricks.jobType": "NORMAL",
    }
    if CONTEXT.get("jobId") is not None:
        tags["mlflow.databricks.jobID"] = str(CONTEXT["jobId"])
    return tags
