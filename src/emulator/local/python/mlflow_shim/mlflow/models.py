"""Model signatures, written the way MLflow writes them into MLmodel."""

import json

_DTYPE_TO_TYPE = {
    "float64": "double",
    "float32": "float",
    "int64": "long",
    "int32": "integer",
    "int16": "integer",
    "int8": "integer",
    "uint8": "integer",
    "bool": "boolean",
    "object": "string",
    "str": "string",
    "string": "string",
    "datetime64[ns]": "datetime",
}


def _type(dtype):
    return _DTYPE_TO_TYPE.get(str(dtype), "string")


class ModelSignature:
    def __init__(self, inputs=None, outputs=None, params=None):
        self.inputs = inputs
        self.outputs = outputs
        self.params = params

    def to_dict(self):
        return {
            "inputs": json.dumps(self.inputs) if self.inputs is not None else None,
            "outputs": json.dumps(self.outputs) if self.outputs is not None else None,
            "params": None,
        }

    def __repr__(self):
        return f"inputs: {self.inputs}\noutputs: {self.outputs}"


def _schema(data):
    import numpy as np
    import pandas as pd

    if data is None:
        return None
    if isinstance(data, pd.DataFrame):
        return [{"type": _type(t), "name": str(c), "required": True} for c, t in data.dtypes.items()]
    if isinstance(data, pd.Series):
        spec = {"type": _type(data.dtype), "required": True}
        if data.name is not None:
            spec["name"] = str(data.name)
        return [spec]
    if isinstance(data, dict):
        return [{"type": _type(np.asarray(v).dtype), "name": str(k), "required": True} for k, v in data.items()]
    array = np.asarray(data)
    return [{"type": "tensor", "tensor-spec": {"dtype": str(array.dtype), "shape": [-1, *array.shape[1:]]}}]


def infer_signature(model_input=None, model_output=None, params=None):
    """A signature from example input and output (DataFrame columns, Series, arrays)."""
    return ModelSignature(_schema(model_input), _schema(model_output))
