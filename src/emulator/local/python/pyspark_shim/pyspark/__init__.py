"""Not PySpark: the few names the brickml emulator's notebook runtime offers (used when pyspark is not installed)."""
