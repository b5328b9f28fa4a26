"""Drift checks of current data against a :class:`~.profile.ReferenceProfile`.

:func:`check_drift` reproduces the verdicts of Evidently 0.7's ``DataDriftPreset``
(``Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)``) from the
profile alone. The rules below were read from Evidently 0.7.23:

- Method choice (``legacy/calculations/stattests/registry.py``,
  ``_get_default_stattest``), where *n* is the number of non-null reference values
  and *k* the number of distinct non-null values in reference ∪ current:
  *n* ≤ 1000 → numerical: K-S (``ks``) if *k* > 5, else chi-square if *k* > 2, else
  Z-test; categorical: chi-square if *k* > 2, else Z-test.
  *n* > 1000 → numerical: normed Wasserstein if *k* > 5, else Jensen-Shannon;
  categorical: Jensen-Shannon.
- The tests themselves and their verdict rules (K-S, chi-square, Z, normed
  Wasserstein, Jensen-Shannon) live in :mod:`.stattests`; the result types
  (:class:`ColumnDrift`, :class:`DriftResult`) and their JSON form in
  :mod:`.drift_result`.
- Before a test, ±inf becomes NaN and NaN is dropped, on both sides
  (``legacy/calculations/data_drift.py``, ``get_one_column_drift``).
- Dataset drift when drifted/checked columns ≥ ``drift_share`` (default 0.5;
  ``get_dataset_drift``). Threshold precedence: per column > per type > all; method
  precedence the same (``legacy/utils/data_drift_utils.py``).

Deliberate differences from Evidently, all reported in the result instead of raised
deep inside a library:

- Column types come from the reference (fixed in the profile); Evidently re-infers
  them from the *current* frame on every run, so e.g. an int column that gains a NaN
  turns numerical there.
- A column with no usable values on either side is *skipped* with a reason and left
  out of the drifted share (Evidently raises ``ValueError``).
- A numerical column arriving as text is parsed when every value is a number (the
  column is listed in ``coerced_columns``); otherwise :class:`UsageError` names it.
  Evidently refuses any non-numeric dtype.
- Text, datetime and other columns Evidently would not test with these methods are
  excluded when the profile is built and listed in ``excluded_columns``.

Exactness: every score is computed exactly as Evidently computes it, except normed
Wasserstein against a sketched reference (more than ``sketch_size`` distinct values).
Then the score is within ``score_error_bound`` of Evidently's (the sketch's own
Wasserstein error divided by the std), and ``uncertain`` flags a verdict that this
bound could flip.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import UsageError
from .drift_result import ColumnDrift, DriftResult
from .frames import category_counts, check_frame, map_columns
from .profile import (
    FORMAT_VERSION,
    NUMERICAL,
    ColumnProfile,
    ReferenceProfile,
    numeric_array,
)
from .stattests import (
    JS_BINNING_UNIQUE,
    METHODS,
    Method,
    categorical_score,
    jensenshannon,
    numeric_score,
    wasserstein_to_sample,
)

__all__ = [
    "METHODS", "SMALL_REFERENCE_ROWS", "ColumnDrift", "DriftOptions", "DriftResult",
    "Method", "check_drift", "jensenshannon", "wasserstein_to_sample",
]

#: Evidently's "small reference" limit (``_get_default_stattest``).
SMALL_REFERENCE_ROWS = 1000


@dataclass(frozen=True)
class DriftOptions:
    """Settings of a drift check; the defaults are Evidently's ``DataDriftPreset()``.

    Methods are names from :data:`METHODS`; ``None`` lets the check choose as
    Evidently does. Method precedence: ``per_column_method`` > ``num_method`` /
    ``cat_method`` > ``method``; thresholds likewise, then the method's default.

    Attributes:
        columns: Check only these profile columns (default: all).
        drift_share: Dataset drift when at least this share of checked columns drift.
        method: Method for every column.
        cat_method: Method for categorical columns.
        num_method: Method for numerical columns.
        per_column_method: ``{column: method}``.
        threshold: Threshold for every column.
        cat_threshold: Threshold for categorical columns.
        num_threshold: Threshold for numerical columns.
        per_column_threshold: ``{column: threshold}``.
    """

    columns: Sequence[str] | None = None
    drift_share: float = 0.5
    method: str | None = None
    cat_method: str | None = None
    num_method: str | None = None
    per_column_method: Mapping[str, str] = field(default_factory=dict)
    threshold: float | None = None
    cat_threshold: float | None = None
    num_threshold: float | None = None
    per_column_threshold: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Accept None like DataDriftPreset does for the per-column mappings.
        for name in ("per_column_method", "per_column_threshold"):
            value = getattr(self, name)
            if value is None:
                object.__setattr__(self, name, {})
            elif not isinstance(value, Mapping):
                raise UsageError(f"{name} must be a mapping of column name to value")
        share = self.drift_share
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise UsageError(f"drift_share must be a number in (0, 1], not {share!r}")
        for label, value in (("method", self.method), ("cat_method", self.cat_method),
                             ("num_method", self.num_method),
                             *((f"per_column_method['{k}']", v)
                               for k, v in self.per_column_method.items())):
            if value is not None and value not in METHODS:
                raise UsageError(
                    f"{label} is '{value}'; choose one of {', '.join(sorted(METHODS))}")
        for label, value in (("threshold", self.threshold),
                             ("cat_threshold", self.cat_threshold),
                             ("num_threshold", self.num_threshold),
                             *((f"per_column_threshold['{k}']", v)
                               for k, v in self.per_column_threshold.items())):
            if value is None:
                continue
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not math.isfinite(value) or value < 0):
                raise UsageError(f"{label} must be a finite number ≥ 0, not {value!r}")
        if self.columns is not None and (isinstance(self.columns, str) or not self.columns):
            raise UsageError("columns must be a non-empty list of column names")

    def method_for(self, column: str, kind: str) -> str | None:
        """The configured method of a column, or None to choose Evidently's default."""
        typed = self.num_method if kind == NUMERICAL else self.cat_method
        chosen = typed if typed is not None else self.method
        return self.per_column_method.get(column, chosen)

    def threshold_for(self, column: str, kind: str) -> float | None:
        """The configured threshold of a column, or None for the method's default."""
        if column in self.per_column_threshold:
            return float(self.per_column_threshold[column])
        typed = self.num_threshold if kind == NUMERICAL else self.cat_threshold
        if typed is not None:
            return float(typed)
        return None if self.threshold is None else float(self.threshold)


