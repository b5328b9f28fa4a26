"""The JSON form of a reference profile: strict, versioned, no pickle.

A profile is stored as plain JSON values plus little-endian binary arrays in base64,
so reading an untrusted profile cannot run code. ``format`` and ``format_version``
head the document; :func:`check_header` refuses any other format or version, and
:func:`loads` refuses the non-standard ``NaN``/``Infinity`` literals.

The profile itself (:mod:`.profile`) assembles these pieces; this module knows how
each value is written and read back, nothing about how a profile is built.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import UsageError
from .sketch import NumericSummary

FORMAT = "mlops-jupyter/reference-profile"
FORMAT_VERSION = 1

_ARRAY_DTYPES = {"<f8", "<i8", "<u4", "<u8"}
# Dtype names a sampled column may be restored to; anything else stays object.
_RESTORABLE = {
    "object", "string", "category", "bool", "boolean",
    "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
    "Float32", "Float64",
}



def dumps(data: Mapping) -> str:
    """Compact, strict JSON (no NaN/Infinity literals).

    Args:
        data: A profile's plain data.
    """
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


def loads(text: str | bytes) -> Any:
    """Parse strict JSON, refusing ``NaN``/``Infinity`` literals.

    Raises:
        UsageError: The text is not valid (strict) JSON.
    """
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"the reference profile is not valid JSON ({exc})") from None


def check_header(data: Any) -> int:
    """Check that plain data is a profile of the supported format version.

    Returns:
        The format version.

    Raises:
        UsageError: Not a profile, or another format version.
    """
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise UsageError("not an mlops-jupyter reference profile")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise UsageError(
            f"reference profile format version {version!r} is not supported (this "
            f"mlops-jupyter reads version {FORMAT_VERSION}); rebuild the profile from "
            "the reference data"
        )
    return version


def json_scalar(value: Any, column: str) -> bool | int | float | str:
    """Convert a category value to the JSON type that reads back equal to it.

    Args:
        value: A non-null category value.
        column: Column name, for the error message.

    Raises:
        UsageError: The value is not a str, bool, int or float.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        return value
    raise UsageError(
        f"column '{column}' holds values of type {type(value).__name__}, which a profile "
        f"cannot store; pass column_overrides={{'{column}': 'ignore'}} to leave it out"
    )



def _reject_constant(name: str) -> None:
    raise ValueError(f"non-standard JSON constant {name}")


def _encode_array(a: np.ndarray) -> dict:
    if a.dtype.kind == "f":
        a = a.astype("<f8", copy=False)
    elif a.dtype.kind in "iu":
        # Counts are non-negative; 4 bytes each keeps the profile small.
        if a.size == 0 or (a.min() >= 0 and a.max() < 2**32):
            a = a.astype("<u4", copy=False)
        else:
            a = a.astype("<i8", copy=False)
    return {"dtype": a.dtype.str, "base64": base64.b64encode(a.tobytes()).decode("ascii")}


def _decode_array(spec: Mapping, size: int | None = None) -> np.ndarray:
    dtype = spec["dtype"]
    if dtype not in _ARRAY_DTYPES:
        raise ValueError(f"unsupported array dtype {dtype!r}")
    raw = base64.b64decode(spec["base64"], validate=True)
    a = np.frombuffer(raw, dtype=np.dtype(dtype)).copy()
    if size is not None and a.size != size:
        raise ValueError(f"array of {a.size} values where {size} were expected")
    return a


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def column_to_dict(c: Any) -> dict:
    """A :class:`~.profile.ColumnProfile` as plain data (arrays in base64)."""
    out = {
        "name": c.name, "kind": c.kind, "role": c.role, "dtype": c.dtype,
        "type_source": c.type_source, "n_rows": c.n_rows, "n_null": c.n_null,
        "n_unique": c.n_unique,
    }
    if c.numeric is not None:
        s = c.numeric
        out["numeric"] = {
            "exact": s.exact, "sketch_error": s.sketch_error,
            "mean": _finite_or_none(s.mean), "std": _finite_or_none(s.std),
            "min": _finite_or_none(s.min), "max": _finite_or_none(s.max),
            "values": _encode_array(s.values), "counts": _encode_array(s.counts),
        }
    if c.categories is not None:
        out["categories"] = [[v, n] for v, n in c.categories]
    return out



def decode_numeric(s: Mapping) -> NumericSummary:
    """Read back the ``numeric`` part of a column written by :func:`column_to_dict`.

    Raises:
        KeyError, TypeError, ValueError, binascii.Error: Malformed data.
    """
    values = _decode_array(s["values"])
    counts = _decode_array(s["counts"], values.size).astype(np.int64)
    return NumericSummary(values, counts, bool(s["exact"]), float(s["sketch_error"]),
                          s["mean"], s["std"], s["min"], s["max"])


def decode_categories(d: Mapping) -> tuple[tuple[Any, int], ...]:
    """Read back the ``categories`` of a column written by :func:`column_to_dict`.

    Raises:
        KeyError, TypeError, ValueError: Malformed data.
    """
    categories = tuple((v, int(n)) for v, n in d["categories"])
    for v, _ in categories:
        if not isinstance(v, (str, bool, int, float)):
            raise TypeError(f"category {v!r} of column {d['name']!r}")
    return categories


def encode_sample(sample: pd.DataFrame, seed: int) -> dict:
    """The reference row sample as plain data."""
    return {
        "seed": seed,
        "rows": len(sample),
        "columns": {name: _encode_sample_column(sample[name]) for name in sample.columns},
    }


def decode_sample(spec: Mapping) -> tuple[pd.DataFrame, int]:
    """Read back :func:`encode_sample` output: the sample and its seed.

    Raises:
        KeyError, TypeError, ValueError, binascii.Error: Malformed data.
    """
    n_sample = int(spec["rows"])
    sample = pd.DataFrame({
        name: _decode_sample_column(column, n_sample)
        for name, column in spec["columns"].items()
    })
    return sample, int(spec["seed"])


def _encode_sample_column(s: pd.Series) -> dict:
    dtype = s.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "fiu":
        a = s.to_numpy()
        stored = a.astype("<f8") if dtype.kind == "f" else a.astype(
            "<u8" if dtype.kind == "u" else "<i8")
        return {"dtype": dtype.name, "array": {
            "dtype": stored.dtype.str, "base64": base64.b64encode(stored.tobytes()).decode()}}
    values = [None if _is_missing(v) else json_scalar(v, str(s.name)) for v in s.tolist()]
    return {"dtype": dtype.name, "values": values}


def _decode_sample_column(spec: Mapping, size: int) -> pd.Series:
    dtype = spec["dtype"]
    if "array" in spec:
        a = _decode_array(spec["array"], size)
        np_dtype = np.dtype(dtype)
        if np_dtype.kind not in "fiu":
            raise ValueError(f"sample dtype {dtype!r} for a binary array")
        return pd.Series(a.astype(np_dtype))
    values = list(spec["values"])
    if len(values) != size:
        raise ValueError(f"sample column of {len(values)} values where {size} were expected")
    series = pd.Series(values, dtype=object)
    if dtype in _RESTORABLE and dtype != "object":
        series = series.astype(dtype)
    return series


def _is_missing(v: Any) -> bool:
    # ±inf counts as missing: Evidently drops it, and strict JSON cannot hold it.
    if isinstance(v, (float, np.floating)):
        return not math.isfinite(v)
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False
