"""`struct` and `col`, for applying a model UDF to columns; nothing else of pyspark.sql.functions."""

from brickml_local.spark import StructColumn, not_spark


def struct(*cols):
    return StructColumn([str(c) for c in cols])


def col(name):
    return StructColumn([str(name)])


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise not_spark(f"pyspark.sql.functions.{name}")
