"""MLflow's scoring protocol: request bodies in, ``{"predictions": [...]}`` out.

A body holds one of ``dataframe_split``, ``dataframe_records``, ``instances`` or
``inputs`` (JSON), or CSV with a header (``text/csv``), as MLflow's scoring server
accepts them. For a model whose signature names its columns, inputs are checked and
converted here, column by column, into NumPy arrays of the signature's types (errors
name the column and quote at most :data:`ECHO_CHARS` characters of the input), so
requests concatenate cheaply into one batch. Models without such a signature go
through MLflow's own parser, one request per predict call.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import UsageError

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
ECHO_CHARS = 40
_NUMPY = {"double": np.float64, "float": np.float32, "long": np.int64, "integer": np.int32,
          "boolean": np.bool_, "string": object}


class BadInput(UsageError):
    """A request the endpoint refuses with 400 (one line)."""


def short(value: Any) -> str:
    """``repr(value)`` cut to :data:`ECHO_CHARS` characters."""
    text = repr(value)
    return text if len(text) <= ECHO_CHARS else text[:ECHO_CHARS - 3] + "..."


@dataclass
class Columns:
    """A request's rows as one array per signature column (in signature order);
    ``block``: the same rows as one 2-D float64 array when every column is a double
    (the fast path of :func:`fast_split`)."""

    arrays: dict[str, np.ndarray]
    rows: int
    block: np.ndarray | None = None

    def key(self) -> tuple:
        """Requests with equal keys concatenate into one frame."""
        return tuple((name, array.dtype.str) for name, array in self.arrays.items())


@dataclass
class Raw:
    """A request for a model without named columns: MLflow's parsed input."""

    data: Any
    rows: int


