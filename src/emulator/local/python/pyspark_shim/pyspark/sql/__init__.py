from brickml_local.spark import DataFrame, SparkSession  # noqa: F401