# --- the check --------------------------------------------------------------------------


def check_drift(
    profile: ReferenceProfile,
    current_df: pd.DataFrame,
    *,
    options: DriftOptions | None = None,
) -> DriftResult:
    """Compare current data with a reference profile, column by column.

    Args:
        profile: The reference profile.
        current_df: The current data; it must hold every checked feature column
            (the prediction and target columns may be absent: they are skipped).
            Extra columns are ignored and listed in ``ignored_columns``.
        options: Methods, thresholds and the dataset drift share.

    Returns:
        Per-column verdicts and the dataset verdict.

    Raises:
        UsageError: Wrong argument types, a profile of another format version, an
            empty current frame, missing columns (all named), current values that do
            not fit a column's reference type (all such columns named), or options
            that do not fit the profile.
    """
    if not isinstance(profile, ReferenceProfile):
        raise UsageError(f"profile must be a ReferenceProfile, not {type(profile).__name__}")
    if profile.format_version != FORMAT_VERSION:
        raise UsageError(
            f"reference profile format version {profile.format_version} is not supported "
            f"(expected {FORMAT_VERSION}); rebuild the profile")
    if options is None:
        options = DriftOptions()
    elif not isinstance(options, DriftOptions):
        raise UsageError(f"options must be DriftOptions, not {type(options).__name__}")
    check_frame(current_df, "current data")

    excluded = {e.name: e.reason for e in profile.excluded_columns}
    selected = _selected_columns(profile, options, excluded)
    present = set(current_df.columns)
    missing = [c.name for c in selected if c.name not in present and c.role == "feature"]
    if missing:
        raise UsageError(f"the current data lacks reference column(s): {', '.join(missing)}")

    def verdict(col: ColumnProfile) -> ColumnDrift | _DtypeMismatch:
        if col.name not in present:
            return ColumnDrift(col.name, col.kind, col.role, "skipped",
                               reason=f"the {col.role} column is not in the current data",
                               reference_count=col.n_present)
        try:
            return _check_column(col, current_df[col.name], options)
        except _DtypeMismatch as exc:  # collected: every such column is named at once
            return exc

    outcomes = map_columns(verdict, selected, len(current_df))
    bad = [str(o) for o in outcomes if isinstance(o, _DtypeMismatch)]
    if bad:
        raise UsageError("; ".join(bad))
    verdicts = [o for o in outcomes if isinstance(o, ColumnDrift)]

    computed = [v for v in verdicts if v.status == "computed"]
    n_drifted = sum(1 for v in computed if v.drifted)
    share = n_drifted / len(computed) if computed else None
    known = set(profile.column_names) | set(excluded)
    # Reported whenever the current data has the column, even if it was skipped.
    prediction = next((v for v in verdicts
                       if v.role == "prediction" and v.column in present), None)
    return DriftResult(
        columns=tuple(verdicts),
        dataset_drift=None if share is None else bool(share >= options.drift_share),
        drift_share=float(options.drift_share),
        number_of_columns=len(computed),
        number_of_drifted_columns=n_drifted,
        share_of_drifted_columns=share,
        prediction=prediction,
        ignored_columns=tuple(c for c in current_df.columns if c not in known),
        excluded_columns=excluded,
        coerced_columns=tuple(v.column for v in verdicts if v.coerced),
        reference_rows=profile.row_count,
        current_rows=len(current_df),
        profile_format_version=profile.format_version,
    )