def decode(body: bytes, content_type: str | None) -> tuple[str, Any]:
    """The format and payload of a request body.

    Raises:
        BadInput: not JSON (or CSV), not an object with exactly one known format key.
    """
    kind = (content_type or "application/json").split(";")[0].strip().lower()
    if kind == "text/csv":
        import pandas as pd

        try:
            frame = pd.read_csv(io.BytesIO(body))
        except Exception:  # noqa: BLE001 - any parse failure is the client's
            raise BadInput("the body is not valid CSV with a header row") from None
        return "dataframe_records", frame.to_dict(orient="records")
    if kind not in ("application/json", "application/x-www-form-urlencoded", "*/*", ""):
        raise BadInput(f"unsupported content type {short(kind)}: send application/json "
                       "or text/csv")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadInput("the body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise BadInput(f"expected a JSON object with one of the keys {', '.join(FORMATS)}")
    found = [key for key in FORMATS if key in payload]
    if len(found) != 1:
        raise BadInput(f"expected exactly one of the keys {', '.join(FORMATS)}")
    return found[0], payload[found[0]]


def to_columns(fmt: str, payload: Any, names: list[str] | None) -> dict[str, list]:
    """The payload as column name -> values (names: the signature's, for positional
    rows). Raises BadInput on a malformed payload."""
    if fmt == "dataframe_split":
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise BadInput("dataframe_split needs {\"columns\": [...], \"data\": [[...]]}")
        data = payload["data"]
        columns = payload.get("columns", names)
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise BadInput("dataframe_split needs a list of column names in \"columns\"")
        if data and not isinstance(data[0], list) and len(columns) == 1:
            data = [[value] for value in data]
        for number, row in enumerate(data):
            if not isinstance(row, list) or len(row) != len(columns):
                raise BadInput(f"row {number} of dataframe_split does not have "
                               f"{len(columns)} values")
        values = list(zip(*data)) if data else [() for _ in columns]
        return {name: list(column) for name, column in zip(columns, values)}
    if isinstance(payload, dict) and fmt != "dataframe_records":
        out = {}
        for name, column in payload.items():
            out[str(name)] = column if isinstance(column, list) else [column]
        lengths = {len(column) for column in out.values()}
        if len(lengths) > 1:
            raise BadInput(f"the columns of {fmt} have different lengths")
        return out
    if not isinstance(payload, list):
        raise BadInput(f"{fmt} must be a list of rows")
    if payload and all(isinstance(row, list) for row in payload) and names \
            and fmt != "dataframe_records":
        for number, row in enumerate(payload):
            if len(row) != len(names):
                raise BadInput(f"row {number} of {fmt} does not have {len(names)} values")
        return {name: list(column) for name, column in zip(names, zip(*payload))} \
            if payload else {}
    if not all(isinstance(row, dict) for row in payload):
        raise BadInput(f"{fmt} must be a list of objects (one per row)")
    keys: dict[str, None] = {}
    for row in payload:
        keys.update(dict.fromkeys(row))
    return {key: [row.get(key) for row in payload] for key in keys}


def _convert(name: str, kind: str, values: list) -> np.ndarray:
    if kind in ("double", "float"):
        out = []
        for value in values:
            cls = type(value)
            if cls is float or cls is int:
                out.append(value)
            elif value is None:
                out.append(math.nan)
            elif isinstance(value, (int, float)) and cls is not bool:
                out.append(float(value))
            else:
                raise BadInput(f"column {name!r}: expected {kind}, got {short(value)}")
        return np.asarray(out, dtype=_NUMPY[kind])
    if kind in ("long", "integer"):
        for value in values:
            if type(value) is not int:
                if type(value) is float and value.is_integer():
                    continue
                raise BadInput(f"column {name!r}: expected {kind}, got {short(value)}")
        return np.asarray(values, dtype=_NUMPY[kind])
    if kind == "boolean":
        for value in values:
            if type(value) is not bool:
                raise BadInput(f"column {name!r}: expected boolean, got {short(value)}")
        return np.asarray(values, dtype=np.bool_)
    if kind == "string":
        for value in values:
            if not isinstance(value, str) and value is not None:
                raise BadInput(f"column {name!r}: expected string, got {short(value)}")
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def enforce(columns: dict[str, list], schema: list[tuple[str, str, bool]]) -> Columns:
    """Check ``columns`` against the signature (name, type, required) and convert.

    Extra columns are dropped, as MLflow does. Raises BadInput naming the column.
    """
    if not any(len(values) for values in columns.values()):
        raise BadInput("empty input: no rows to predict")
    arrays: dict[str, np.ndarray] = {}
    rows = None
    for name, kind, required in schema:
        values = columns.get(name)
        if values is None:
            if required:
                raise BadInput(f"missing column {name!r}")
            continue
        arrays[name] = _convert(name, kind, values)
        rows = len(values) if rows is None else rows
    if not rows:
        raise BadInput("empty input: no rows to predict")
    return Columns(arrays, rows)


def fast_split(payload: Any, schema: list[tuple[str, str, bool]]) -> Columns | None:
    """``dataframe_split`` rows of an all-double signature, in its column order, as one
    2-D block; None when that shortcut does not apply (the general path then checks
    everything and names the column)."""
    if not isinstance(payload, dict) or not all(kind == "double" for _, kind, _ in schema):
        return None
    columns, data = payload.get("columns"), payload.get("data")
    if not isinstance(data, list) or not data or not isinstance(columns, list) \
            or len(columns) != len(schema) \
            or any(name != spec[0] for name, spec in zip(columns, schema)):
        return None
    width = len(columns)
    for row in data:
        if type(row) is not list or len(row) != width:
            return None
        for value in row:
            if type(value) is not float and type(value) is not int:
                return None
    block = np.asarray(data, dtype=np.float64)
    return Columns({name: block[:, index] for index, name in enumerate(columns)},
                   len(data), block)


def parse(body: bytes, content_type: str | None, schema: list[tuple[str, str, bool]] | None,
          input_schema: Any = None) -> Columns | Raw:
    """A request body, checked against a model's signature.

    Args:
        schema: ``[(column, type, required)]`` of a signature with named columns, or
            None (then MLflow's parser and ``input_schema`` are used).

    Raises:
        BadInput: anything wrong with the body.
    """
    fmt, payload = decode(body, content_type)
    if schema is not None:
        if fmt == "dataframe_split":
            fast = fast_split(payload, schema)
            if fast is not None:
                return fast
        return enforce(to_columns(fmt, payload, [c[0] for c in schema]), schema)
    from mlflow.pyfunc import scoring_server

    try:
        data, _params = scoring_server._split_data_and_params(json.dumps({fmt: payload}))
        parsed = scoring_server.infer_and_parse_data(data, input_schema)
    except Exception as exc:  # noqa: BLE001 - MLflow's parser raises many kinds
        # MLflow's messages quote the data: only the kind of failure is returned.
        raise BadInput(f"the input does not match the model's signature "
                       f"({type(exc).__name__})") from None
    rows = len(parsed) if hasattr(parsed, "__len__") else 1
    if not rows:
        raise BadInput("empty input: no rows to predict")
    return Raw(parsed, rows)


def named_schema(model: Any) -> list[tuple[str, str, bool]] | None:
    """``[(column, type, required)]`` of a pyfunc model's column signature, or None
    (no signature, a tensor signature, or unnamed columns)."""
    try:
        schema = model.metadata.get_input_schema()
    except Exception:  # noqa: BLE001
        return None
    if schema is None or schema.is_tensor_spec() or not schema.has_input_names():
        return None
    out = []
    for spec in schema.inputs:
        kind = getattr(getattr(spec, "type", None), "name", None)
        if kind not in _NUMPY and kind not in ("binary", "datetime"):
            return None
        out.append((spec.name, kind, bool(getattr(spec, "required", True))))
    return out


def jsonable(predictions: Any) -> list | dict:
    """Predictions as MLflow's scoring server renders them."""
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return predictions.to_dict(orient="records")
    if isinstance(predictions, (pd.Series, np.ndarray)):
        return predictions.tolist()
    if isinstance(predictions, (list, dict)):
        return predictions
    return [predictions]


def split(predictions: Any, sizes: list[int]) -> list[list]:
    """One prediction list per request of a batch (``sizes`` rows each)."""
    rows = jsonable(predictions)
    if not isinstance(rows, list) or len(rows) != sum(sizes):
        if len(sizes) == 1:
            return [rows]
        raise ValueError("the model's output does not have one prediction per row")
    out, start = [], 0
    for size in sizes:
        out.append(rows[start:start + size])
        start += size
    return out


def render(predictions: list | dict) -> bytes:
    """The response body ``{"predictions": ...}``."""
    return json.dumps({"predictions": predictions}, default=_default).encode()


def _default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
