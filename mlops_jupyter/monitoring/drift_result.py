"""The outcome of a drift check: per-column verdicts, the dataset verdict, their JSON form.

:func:`~.drift.check_drift` produces a :class:`DriftResult`; monitoring stores its
:meth:`~DriftResult.to_dict` as ``drift/result.json`` and the dashboards, alerts and
comparisons read it back with :meth:`~DriftResult.from_dict`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from ..exceptions import UsageError


@dataclass(frozen=True)
class ColumnDrift:
    """The drift verdict of one column.

    Attributes:
        column: Column name.
        kind: ``"numerical"`` or ``"categorical"`` (from the profile).
        role: ``"feature"``, ``"prediction"`` or ``"target"``.
        status: ``"computed"`` or ``"skipped"`` (then ``reason`` says why and the
            column does not count towards the dataset verdict).
        method: Test name (see :data:`METHODS`), None when skipped.
        method_display: Evidently's display name of the test.
        score_kind: ``"p_value"`` or ``"distance"``.
        score: The p-value or distance.
        threshold: Threshold the score was compared with.
        drifted: The verdict; None when skipped.
        reason: Why the column was skipped.
        score_error_bound: Largest possible difference between ``score`` and the
            score on the full reference data (0.0 when exact).
        uncertain: True when that bound reaches across the threshold, so the full
            data could give the other verdict.
        reference_count: Non-null reference values.
        current_count: Non-null current values.
        current_null: Missing (NaN/None/±inf) current values.
        coerced: True when numeric text in the current data was parsed.
    """

    column: str
    kind: str
    role: str
    status: str
    method: str | None = None
    method_display: str | None = None
    score_kind: str | None = None
    score: float | None = None
    threshold: float | None = None
    drifted: bool | None = None
    reason: str | None = None
    score_error_bound: float = 0.0
    uncertain: bool = False
    reference_count: int = 0
    current_count: int = 0
    current_null: int = 0
    coerced: bool = False

    def to_dict(self) -> dict:
        """Plain JSON-ready data (NaN/inf scores become None)."""
        out = asdict(self)
        out["score"] = _json_float(self.score)
        out["score_error_bound"] = _json_float(self.score_error_bound)
        return out


@dataclass(frozen=True)
class DriftResult:
    """Outcome of :func:`check_drift`.

    Attributes:
        columns: One verdict per checked column, in profile order.
        dataset_drift: share_of_drifted_columns ≥ drift_share; None when no column
            could be computed.
        drift_share: The dataset threshold used.
        number_of_columns: Columns with a computed verdict.
        number_of_drifted_columns: Of those, how many drifted.
        share_of_drifted_columns: drifted / computed, None when nothing was computed.
        prediction: The prediction column's verdict, when the profile names one and
            the current data has it.
        ignored_columns: Current columns the profile does not know (not checked).
        excluded_columns: ``{column: reason}`` for reference columns the profile does
            not check (text, datetime, overrides …).
        coerced_columns: Columns whose numeric text was parsed.
        reference_rows: Rows of the reference data.
        current_rows: Rows of the current data.
        profile_format_version: Format version of the profile used.
    """

    columns: tuple[ColumnDrift, ...]
    dataset_drift: bool | None
    drift_share: float
    number_of_columns: int
    number_of_drifted_columns: int
    share_of_drifted_columns: float | None
    prediction: ColumnDrift | None
    ignored_columns: tuple[str, ...]
    excluded_columns: Mapping[str, str]
    coerced_columns: tuple[str, ...]
    reference_rows: int
    current_rows: int
    profile_format_version: int

    def column(self, name: str) -> ColumnDrift:
        """The verdict of one column.

        Raises:
            UsageError: The column was not checked.
        """
        for c in self.columns:
            if c.column == name:
                return c
        raise UsageError(f"column '{name}' was not part of this drift check")

    @property
    def drifted_columns(self) -> list[str]:
        """Names of the columns that drifted."""
        return [c.column for c in self.columns if c.drifted]

    @property
    def skipped_columns(self) -> dict[str, str]:
        """``{column: reason}`` for columns without a verdict."""
        return {c.column: c.reason or "" for c in self.columns if c.status == "skipped"}

    def to_dict(self) -> dict:
        """Plain JSON-ready data: floats, bools, strings, None; no NaN."""
        return {
            "dataset_drift": self.dataset_drift,
            "drift_share": self.drift_share,
            "number_of_columns": self.number_of_columns,
            "number_of_drifted_columns": self.number_of_drifted_columns,
            "share_of_drifted_columns": _json_float(self.share_of_drifted_columns),
            "columns": {c.column: c.to_dict() for c in self.columns},
            "prediction": None if self.prediction is None else self.prediction.to_dict(),
            "skipped_columns": self.skipped_columns,
            "ignored_columns": list(self.ignored_columns),
            "excluded_columns": dict(self.excluded_columns),
            "coerced_columns": list(self.coerced_columns),
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "profile_format_version": self.profile_format_version,
            "method_rules": "evidently-0.7",
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> DriftResult:
        """Rebuild a result from :meth:`to_dict` output (e.g. a stored artifact).

        Raises:
            UsageError: The data is not a drift result.
        """
        try:
            columns = tuple(ColumnDrift(**c) for c in data["columns"].values())
            prediction = data["prediction"]
            return cls(
                columns=columns,
                dataset_drift=data["dataset_drift"],
                drift_share=float(data["drift_share"]),
                number_of_columns=int(data["number_of_columns"]),
                number_of_drifted_columns=int(data["number_of_drifted_columns"]),
                share_of_drifted_columns=data["share_of_drifted_columns"],
                prediction=None if prediction is None else ColumnDrift(**prediction),
                ignored_columns=tuple(data["ignored_columns"]),
                excluded_columns=dict(data["excluded_columns"]),
                coerced_columns=tuple(data["coerced_columns"]),
                reference_rows=int(data["reference_rows"]),
                current_rows=int(data["current_rows"]),
                profile_format_version=int(data["profile_format_version"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UsageError(f"malformed drift result ({type(exc).__name__}: {exc})") from None


def _json_float(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
