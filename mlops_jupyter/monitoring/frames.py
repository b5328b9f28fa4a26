"""How a pandas frame is read, as Evidently 0.7 reads it, by profiles and checks alike.

Column types (:func:`infer_column_type`), category counts (:func:`category_counts`),
the checks every input frame passes (:func:`check_frame`), and the per-column
threading of long frames (:func:`map_columns`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import UsageError

NUMERICAL = "numerical"
CATEGORICAL = "categorical"

#: evidently/core/datasets.py INTEGER_CARDINALITY_LIMIT: int columns with at most this
#: many distinct values are categorical.
INTEGER_CARDINALITY_LIMIT = 10
#: Frames at least this long are summarised (and checked) column by column in
#: threads; below it the threads cost more than they save.
PARALLEL_ROWS = 50_000


def infer_column_type(series: pd.Series) -> str:
    """Infer a column's type with the rules of Evidently 0.7.

    Mirrors ``evidently.core.datasets.infer_column_type`` (checked against 0.7.23),
    including its quirks: dtype names are matched by prefix, so ``uint8`` and the
    nullable ``Int64`` are "unknown" rather than numerical.

    Args:
        series: The column.

    Returns:
        One of ``"numerical"``, ``"categorical"``, ``"text"``, ``"datetime"``,
        ``"list"`` or ``"unknown"``.
    """
    name = series.dtype.name
    if name.startswith("float"):
        return NUMERICAL
    if name.startswith("int"):
        return CATEGORICAL if series.nunique() <= INTEGER_CARDINALITY_LIMIT else NUMERICAL
    if name in ("string", "str"):
        return "text" if series.nunique() > series.count() * 0.5 else CATEGORICAL
    if name == "object":
        present = series.dropna()
        if present.empty:
            return "unknown"
        first, last = present.iloc[0], present.iloc[-1]
        if isinstance(first, str) and isinstance(last, str):
            return "text" if series.nunique() > series.count() * 0.5 else CATEGORICAL
        if isinstance(first, (list, tuple)) and isinstance(last, (list, tuple)):
            return "list"
        return "unknown"
    if name in ("bool", "category"):
        return CATEGORICAL
    if name.startswith("datetime"):
        return "datetime"
    return "unknown"



def category_counts(series: pd.Series) -> pd.Series:
    """Counts of the present categories of a column, as Evidently counts them.

    Evidently replaces ±inf by NaN and drops NaN before a drift test, and only
    categories that occur take part (a ``category`` dtype's unused categories do not).

    Args:
        series: The column.

    Returns:
        Non-zero counts indexed by category value.
    """
    if series.dtype.kind == "f":
        series = series[np.isfinite(series.to_numpy())]
    counts = series.value_counts(dropna=True)
    counts = counts[counts > 0]
    if series.dtype == object:
        # Counting first and dropping ±inf keys afterwards is much cheaper than
        # replacing them in a large object column.
        infinite = [k for k in counts.index if isinstance(k, float) and math.isinf(k)]
        if infinite:
            counts = counts.drop(infinite)
    return counts



def map_columns(fn: Callable[[Any], Any], items: list, rows: int) -> list:
    """``[fn(item) for item in items]``, in threads when the frame is long.

    The work per column is sorting, hashing and counting, which numpy and pandas do
    without holding the GIL, so the columns of a large frame use every core. Results
    keep the order of ``items``; the first exception (in that order) is raised.
    """
    workers = min(len(items), os.cpu_count() or 1)
    if rows < PARALLEL_ROWS or workers < 2:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def check_frame(df: Any, what: str) -> None:
    """Refuse what no profile or check can read.

    Args:
        df: The frame.
        what: What it is, for the message (``"current data"``).

    Raises:
        UsageError: Not a DataFrame, no rows, non-string or duplicated column names.
    """
    if not isinstance(df, pd.DataFrame):
        raise UsageError(f"{what} must be a pandas DataFrame, not {type(df).__name__}")
    if len(df) == 0:
        raise UsageError(f"{what} has no rows")
    bad = [c for c in df.columns if not isinstance(c, str)]
    if bad:
        raise UsageError(f"{what} has column names that are not strings: {bad[:5]!r}")
    duplicated = sorted(set(df.columns[df.columns.duplicated()]))
    if duplicated:
        raise UsageError(f"{what} has duplicated column names: {', '.join(duplicated)}")