class _DtypeMismatch(Exception):
    """A current column's values do not fit its reference type (collected, then raised)."""


def _selected_columns(profile: ReferenceProfile, options: DriftOptions,
                      excluded: Mapping[str, str]) -> list[ColumnProfile]:
    names = list(options.columns) if options.columns is not None else profile.column_names
    for label, mapping in (("per_column_method", options.per_column_method),
                           ("per_column_threshold", options.per_column_threshold)):
        names_unknown = [k for k in mapping if k not in profile.column_names]
        if names_unknown:
            raise UsageError(f"{label} names column(s) the profile does not check: "
                             f"{', '.join(map(str, names_unknown))}")
    unknown = [n for n in names if n not in profile.column_names]
    if unknown:
        why = [f"'{n}' ({excluded[n]})" if n in excluded else f"'{n}'" for n in unknown]
        raise UsageError(f"the profile does not check column(s) {', '.join(why)}")
    selected = [profile.column(n) for n in dict.fromkeys(names)]
    for col in selected:
        method = options.method_for(col.name, col.kind)
        if method is None:
            continue
        if col.kind not in METHODS[method].kinds:
            raise UsageError(
                f"method '{method}' does not apply to {col.kind} column '{col.name}' "
                f"(Evidently allows it for {', '.join(sorted(METHODS[method].kinds))} only)")
        needs_exact = method == "ks" or (
            method == "jensenshannon" and col.kind == NUMERICAL
            and col.n_unique > JS_BINNING_UNIQUE)
        if needs_exact and col.numeric is not None and not col.numeric.exact:
            raise UsageError(
                f"method '{method}' needs the exact reference values of column '{col.name}', "
                f"but its {col.n_unique} distinct values were kept as a sketch; use "
                "'wasserstein' or build the profile with a larger sketch_size")
    return selected


def _check_column(col: ColumnProfile, series: pd.Series, options: DriftOptions) -> ColumnDrift:
    if col.kind == NUMERICAL:
        x, coerced = _current_numeric(col, series)
        finite = x[np.isfinite(x)]  # a copy (boolean indexing): sorted in place
        finite.sort()
        n_cur = int(finite.size)
        cur_counts = None
    else:
        cur_counts, coerced = _current_categories(col, series)
        n_cur = int(sum(cur_counts.values()))
    base = {"column": col.name, "kind": col.kind, "role": col.role,
            "reference_count": col.n_present, "current_count": n_cur,
            "current_null": len(series) - n_cur, "coerced": coerced}
    if col.n_present == 0:
        return ColumnDrift(status="skipped", reason="no non-null values in the reference data",
                           **base)
    if n_cur == 0:
        return ColumnDrift(status="skipped", reason="no non-null values in the current data",
                           **base)

    name = options.method_for(col.name, col.kind)
    if col.kind == NUMERICAL:
        if name is None:
            name = _default_method(col, _numeric_union_size(col, finite))
        score, bound = numeric_score(name, col, finite)
    else:
        ref_counts = dict(col.categories or ())
        keys = list(dict.fromkeys([*ref_counts, *cur_counts]))
        if name is None:
            name = _default_method(col, len(keys))
        score, bound = categorical_score(name, keys, ref_counts, cur_counts,
                                          col.n_present, n_cur), 0.0
    method = METHODS[name]
    threshold = options.threshold_for(col.name, col.kind)
    if threshold is None:
        threshold = method.default_threshold
    drifted = method.is_drift(score, threshold)
    uncertain = bool(bound > 0 and abs(score - threshold) <= bound)
    return ColumnDrift(status="computed", method=name, method_display=method.display_name,
                       score_kind=method.score_kind, score=float(score), threshold=threshold,
                       drifted=drifted, score_error_bound=float(bound), uncertain=uncertain,
                       **base)


