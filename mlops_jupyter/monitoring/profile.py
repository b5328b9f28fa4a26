"""Reference profiles: what a drift check needs to know about the training data.

A :class:`ReferenceProfile` is built once, from the reference (training) frame, and
stored as a JSON artifact next to the model. Later drift checks
(:func:`mlops_jupyter.monitoring.drift.check_drift`) need only the profile and the
current data, never the reference frame itself.

Per column the profile keeps:

- the column type as Evidently 0.7 infers it (``evidently/core/datasets.py``,
  ``infer_column_type``): float → numerical; int → categorical when it has at most
  10 distinct values, else numerical; bool/category → categorical; strings →
  categorical unless more than half the non-null values are distinct (then "text");
  datetimes, lists and everything else (``uint*``, nullable ``Int64``/``Float64``/
  ``boolean``, mixed objects) are not checked by Evidently, so they are recorded as
  excluded with the reason. ``column_overrides`` can force a type or ignore a column;
- row, null and distinct counts;
- numerical columns: the distribution of the finite values, **exactly** (sorted
  distinct values with counts) when it has at most ``sketch_size`` distinct values,
  otherwise as a quantile sketch of at most ``sketch_size`` weighted atoms (the
  median of each slice of the sorted data; slices are narrower in spread-out tails)
  together with the exact first Wasserstein distance between the sketch and the real
  data (``sketch_error``). By the triangle inequality a Wasserstein distance
  computed against the sketch is within ``sketch_error`` of the one against the full
  data. Mean, population std, min and max are exact;
- categorical columns: the count of every category (at most ``MAX_CATEGORIES``);
- a bounded random sample of rows (default 5000), so the full Evidently report can be
  rendered later from the profile alone.

The JSON holds plain values and little-endian binary arrays in base64 (no pickle, so
reading an untrusted profile cannot run code) and records ``format_version``;
:meth:`ReferenceProfile.from_json` refuses any other version.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import UsageError

FORMAT = "mlops-jupyter/reference-profile"
FORMAT_VERSION = 1

NUMERICAL = "numerical"
CATEGORICAL = "categorical"
IGNORE = "ignore"
ROLES = ("feature", "prediction", "target")

#: evidently/core/datasets.py INTEGER_CARDINALITY_LIMIT: int columns with at most this
#: many distinct values are categorical.
INTEGER_CARDINALITY_LIMIT = 10
#: Default number of atoms of a numerical sketch; also the largest number of distinct
#: values kept exactly.
SKETCH_SIZE = 2000
#: A categorical column with more categories than this is refused (the profile would
#: grow with the data); mark such a column ``"ignore"``.
MAX_CATEGORIES = 10_000
#: Default number of reference rows kept for the Evidently report.
SAMPLE_ROWS = 5000
#: Frames at least this long are summarised (and checked) column by column in
#: threads; below it the threads cost more than they save.
PARALLEL_ROWS = 50_000

_ARRAY_DTYPES = {"<f8", "<i8", "<u4", "<u8"}
# Dtype names a sampled column may be restored to; anything else stays object.
_RESTORABLE = {
    "object", "string", "category", "bool", "boolean",
    "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
    "Float32", "Float64",
}


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


# --- numeric and categorical summaries --------------------------------------------------


@dataclass(frozen=True, eq=False)
class NumericSummary:
    """The distribution of a numerical column's finite values.

    Attributes:
        values: Sorted atom positions (float64).
        counts: How many reference values each atom stands for (sums to the number of
            finite values).
        exact: True when ``values``/``counts`` are the distinct values and their
            counts, i.e. the full data; False for a quantile sketch.
        sketch_error: First Wasserstein distance between this distribution and the
            real data, in the column's units (0.0 when exact).
        mean: Mean of the finite values.
        std: Population standard deviation (ddof=0) of the finite values, as
            ``np.std`` computes it — Evidently normalises Wasserstein by it.
        min: Smallest finite value.
        max: Largest finite value.
    """

    values: np.ndarray
    counts: np.ndarray
    exact: bool
    sketch_error: float
    mean: float | None
    std: float | None
    min: float | None
    max: float | None

    def expanded(self) -> np.ndarray:
        """The sorted reference values (exact summaries only).

        Raises:
            UsageError: The summary is a sketch.
        """
        if not self.exact:
            raise UsageError("the reference values were not kept exactly, only a sketch")
        return np.repeat(self.values, self.counts)


def numeric_array(series: pd.Series) -> np.ndarray:
    """A numeric column as float64 with NaN for missing values.

    Args:
        series: A column of a numeric, bool or nullable numeric dtype.

    Returns:
        A float64 array, zero-copy when the column already is float64.
    """
    if series.dtype == np.float64:
        return series.to_numpy()
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _summarise_numeric(x: np.ndarray, sketch_size: int) -> tuple[NumericSummary, int, int]:
    """Summarise finite values; return the summary, the null count and distinct count."""
    finite = x[np.isfinite(x)]
    n = finite.size
    n_null = x.size - n
    if n == 0:
        empty = NumericSummary(np.empty(0), np.empty(0, np.int64), True, 0.0,
                               None, None, None, None)
        return empty, n_null, 0
    # np.std of a pandas Series is what Evidently's normalisation computes; mean and
    # std are taken in the data's order (summation order shows in the last bits).
    std = float(np.std(pd.Series(finite)))
    mean = float(np.mean(finite))
    xs = finite  # a copy already (boolean indexing): sorted in place
    xs.sort()
    starts = np.flatnonzero(np.concatenate(([True], xs[1:] != xs[:-1])))
    n_unique = starts.size
    stats = {"mean": mean, "std": std, "min": float(xs[0]), "max": float(xs[-1])}
    if n_unique <= sketch_size:
        counts = np.diff(np.append(starts, n)).astype(np.int64)
        # Integer indexing returns a new array: no view of xs is kept.
        return NumericSummary(xs[starts], counts, True, 0.0, **stats), n_null, n_unique
    bounds = _sketch_bounds(xs, sketch_size)
    counts = np.diff(bounds)
    # Each atom is its slice's median, which minimises the L1 (= Wasserstein) error
    # of representing the slice by one point.
    atoms = xs[bounds[:-1] + (counts - 1) // 2]
    # Atoms and slices share their masses, so the quantile coupling is exact and the
    # Wasserstein distance sketch↔data is the mean absolute deviation within slices.
    error = float(np.abs(xs - np.repeat(atoms, counts)).sum() / n)
    return NumericSummary(atoms, counts, False, error, **stats), n_null, n_unique


def _sketch_bounds(xs: np.ndarray, size: int) -> np.ndarray:
    """Slice boundaries (ranks into sorted ``xs``) for at most ``size`` slices.

    A slice of mass h over which the quantile function rises by Q'·h costs about
    Q'·h²/4 of Wasserstein error, so the total is smallest when slice density follows
    sqrt(Q'): narrow slices in spread-out tails, wide ones in the dense middle. On
    heavy tails (log-normal, Student-t) this cuts the error 5–20× against equal-mass
    slices. Q' is estimated on a grid of 8·size equal-mass cells; 30 % of the slices
    stay equal-mass so that no slice gets large where the estimate is flat.
    """
    n = xs.size
    grid = (np.arange(8 * size + 1, dtype=np.int64) * n) // (8 * size)
    rise = np.sqrt(np.diff(xs[np.minimum(grid, n - 1)]))
    total = rise.sum()
    density = 0.3 / rise.size + 0.7 * (rise / total if total > 0 else 1.0 / rise.size)
    cumulative = np.concatenate(([0.0], np.cumsum(density)))
    ranks = np.interp(np.linspace(0.0, cumulative[-1], size + 1), cumulative, grid)
    bounds = np.unique(np.round(ranks).astype(np.int64))
    bounds[0], bounds[-1] = 0, n
    return bounds


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


# --- column and profile ---------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ColumnProfile:
    """What the profile knows about one checked column.

    Attributes:
        name: Column name.
        kind: ``"numerical"`` or ``"categorical"``.
        role: ``"feature"``, ``"prediction"`` or ``"target"``.
        dtype: The reference dtype name.
        type_source: ``"inferred"`` (Evidently's rules) or ``"override"``.
        n_rows: Rows in the reference.
        n_null: Missing values (NaN/None, and ±inf, which Evidently drops too).
        n_unique: Distinct non-null values.
        numeric: The distribution (numerical columns).
        categories: ``(value, count)`` pairs, most frequent first (categorical columns).
    """

    name: str
    kind: str
    role: str
    dtype: str
    type_source: str
    n_rows: int
    n_null: int
    n_unique: int
    numeric: NumericSummary | None = None
    categories: tuple[tuple[Any, int], ...] | None = None

    @property
    def n_present(self) -> int:
        """Non-null values — what Evidently's "reference size" rule counts."""
        return self.n_rows - self.n_null


@dataclass(frozen=True)
class ExcludedColumn:
    """A reference column that drift checks leave out, and why.

    Attributes:
        name: Column name.
        dtype: The reference dtype name.
        inferred_type: Evidently's type for it (``"text"``, ``"datetime"``, …) or
            ``"ignore"`` when excluded by an override.
        reason: One line for people.
    """

    name: str
    dtype: str
    inferred_type: str
    reason: str


@dataclass(frozen=True, eq=False)
class ReferenceProfile:
    """Summary of a reference frame, sufficient to check drift without it.

    Build with :meth:`from_frame`; store with :meth:`to_json`; load with
    :meth:`from_json`.

    Attributes:
        row_count: Rows in the reference frame.
        columns: Checked columns, in frame order.
        excluded_columns: Columns drift checks leave out.
        prediction_column: Name of the model-output column, if any.
        target_column: Name of the label column, if any.
        sample: A random sample of the reference rows (checked columns only), for
            the Evidently report.
        sample_seed: Seed that drew ``sample``.
        created_at: ISO-8601 UTC time of creation.
        format_version: Layout version of the serialised form.
    """

    row_count: int
    columns: tuple[ColumnProfile, ...]
    excluded_columns: tuple[ExcludedColumn, ...]
    prediction_column: str | None
    target_column: str | None
    sample: pd.DataFrame
    sample_seed: int
    created_at: str
    format_version: int = FORMAT_VERSION
    _by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})

    # --- access ---

    @property
    def column_names(self) -> list[str]:
        """Names of the checked columns."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnProfile:
        """The profile of one checked column.

        Raises:
            UsageError: No checked column has that name.
        """
        try:
            return self._by_name[name]
        except KeyError:
            raise UsageError(f"the reference profile has no column '{name}'") from None

    def column_types(self) -> dict[str, str]:
        """``{name: "numerical" | "categorical"}`` for the checked columns."""
        return {c.name: c.kind for c in self.columns}

    def reference_sample(self) -> pd.DataFrame:
        """A copy of the stored reference sample, with the reference dtypes."""
        return self.sample.copy()

    # --- building ---

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        prediction_column: str | None = None,
        target_column: str | None = None,
        column_overrides: Mapping[str, str] | None = None,
        sample_rows: int = SAMPLE_ROWS,
        sketch_size: int = SKETCH_SIZE,
        seed: int = 0,
    ) -> ReferenceProfile:
        """Profile a reference frame.

        Args:
            df: The reference (training) data.
            prediction_column: Column holding the model's output; its drift is also
                reported on its own.
            target_column: Column holding the labels; checks skip it when the
                current data lacks it (labels often arrive later).
            column_overrides: ``{column: "numerical" | "categorical" | "ignore"}``
                to replace Evidently's inferred type.
            sample_rows: Reference rows kept for the Evidently report.
            sketch_size: Atoms of a numerical sketch (and the most distinct values a
                numerical column may have to be stored exactly).
            seed: Seed of the row sample.

        Returns:
            The profile.

        Raises:
            UsageError: The frame is empty or unusable, a named column is missing,
                an override is invalid, or a categorical column has too many
                categories or values a profile cannot store.
        """
        _check_frame(df, "reference data")
        overrides = dict(column_overrides or {})
        for name, kind in overrides.items():
            if name not in df.columns:
                raise UsageError(f"column_overrides names '{name}', which the reference data lacks")
            if kind not in (NUMERICAL, CATEGORICAL, IGNORE):
                raise UsageError(
                    f"column_overrides['{name}'] is '{kind}'; use 'numerical', 'categorical' "
                    "or 'ignore'"
                )
        for label, name in (("prediction_column", prediction_column),
                            ("target_column", target_column)):
            if name is not None and name not in df.columns:
                raise UsageError(f"{label} '{name}' is not a column of the reference data")
            if name is not None and overrides.get(name) == IGNORE:
                raise UsageError(f"{label} '{name}' cannot be ignored")
        if prediction_column is not None and prediction_column == target_column:
            raise UsageError("prediction_column and target_column must differ")
        if sample_rows < 0:
            raise UsageError("sample_rows must be ≥ 0")
        if sketch_size < 100:
            raise UsageError("sketch_size must be ≥ 100")

        def profile(name: str) -> ColumnProfile | ExcludedColumn:
            series = df[name]
            inferred = infer_column_type(series)
            kind = overrides.get(name, inferred)
            source = "override" if name in overrides else "inferred"
            if kind == IGNORE:
                return ExcludedColumn(name, series.dtype.name, IGNORE,
                                      "ignored by column_overrides")
            if kind not in (NUMERICAL, CATEGORICAL):
                return ExcludedColumn(
                    name, series.dtype.name, kind,
                    f"Evidently infers type '{kind}' for dtype {series.dtype.name}; only "
                    "numerical and categorical columns are checked (see column_overrides)",
                )
            role = ("prediction" if name == prediction_column
                    else "target" if name == target_column else "feature")
            return _profile_column(name, series, kind, role, source, sketch_size)

        profiled = map_columns(profile, list(df.columns), len(df))
        columns = [c for c in profiled if isinstance(c, ColumnProfile)]
        excluded = [c for c in profiled if isinstance(c, ExcludedColumn)]

        if not columns:
            raise UsageError("the reference data has no numerical or categorical column to check")
        sample = _draw_sample(df, [c.name for c in columns], sample_rows, seed)
        return cls(
            row_count=len(df),
            columns=tuple(columns),
            excluded_columns=tuple(excluded),
            prediction_column=prediction_column,
            target_column=target_column,
            sample=sample,
            sample_seed=seed,
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )

    # --- serialisation ---

    def to_dict(self) -> dict:
        """The profile as JSON-ready plain data (see :meth:`to_json`)."""
        return {
            "format": FORMAT,
            "format_version": self.format_version,
            "created_at": self.created_at,
            "type_rules": "evidently-0.7",
            "row_count": self.row_count,
            "prediction_column": self.prediction_column,
            "target_column": self.target_column,
            "columns": [_column_to_dict(c) for c in self.columns],
            "excluded_columns": [vars(e).copy() for e in self.excluded_columns],
            "sample": {
                "seed": self.sample_seed,
                "rows": len(self.sample),
                "columns": {name: _encode_sample_column(self.sample[name])
                            for name in self.sample.columns},
            },
        }

    def to_json(self) -> str:
        """Serialise to compact, strict JSON (no NaN/Infinity literals, no pickle)."""
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping) -> ReferenceProfile:
        """Rebuild a profile from :meth:`to_dict` output.

        Raises:
            UsageError: Not a profile, another format version, or malformed.
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
        try:
            columns = tuple(_column_from_dict(c) for c in data["columns"])
            excluded = tuple(ExcludedColumn(**e) for e in data["excluded_columns"])
            sample_spec = data["sample"]
            n_sample = int(sample_spec["rows"])
            sample = pd.DataFrame({
                name: _decode_sample_column(spec, n_sample)
                for name, spec in sample_spec["columns"].items()
            })
            return cls(
                row_count=int(data["row_count"]),
                columns=columns,
                excluded_columns=excluded,
                prediction_column=data["prediction_column"],
                target_column=data["target_column"],
                sample=sample,
                sample_seed=int(sample_spec["seed"]),
                created_at=str(data["created_at"]),
                format_version=version,
            )
        except UsageError:
            raise
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise UsageError(f"malformed reference profile ({type(exc).__name__}: {exc})") from None

    @classmethod
    def from_json(cls, text: str | bytes) -> ReferenceProfile:
        """Load a profile written by :meth:`to_json`.

        Raises:
            UsageError: Not JSON, not a profile, another format version, or malformed.
        """
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise UsageError(f"the reference profile is not valid JSON ({exc})") from None
        return cls.from_dict(data)


