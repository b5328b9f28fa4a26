"""Rows of the inference log: request records and feedback labels as Arrow tables.

Runs in the inference log's writer thread, never on the request path. Input frames of
many requests are concatenated once per flush (one ``pandas.concat``), not converted
row by row: a single-row request costs microseconds here, not a millisecond.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from ..exceptions import UsageError

INPUT_PREFIX = "input."
PREDICTION_COLUMNS = ("request_id", "row", "timestamp", "model", "alias", "version", "variant",
                      "latency_ms", "status", "error", "prediction", "prediction_json")
FEEDBACK_COLUMNS = ("request_id", "row", "label", "label_json", "timestamp")
REQUEST_ID_MAX = 200


def plain(value: Any) -> Any:
    """A JSON-able Python value of ``value`` (numpy scalars and arrays unwrapped)."""
    if not isinstance(value, (str, bytes)):
        if hasattr(value, "tolist"):
            value = value.tolist()
        elif hasattr(value, "item"):
            value = value.item()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def as_float(value: Any) -> float | None:
    """``value`` as a float when it is a number or a bool, else None."""
    if isinstance(value, (bool, int, float)):
        return float(value)
    return None


def to_json(value: Any) -> str:
    """``value`` as JSON (NaN and infinities as Python's json writes them)."""
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return json.dumps(str(value))


#: Items handled between two GIL releases of the writer thread (~0.3 ms of work).
YIELD_EVERY = 32


def _yielding(items: list):
    """``items``, letting other threads run every :data:`YIELD_EVERY` of them.

    The writer shares the GIL with the endpoint's event loop: a loop thread back from
    a socket call would otherwise wait up to the switch interval (5 ms) each time the
    CPU-bound writer holds the GIL, which costs far more throughput than the writer's
    CPU time."""
    for index, item in enumerate(items):
        if index % YIELD_EVERY == YIELD_EVERY - 1:
            time.sleep(0)
        yield item


def _json_value(value: Any) -> str:
    """:func:`to_json` with a fast path for the usual scalar predictions."""
    kind = type(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float and math.isfinite(value):
        return repr(value)
    return to_json(value)


def _timestamps(seconds: list[float]):
    import pyarrow as pa

    return pa.array([int(s * 1_000_000) for s in seconds], type=pa.int64()).cast(
        pa.timestamp("us", tz="UTC"))


def _row_count(inputs) -> int:
    """Rows of an input frame; 0 when absent or not a frame with columns."""
    import pandas as pd

    if not isinstance(inputs, pd.DataFrame) or not len(inputs.columns):
        return 0
    return len(inputs.index)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _arrow_column(series):
    import pandas as pd
    import pyarrow as pa

    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    try:
        return pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError,
            ValueError, OverflowError):  # mixed types across requests: keep them as text
        return pa.array([None if _missing(v) else str(plain(v)) for v in series],
                        type=pa.string())


def _column_blocks(frame):
    """``frame.to_numpy()`` for a frame holding one numeric block per column (a frame
    built from a dict of arrays without copying, as the endpoint builds its batches),
    without pandas' row-by-row interleaving (~40 us for 30 columns); None otherwise.

    Reads pandas' block manager, so every assumption is checked and anything
    unexpected falls back to ``to_numpy``."""
    import numpy as np

    try:
        manager = frame._mgr
        blocks = manager.arrays
        if len(blocks) < 2 or len(blocks) != len(frame.columns):
            return None
        kinds = {block.dtype.kind for block in blocks}
        if not (kinds <= {"f", "i", "u"} or kinds == {"b"}):
            return None
        rows = len(frame)
        if any(block.ndim != 2 or block.shape != (1, rows) for block in blocks):
            return None
        stacked = np.concatenate(blocks)            # one row per block
        return stacked[np.asarray(manager.blknos)].T  # columns in the frame's order
    except (AttributeError, TypeError, ValueError, IndexError):
        return None


def _numeric_features(frames: list) -> dict[str, Any] | None:
    """The fast path: frames with the same columns, all numbers (or all bools), stacked
    as one numpy array (no ``pandas.concat``: ~10x cheaper for single-row requests).
    None when the frames do not qualify."""
    import numpy as np
    import pyarrow as pa

    columns = frames[0].columns.tolist()
    if len(set(columns)) != len(columns):
        return None
    arrays = []
    for frame in _yielding(frames):
        if frame.columns.tolist() != columns:
            return None
        values = _column_blocks(frame)
        if values is None:
            values = frame.to_numpy()
        if values.dtype.kind not in "fiub":
            return None
        arrays.append(values)
    stacked = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
    return {f"{INPUT_PREFIX}{name}": pa.array(stacked[:, index])
            for index, name in enumerate(columns)}


def _features(frames: list, positions: list[int], total: int) -> dict[str, Any]:
    """``{input.<column>: arrow array}`` of the input frames placed at ``positions``."""
    import numpy as np
    import pandas as pd

    if not frames:
        return {}
    if len(positions) == total:  # every request had rows: maybe the fast path
        fast = _numeric_features(frames)
        if fast is not None:
            return fast
    try:
        joined = pd.concat(frames, ignore_index=True, sort=False, copy=False) \
            if len(frames) > 1 else frames[0].reset_index(drop=True)
    except (TypeError, ValueError):  # e.g. duplicate column names: one frame at a time
        joined = pd.concat([f.T.drop_duplicates().T for f in frames], ignore_index=True)
    if len(joined) != total:
        joined.index = np.asarray(positions)
        joined = joined.reindex(range(total))
    return {f"{INPUT_PREFIX}{name}": _arrow_column(joined[name])
            for name in dict.fromkeys(joined.columns)}


def prediction_table(records: list):
    """One Arrow table of :data:`PREDICTION_COLUMNS` + ``input.*``: a row per input row
    (a request without input rows, e.g. an unparseable body, gives one row 0 with the
    meta columns only)."""
    import pyarrow as pa

    meta: dict[str, list] = {name: [] for name in PREDICTION_COLUMNS}
    frames, positions = [], []
    total = 0
    for record in _yielding(records):
        rows = _row_count(record.inputs)
        if rows:
            frames.append(record.inputs)
            positions.extend(range(total, total + rows))
        count = max(rows, 1)
        predictions = record.predictions if record.predictions is not None else ()
        if hasattr(predictions, "tolist"):
            predictions = predictions.tolist()
        for index in range(count):
            value = plain(predictions[index]) if index < len(predictions) else None
            meta["prediction"].append(None if value is None else as_float(value))
            meta["prediction_json"].append(None if value is None else _json_value(value))
        meta["row"].extend(range(count))
        for name, value in (("request_id", record.request_id), ("timestamp", record.timestamp),
                            ("model", record.model), ("alias", record.alias),
                            ("version", None if record.version is None else str(record.version)),
                            ("variant", record.variant), ("latency_ms", record.latency_ms),
                            ("status", record.status), ("error", record.error)):
            meta[name].extend([value] * count)
        total += count
    types = {"request_id": pa.string(), "row": pa.int64(), "model": pa.string(),
             "alias": pa.string(), "version": pa.string(), "variant": pa.string(),
             "latency_ms": pa.float64(), "status": pa.int64(), "error": pa.string(),
             "prediction": pa.float64(), "prediction_json": pa.string()}
    columns = {name: (_timestamps(meta[name]) if name == "timestamp"
                      else pa.array(meta[name], type=types[name]))
               for name in PREDICTION_COLUMNS}
    columns.update(_features(frames, positions, total))
    return pa.table(columns)


def feedback_table(items: list):
    """One Arrow table of :data:`FEEDBACK_COLUMNS` (label float64 when numeric)."""
    import pyarrow as pa

    return pa.table({
        "request_id": pa.array([i.request_id for i in items], type=pa.string()),
        "row": pa.array([i.row for i in items], type=pa.int64()),
        "label": pa.array([as_float(i.label) for i in items], type=pa.float64()),
        "label_json": pa.array([to_json(i.label) for i in items], type=pa.string()),
        "timestamp": _timestamps([i.timestamp for i in items]),
    })


def check_feedback(request_id: Any, label: Any, row: Any = None) -> tuple[str, Any, int | None]:
    """Validate one feedback label; returns ``(request_id, label, row)`` as plain values.

    Raises:
        UsageError: a request id that is not a short string, a label that is not a
            number, bool or string, a row that is not a non-negative integer.
    """
    if not isinstance(request_id, str) or not 0 < len(request_id) <= REQUEST_ID_MAX:
        raise UsageError(f"request_id must be a string of 1-{REQUEST_ID_MAX} characters")
    label = plain(label)
    if not isinstance(label, (bool, int, float, str)) or (
            isinstance(label, float) and not math.isfinite(label)):
        raise UsageError("label must be a finite number, a bool or a string")
    if isinstance(label, str) and len(label) > 1000:
        raise UsageError("label must be at most 1000 characters")
    if row is not None:
        row = plain(row)
        if isinstance(row, bool) or not isinstance(row, int) or row < 0:
            raise UsageError("row must be a non-negative integer")
    return request_id, label, row