def _default_method(col: ColumnProfile, n_values: int) -> str:
    """Evidently's ``_get_default_stattest`` for numerical and categorical columns."""
    if col.n_present <= SMALL_REFERENCE_ROWS:
        if col.kind == NUMERICAL and n_values > 5:
            return "ks"
        return "chisquare" if n_values > 2 else "z"
    if col.kind == NUMERICAL and n_values > 5:
        return "wasserstein"
    return "jensenshannon"


def _numeric_union_size(col: ColumnProfile, finite: np.ndarray) -> int:
    """Distinct values of reference ∪ current, exact whenever it is ≤ 5 (all that matters)."""
    if col.n_unique > 5:
        return col.n_unique
    assert col.numeric is not None
    return int(np.union1d(col.numeric.values, np.unique(finite)).size)


# --- current data ---------------------------------------------------------------------


def _current_numeric(col: ColumnProfile, series: pd.Series) -> tuple[np.ndarray, bool]:
    dtype = series.dtype
    if dtype.kind in "biuf" or (pd.api.types.is_numeric_dtype(dtype) and dtype.kind != "c"):
        return numeric_array(series), False
    if dtype.kind in "mMc" or isinstance(dtype, pd.DatetimeTZDtype):
        raise _DtypeMismatch(f"column '{col.name}' is numerical in the reference but has dtype "
                             f"{dtype.name} in the current data")
    values = series.astype(object) if isinstance(dtype, pd.CategoricalDtype) else series
    try:
        # astype parses with Python's float(): exact for any repr'd float, unlike
        # pd.to_numeric's faster parser, which can be off in the last bit.
        return numeric_array(values.astype(np.float64)), bool(values.notna().any())
    except (TypeError, ValueError):
        parsed = pd.to_numeric(values, errors="coerce")
        unparsed = parsed.isna() & series.notna()
        example = series[unparsed].iloc[0] if unparsed.any() else "?"
        raise _DtypeMismatch(
            f"column '{col.name}' is numerical in the reference but holds non-numeric values "
            f"in the current data (e.g. {str(example)[:40]!r})") from None


def _current_categories(col: ColumnProfile, series: pd.Series) -> tuple[dict, bool]:
    coerced = False
    family = _family(col.categories or ())
    dtype = series.dtype
    numeric_dtype = dtype.kind in "biuf" or (
        pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype))
    if family == "text" and numeric_dtype and series.notna().any():
        raise _DtypeMismatch(
            f"column '{col.name}' holds text categories in the reference but numbers "
            f"(dtype {dtype.name}) in the current data")
    if family == "number" and not numeric_dtype and dtype.kind not in "mM":
        values = series.astype(object) if isinstance(dtype, pd.CategoricalDtype) else series
        if values.map(lambda v: isinstance(v, str), na_action="ignore").any():
            parsed = pd.to_numeric(values, errors="coerce")
            unparsed = parsed.isna() & series.notna()
            if unparsed.any():
                example = series[unparsed].iloc[0]
                raise _DtypeMismatch(
                    f"column '{col.name}' holds numeric categories in the reference but text "
                    f"in the current data (e.g. {str(example)[:40]!r})")
            series, coerced = parsed, True
    counts = category_counts(series)
    return dict(zip(counts.index.tolist(), counts.tolist())), coerced


def _family(categories: Sequence[tuple[Any, int]]) -> str:
    if not categories:
        return "mixed"
    if all(isinstance(v, str) for v, _ in categories):
        return "text"
    if all(isinstance(v, (bool, int, float)) for v, _ in categories):
        return "number"
    return "mixed"