# --- helpers --------------------------------------------------------------------------


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


def _check_frame(df: Any, what: str) -> None:
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


def _profile_column(name: str, series: pd.Series, kind: str, role: str, source: str,
                    sketch_size: int) -> ColumnProfile:
    dtype = series.dtype.name
    if kind == NUMERICAL:
        if not (series.dtype.kind in "biuf" or pd.api.types.is_numeric_dtype(series)):
            raise UsageError(f"column '{name}' (dtype {dtype}) cannot be treated as numerical")
        summary, n_null, n_unique = _summarise_numeric(numeric_array(series), sketch_size)
        return ColumnProfile(name, kind, role, dtype, source, len(series), n_null, n_unique,
                             numeric=summary)
    counts = category_counts(series)
    if len(counts) > MAX_CATEGORIES:
        raise UsageError(
            f"column '{name}' has {len(counts)} categories, more than the {MAX_CATEGORIES} a "
            f"profile keeps; pass column_overrides={{'{name}': 'ignore'}} (or 'numerical')"
        )
    pairs = tuple((json_scalar(v, name), int(c)) for v, c in counts.items())
    present = int(counts.sum())
    return ColumnProfile(name, kind, role, dtype, source, len(series), len(series) - present,
                         len(pairs), categories=pairs)


def _draw_sample(df: pd.DataFrame, columns: list[str], rows: int, seed: int) -> pd.DataFrame:
    if len(df) > rows:
        # Sorted positions keep the reference's row order (and any time order in it).
        positions = np.sort(np.random.default_rng(seed).choice(len(df), rows, replace=False))
        df = df.iloc[positions]  # rows first: selecting columns first copies every row
    return df[columns].reset_index(drop=True)


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


def _column_to_dict(c: ColumnProfile) -> dict:
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


def _column_from_dict(d: Mapping) -> ColumnProfile:
    kind, role = d["kind"], d["role"]
    if kind not in (NUMERICAL, CATEGORICAL) or role not in ROLES:
        raise ValueError(f"column {d.get('name')!r} has kind {kind!r} / role {role!r}")
    numeric = categories = None
    if kind == NUMERICAL:
        s = d["numeric"]
        values = _decode_array(s["values"])
        counts = _decode_array(s["counts"], values.size).astype(np.int64)
        numeric = NumericSummary(values, counts, bool(s["exact"]), float(s["sketch_error"]),
                                 s["mean"], s["std"], s["min"], s["max"])
    else:
        categories = tuple((v, int(n)) for v, n in d["categories"])
        for v, _ in categories:
            if not isinstance(v, (str, bool, int, float)):
                raise TypeError(f"category {v!r} of column {d['name']!r}")
    return ColumnProfile(str(d["name"]), kind, role, str(d["dtype"]), str(d["type_source"]),
                         int(d["n_rows"]), int(d["n_null"]), int(d["n_unique"]),
                         numeric=numeric, categories=categories)


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
