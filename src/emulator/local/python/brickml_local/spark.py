"""A small `spark` subset backed by the emulator's SQL Statement Execution API. It is not Spark:
anything outside the subset raises NotImplementedError naming the method."""

import math
import time

from . import api

STATEMENTS = "/api/2.0/sql/statements"
# Enough values per INSERT to be quick, few enough for any SQL engine's parameter limit.
VALUES_PER_INSERT = 4000


def not_spark(name):
    return NotImplementedError(
        f"{name} is not available: the brickml emulator runs notebooks with a small pandas-backed "
        "subset of the Spark API (createDataFrame, table, sql, DataFrame.toPandas/count/limit/"
        "write.mode().saveAsTable). It is not Spark; use pandas for anything else."
    )


class _Unsupported:
    """Attribute access outside the subset raises NotImplementedError naming the method."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise not_spark(f"{type(self).__name__}.{name}")


def _warehouse_id():
    listed = api.get("/api/2.0/sql/warehouses").get("warehouses", [])
    usable = [w for w in listed if w.get("state") not in ("DELETING", "DELETED")]
    if not usable:
        raise RuntimeError("The emulator has no SQL warehouse for spark.sql; create one first.")
    running = [w for w in usable if w.get("state") == "RUNNING"]
    return (running or usable)[0]["id"]


def _execute(sql, parameters=None):
    """Runs one statement and returns (columns, rows), rows as JSON_ARRAY strings."""
    st = api.post(
        STATEMENTS,
        {
            "statement": sql,
            "warehouse_id": _warehouse_id(),
            "wait_timeout": "50s",
            "format": "JSON_ARRAY",
            "disposition": "INLINE",
            "parameters": parameters or [],
        },
    )
    while st["status"]["state"] in ("PENDING", "RUNNING"):
        time.sleep(0.05)
        st = api.get(f"{STATEMENTS}/{st['statement_id']}")
    status = st["status"]
    if status["state"] != "SUCCEEDED":
        error = status.get("error", {})
        raise RuntimeError(error.get("message") or f"The statement ended {status['state']}")
    columns = st.get("manifest", {}).get("schema", {}).get("columns", [])
    result = st.get("result") or {}
    rows = list(result.get("data_array") or [])
    while result.get("next_chunk_internal_link"):
        result = api.get(result["next_chunk_internal_link"])
        rows.extend(result.get("data_array") or [])
    return columns, rows


_INTEGERS = {"LONG", "INT", "SHORT", "BYTE"}
_FLOATS = {"DOUBLE", "FLOAT", "DECIMAL"}


def _value(type_name, text):
    if text is None:
        return None
    if type_name in _INTEGERS:
        return int(text)
    if type_name in _FLOATS:
        return float(text)
    if type_name == "BOOLEAN":
        return text.lower() == "true"
    return text


def _to_pandas(columns, rows):
    import pandas as pd

    names = [c["name"] for c in columns]
    types = [c.get("type_name", "STRING") for c in columns]
    data = {n: [_value(t, r[i]) for r in rows] for i, (n, t) in enumerate(zip(names, types))}
    frame = pd.DataFrame(data, columns=names)
    for n, t in zip(names, types):
        if t in _FLOATS:
            frame[n] = frame[n].astype("float64")
    return frame


def _sql_type(dtype):
    kind = getattr(dtype, "kind", "O")
    if kind == "f":
        return "DOUBLE"
    if kind in "iu":
        return "BIGINT"
    if kind == "b":
        return "BOOLEAN"
    if kind == "M":
        return "TIMESTAMP"
    return "STRING"


def _quote(name):
    return "`" + str(name).replace("`", "``") + "`"


def _table(name):
    return ".".join(_quote(p) for p in str(name).split("."))


def _param(name, sql_type, value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return {"name": name, "value": None, "type": sql_type}
    if sql_type == "DOUBLE":
        text = repr(float(value))  # shortest text that reads back as the same float64
    elif sql_type == "BOOLEAN":
        text = "true" if value else "false"
    elif sql_type == "BIGINT":
        text = str(int(value))
    else:
        text = str(value)
    return {"name": name, "value": text, "type": sql_type}


class StructColumn:
    """Columns by name, as `struct(*cols)` gives them to a model UDF."""

    def __init__(self, names):
        self.names = names


class UdfColumn:
    """A model applied to columns: `predict(struct(*cols))`."""

    def __init__(self, predict, names):
        self.predict = predict
        self.names = names


class ModelUdf:
    """What mlflow.pyfunc.spark_udf returns: call it on columns to get a column of predictions."""

    def __init__(self, predict):
        self._predict = predict

    def __call__(self, *cols):
        names = []
        for c in cols:
            names.extend(c.names if isinstance(c, StructColumn) else [str(c)])
        return UdfColumn(self._predict, names)


class DataFrame(_Unsupported):
    """A pandas DataFrame behind a few Spark DataFrame methods."""

    def __init__(self, pdf):
        self._pdf = pdf

    def toPandas(self):
        return self._pdf.copy()

    def count(self):
        return len(self._pdf)

    def limit(self, n):
        return DataFrame(self._pdf.head(int(n)))

    def withColumn(self, name, column):
        if not isinstance(column, UdfColumn):
            raise not_spark("DataFrame.withColumn with anything but a model UDF")
        predictions = column.predict(self._pdf[column.names])
        return DataFrame(self._pdf.assign(**{name: list(predictions)}))

    @property
    def columns(self):
        return [str(c) for c in self._pdf.columns]

    @property
    def write(self):
        return DataFrameWriter(self._pdf)

    def __repr__(self):
        return f"DataFrame[{', '.join(f'{c}: {_sql_type(t).lower()}' for c, t in self._pdf.dtypes.items())}]"


class DataFrameWriter(_Unsupported):
    def __init__(self, pdf):
        self._pdf = pdf
        self._mode = "errorifexists"

    def mode(self, mode):
        mode = str(mode).lower()
        if mode == "error":
            mode = "errorifexists"
        if mode not in ("overwrite", "append", "errorifexists", "ignore"):
            raise ValueError(f"mode must be overwrite, append, error, errorifexists or ignore; got {mode!r}")
        self._mode = mode
        return self

    def format(self, source):
        if str(source).lower() != "delta":
            raise not_spark(f"DataFrameWriter.format({source!r})")
        return self

    def option(self, key, value):
        return self

    def saveAsTable(self, name):
        pdf = self._pdf
        table = _table(name)
        types = [_sql_type(t) for t in pdf.dtypes]
        exists = _exists(table)
        if exists and self._mode == "errorifexists":
            raise RuntimeError(
                f"[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table or view {name} because it already "
                'exists. Use mode("overwrite") or mode("append").'
            )
        if exists and self._mode == "ignore":
            return
        if exists and self._mode == "overwrite":
            _execute(f"DROP TABLE {table}")
            exists = False
        if not exists:
            defs = ", ".join(f"{_quote(c)} {t}" for c, t in zip(pdf.columns, types))
            _execute(f"CREATE TABLE {table} ({defs})")
        _insert(table, pdf, types)


def _exists(table):
    try:
        _execute(f"SELECT 1 FROM {table} LIMIT 0")
        return True
    except RuntimeError as e:
        if "TABLE_OR_VIEW_NOT_FOUND" in str(e):
            return False
        raise


def _insert(table, pdf, types):
    if len(pdf) == 0 or len(pdf.columns) == 0:
        return
    per = max(1, VALUES_PER_INSERT // len(pdf.columns))
    records = pdf.astype(object).where(pdf.notna(), None).values.tolist()
    for start in range(0, len(records), per):
        batch = records[start : start + per]
        params, groups = [], []
        for i, row in enumerate(batch):
            names = []
            for j, value in enumerate(row):
                name = f"v{i}_{j}"
                params.append(_param(name, types[j], value))
                names.append(f":{name}")
            groups.append(f"({', '.join(names)})")
        _execute(f"INSERT INTO {table} VALUES {', '.join(groups)}", params)


class SparkSession(_Unsupported):
    """`spark` in a notebook the emulator runs."""

    def createDataFrame(self, data, schema=None):
        import pandas as pd

        if isinstance(data, DataFrame):
            return data
        if not isinstance(data, pd.DataFrame):
            data = pd.DataFrame(data, columns=schema if isinstance(schema, (list, tuple)) else None)
        return DataFrame(data.reset_index(drop=True))

    def table(self, name):
        return DataFrame(_to_pandas(*_execute(f"SELECT * FROM {_table(name)}")))

    def sql(self, query, args=None):
        if args:
            raise not_spark("SparkSession.sql(args=...)")
        return DataFrame(_to_pandas(*_execute(query)))

    @property
    def read(self):
        return _Reader()


class _Reader(_Unsupported):
    def table(self, name):
        return SparkSession().table(name)
