"""Runs one Databricks `.py` notebook, cell by cell, and writes how it ended as JSON.

Usage: python -m brickml_local.run_notebook NOTEBOOK_FILE RESULT_FILE
BRICKML_CONTEXT (JSON) carries the notebook path, the job and task run ids and the parameters.
"""

import json
import linecache
import os
import re
import sys
import traceback

CELL_SEPARATOR = re.compile(r"^# COMMAND -+[ \t]*$", re.M)
HEADER = re.compile(r"^# Databricks notebook source[ \t]*\n?")
MAGIC = re.compile(r"^# MAGIC ?", re.M)


def cells_of(source):
    return [c.strip("\n") for c in CELL_SEPARATOR.split(HEADER.sub("", source, count=1))]


def code_of(cell, index):
    """The Python a cell runs; magic cells (%md, %pip, ...) run nothing and say why on stderr."""
    first = cell.lstrip().split("\n", 1)[0]
    if not first.startswith("# MAGIC"):
        return cell
    magic = MAGIC.sub("", first).strip().split(" ", 1)[0]
    if magic == "%md":
        return ""
    if magic in ("%pip", "%sh", "%conda"):
        print(
            f"[brickml emulator] cell {index}: {magic} skipped; install packages into the interpreter "
            "that runs notebooks instead",
            file=sys.stderr,
        )
        return ""
    raise NotImplementedError(
        f"cell {index}: the magic {magic} is not supported by the brickml emulator (it runs Python cells; "
        "%md is shown as text and %pip is skipped)"
    )


def install_pyspark():
    """When PySpark is not installed: `pyspark.sql.functions.struct`, for model UDFs, and nothing else."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pyspark_shim"))


def install_mlflow():
    """The real mlflow when it is installed (tracking to the emulator), else the small one shipped here."""
    os.environ["MLFLOW_TRACKING_URI"] = "databricks"
    try:
        import mlflow  # noqa: F401
    except ImportError:
        shim = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mlflow_shim")
        sys.path.insert(0, shim)
        import mlflow

        return mlflow
    from . import real_mlflow

    real_mlflow.add_job_tags(mlflow)
    return mlflow


def end_mlflow_run(mlflow, status):
    try:
        if mlflow.active_run() is not None:
            mlflow.end_run(status)
    except Exception as e:  # the notebook's outcome matters more than closing the run
        print(f"[brickml emulator] could not end the MLflow run: {e}", file=sys.stderr)


def main(notebook_file, result_file):
    context = json.loads(os.environ.get("BRICKML_CONTEXT") or "{}")
    path = context.get("notebookPath") or notebook_file
    with open(notebook_file, encoding="utf-8") as f:
        source = f.read()

    install_pyspark()
    from .dbutils import DBUtils, NotebookExit
    from .spark import SparkSession

    mlflow = install_mlflow()
    namespace = {
        "__name__": "__main__",
        "dbutils": DBUtils(context.get("parameters") or {}),
        "spark": SparkSession(),
        "display": lambda *args, **kwargs: None,
        "displayHTML": lambda *args, **kwargs: None,
    }
    result = {"state": "SUCCESS"}
    try:
        for index, cell in enumerate(cells_of(source), start=1):
            code = code_of(cell, index)
            if not code.strip():
                continue
            name = f"{path} (cell {index})"
            linecache.cache[name] = (len(code), None, code.splitlines(True), name)
            exec(compile(code, name, "exec"), namespace)
        end_mlflow_run(mlflow, "FINISHED")
    except NotebookExit as e:
        result["exitValue"] = e.value
        end_mlflow_run(mlflow, "FINISHED")
    except BaseException as e:  # noqa: BLE001 - every failure of the notebook fails the run
        end_mlflow_run(mlflow, "FAILED")
        message = str(e)
        result = {
            "state": "FAILED",
            "error": f"{type(e).__name__}: {message}" if message else type(e).__name__,
            "errorTrace": "".join(traceback.format_exception(type(e), e, e.__traceback__.tb_next)),
        }
    sys.stdout.flush()
    sys.stderr.flush()
    with open(result_file, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
