"""Reference profiles: what a drift check needs to know about the training data.

A :class:`ReferenceProfile` is built once, from the reference (training) frame, and
stored as a JSON artifact next to the model. Later drift checks
(:func:`mlops_jupyter.monitoring.drift.check_drift`) need only the profile and the
current data, never the reference frame itself.

Per column the profile keeps:

- the column type as Evidently 0.7 infers it (``evidently/core/datasets.py``,
  ``infer_column_type``, mirrored in :mod:`.frames`): float → numerical; int →
  categorical when it has at most 10 distinct values, else numerical;
  bool/category → categorical; strings → categorical unless more than half the
  non-null values are distinct (then "text");
  datetimes, lists and everything else (``uint*``, nullable ``Int64``/``Float64``/
  ``boolean``, mixed objects) are not checked by Evidently, so they are recorded as
  excluded with the reason. ``column_overrides`` can force a type or ignore a column;
- row, null and distinct counts;
- numerical columns: the distribution of the finite values, exactly or as a quantile
  sketch with a stated Wasserstein error (:mod:`.sketch`). Mean, population std, min
  and max are exact;
- categorical columns: the count of every category (at most ``MAX_CATEGORIES``);
- a bounded random sample of rows (default 5000), so the full Evidently report can be
  rendered later from the profile alone.

The JSON form (plain values and base64 arrays, no pickle, ``format_version``) is
written and read by :mod:`.profile_codec`; :meth:`ReferenceProfile.from_json` refuses
any other version.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import UsageError
from .frames import (
    CATEGORICAL,
    NUMERICAL,
    category_counts,
    check_frame,
    infer_column_type,
    map_columns,
)
from .profile_codec import (
    FORMAT,
    FORMAT_VERSION,
    check_header,
    column_to_dict,
    decode_categories,
    decode_numeric,
    decode_sample,
    dumps,
    encode_sample,
    json_scalar,
    loads,
)
from .sketch import NumericSummary, numeric_array, summarise_numeric

__all__ = [
    "CATEGORICAL", "FORMAT", "FORMAT_VERSION", "IGNORE", "MAX_CATEGORIES", "NUMERICAL",
    "ROLES", "SAMPLE_ROWS", "SKETCH_SIZE", "ColumnProfile", "ExcludedColumn",
    "NumericSummary", "ReferenceProfile", "category_counts", "infer_column_type",
    "json_scalar", "map_columns", "numeric_array",
]

IGNORE = "ignore"
ROLES = ("feature", "prediction", "target")

#: Default number of atoms of a numerical sketch; also the largest number of distinct
#: values kept exactly.
SKETCH_SIZE = 2000
#: A categorical column with more categories than this is refused (the profile would
#: grow with the data); mark such a column ``"ignore"``.
MAX_CATEGORIES = 10_000
#: Default number of reference rows kept for the Evidently report.
SAMPLE_ROWS = 5000


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
        check_frame(df, "reference data")
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
            "columns": [column_to_dict(c) for c in self.columns],
            "excluded_columns": [vars(e).copy() for e in self.excluded_columns],
            "sample": encode_sample(self.sample, self.sample_seed),
        }

    def to_json(self) -> str:
        """Serialise to compact, strict JSON (no NaN/Infinity literals, no pickle)."""
        return dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping) -> ReferenceProfile:
        """Rebuild a profile from :meth:`to_dict` output.

        Raises:
            UsageError: Not a profile, another format version, or malformed.
        """
        version = check_header(data)
        try:
            columns = tuple(_column_from_dict(c) for c in data["columns"])
            excluded = tuple(ExcludedColumn(**e) for e in data["excluded_columns"])
            sample, seed = decode_sample(data["sample"])
            return cls(
                row_count=int(data["row_count"]),
                columns=columns,
                excluded_columns=excluded,
                prediction_column=data["prediction_column"],
                target_column=data["target_column"],
                sample=sample,
                sample_seed=seed,
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
        return cls.from_dict(loads(text))


# --- building helpers -----------------------------------------------------------------


def _profile_column(name: str, series: pd.Series, kind: str, role: str, source: str,
                    sketch_size: int) -> ColumnProfile:
    dtype = series.dtype.name
    if kind == NUMERICAL:
        if not (series.dtype.kind in "biuf" or pd.api.types.is_numeric_dtype(series)):
            raise UsageError(f"column '{name}' (dtype {dtype}) cannot be treated as numerical")
        summary, n_null, n_unique = summarise_numeric(numeric_array(series), sketch_size)
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


def _column_from_dict(d: Mapping) -> ColumnProfile:
    kind, role = d["kind"], d["role"]
    if kind not in (NUMERICAL, CATEGORICAL) or role not in ROLES:
        raise ValueError(f"column {d.get('name')!r} has kind {kind!r} / role {role!r}")
    numeric = categories = None
    if kind == NUMERICAL:
        numeric = decode_numeric(d["numeric"])
    else:
        categories = decode_categories(d)
    return ColumnProfile(str(d["name"]), kind, role, str(d["dtype"]), str(d["type_source"]),
                         int(d["n_rows"]), int(d["n_null"]), int(d["n_unique"]),
                         numeric=numeric, categories=categories)

