"""How a drift check's columns are counted and ordered — one rule for every reader:
the dashboards, the CLI and ``%mlops drift`` summaries, and the stored
``checked_columns`` / ``drifted_columns`` metrics the JupyterLab sidebar shows.

**Counted** (``checked``): the columns with a computed verdict — every monitored
feature column, *and the prediction column* when the profile names one and the
current data has it. That is what the dataset-drift share is computed from
(``drifted / checked`` ≥ ``drift_share``, as Evidently's ``DataDriftPreset`` does), so
"3 of 8 columns drifted" and "38 %" always agree. Columns without a verdict
(``skipped``: no usable values, or an absent prediction/target column) are reported
separately and never counted; columns the profile does not compare (excluded or
ignored) are not part of the check.

**Ordered**: drifted columns first, then the other computed ones, then skipped ones;
by name within each group (case-insensitive).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..wording import noun, plural


@dataclass(frozen=True)
class ColumnCounts:
    """How many columns a check counted (:mod:`this module's rule <.columns>`)."""

    drifted: int
    checked: int
    skipped: int = 0

    @property
    def share(self) -> float | None:
        """``drifted / checked``; None when nothing was computed."""
        return self.drifted / self.checked if self.checked else None

    def text(self) -> str:
        """``3 of 8 columns drifted`` / ``1 of 1 column drifted`` (+ ``, 1 skipped``)."""
        out = f"{self.drifted:,} of {plural(self.checked, 'column')} drifted"
        return out + (f", {self.skipped:,} skipped" if self.skipped else "")

    def short(self) -> str:
        """``3/8 columns drifted``."""
        return f"{self.drifted:,}/{self.checked:,} {noun(self.checked, 'column')} drifted"


def column_counts(check: Mapping[str, Any] | None) -> ColumnCounts:
    """The counts of a drift check, by the rule of this module.

    Args:
        check: A drift result (``DriftResult.to_dict()``, the stored
            ``drift/result.json``: counted from its ``columns``) or a stored check
            summary (:func:`~.records.summarize`: its ``drifted_columns`` and
            ``checked_columns`` metrics, which were written by this function).
    """
    if not check:
        return ColumnCounts(0, 0)
    columns = check.get("columns")
    if isinstance(columns, Mapping):
        verdicts = [value for value in columns.values() if isinstance(value, Mapping)]
        computed = [value for value in verdicts if _computed(value)]
        return ColumnCounts(drifted=sum(1 for value in computed if value.get("drifted")),
                            checked=len(computed), skipped=len(verdicts) - len(computed))
    if "number_of_columns" in check:  # a result without per-column verdicts
        return ColumnCounts(int(check.get("number_of_drifted_columns") or 0),
                            int(check.get("number_of_columns") or 0))
    return ColumnCounts(int(check.get("drifted_columns") or 0),
                        int(check.get("checked_columns") or 0))


def drifted_first(columns: Iterable[Mapping[str, Any]], *, key: str = "column") -> list:
    """``columns`` (dicts with ``drifted``, ``status`` and a name under ``key``)
    ordered by this module's rule: drifted, then computed, then skipped; by name."""
    return sorted(columns, key=lambda value: (not value.get("drifted"), not _computed(value),
                                              str(value.get(key, "")).lower()))


def _computed(value: Mapping[str, Any]) -> bool:
    return value.get("status", "computed") == "computed"


__all__ = ["ColumnCounts", "column_counts", "drifted_first"]
