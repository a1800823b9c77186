"""The brickml emulator's notebook runtime: what a notebook sees when the emulator runs it locally.

It is not Databricks Runtime: `dbutils`, `display`, a small `spark` subset and (when the real
package is missing) a small `mlflow`, all talking to the emulator over its REST API.
"""
