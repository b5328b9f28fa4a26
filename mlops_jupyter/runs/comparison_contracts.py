"""The REST contract of run comparison and run diff.

Requests: :class:`CompareRequest` (``POST runs/compare``) and :class:`DiffQuery`
(``GET runs/diff``); replies: :class:`Comparison` and :class:`RunDiff`. The comparison
is columnar (one list of values per param/metric, one entry per run, in the order of
``runs``) so a thousand runs stay small. Times are epoch milliseconds.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool

from ..contracts import MAX_NAME_CHARS, Body, Query, Reply

#: The most runs one comparison takes.
MAX_COMPARE_RUNS = 1000
#: The most param keys a group-by names.
MAX_GROUP_KEYS = 100

RunIdText = Annotated[str, Field(min_length=1, max_length=64)]
KeyText = Annotated[str, Field(min_length=1, max_length=250)]


class CompareRequest(Body):
    """``POST runs/compare``: which runs, against which baseline, grouped how."""

    run_ids: list[RunIdText] = Field(..., min_length=2, max_length=MAX_COMPARE_RUNS,
                                     description="2 to 1000 distinct run ids")
    baseline: RunIdText | None = Field(None, description="one of run_ids (default the first)")
    group_by: list[KeyText] | None = Field(None, max_length=MAX_GROUP_KEYS,
                                           description="param keys to group by")
    group_except: list[KeyText] | None = Field(
        None, max_length=MAX_GROUP_KEYS,
        description="group by every differing param except these (e.g. seed)")
    histories: StrictBool = True


class DiffQuery(Query):
    """``GET runs/diff?a=RUN&b=RUN``."""

    a: str = Field(..., min_length=1, max_length=64, description="a run id")
    b: str = Field(..., min_length=1, max_length=64, description="a run id")


class RunSummary(Reply):
    """A compared run."""

    run_id: str
    run_name: str | None = None
    experiment_id: str
    status: str
    start_time: int | None = None


class ParamColumn(Reply):
    """One param across the runs (None: the run has no such param)."""

    key: str
    values: list[str | None]
    differs: bool


class MetricColumn(Reply):
    """One metric's latest value across the runs, with deltas against the baseline."""

    key: str
    values: list[float | None]
    deltas: list[float | None]
    best: int | None = None
    higher_is_better: bool | None = None


class Series(Reply):
    """A metric's (downsampled) history in one run."""

    run_index: int
    steps: list[int]
    values: list[float]


class History(Reply):
    """A metric logged over more than one step, per run."""

    key: str
    series: list[Series]


class Aggregate(Reply):
    """Mean, sample standard deviation (None for a single value) and count."""

    mean: float
    std: float | None
    n: int


class Group(Reply):
    """The runs sharing one combination of the grouping params."""

    values: dict[str, str | None]
    n: int
    run_indices: list[int]
    metrics: dict[str, Aggregate]


class Comparison(Reply):
    """``POST runs/compare``: runs side by side, columnar."""

    runs: list[RunSummary]
    baseline: int
    params: list[ParamColumn]
    metrics: list[MetricColumn]
    histories: list[History]
    group_keys: list[str]
    groups: list[Group]


class DiffLine(Reply):
    """One line of a changed cell: ``' '`` both, ``'-'`` only a, ``'+'`` only b."""

    op: Literal[" ", "+", "-"]
    text: str


class CellDiff(Reply):
    """One aligned cell of the two notebooks (outputs ignored)."""

    status: Literal["unchanged", "changed", "added", "removed"]
    a_index: int | None = None
    b_index: int | None = None
    cell_type: str
    a_source: str | None = None
    b_source: str | None = None
    lines: list[DiffLine] = Field(default_factory=list)


class NotebookDiff(Reply):
    """The cell-by-cell diff of the runs' notebook snapshots."""

    available: bool
    reason: str | None = None
    a_name: str | None = None
    b_name: str | None = None
    cells: list[CellDiff] = Field(default_factory=list)


class ParamDiff(Reply):
    """A param that differs between the runs."""

    key: str
    a: str | None = None
    b: str | None = None
    status: Literal["changed", "added", "removed"]


class PackageDiff(Reply):
    """A package (or python/platform) whose version differs."""

    package: str
    a: str | None = None
    b: str | None = None


class FingerprintDiff(Reply):
    """A data input's fingerprint in each run."""

    name: str
    a: str | None = None
    b: str | None = None
    changed: bool


class MetricDiff(Reply):
    """A metric's latest value in each run; delta = b - a."""

    key: str
    a: float | None = None
    b: float | None = None
    delta: float | None = None


class RunDiff(Reply):
    """``GET runs/diff``: what differs between run a and run b."""

    a: RunSummary
    b: RunSummary
    notebook: NotebookDiff
    params: list[ParamDiff]
    equal_params: int
    environment: list[PackageDiff]
    fingerprints: list[FingerprintDiff]
    metrics: list[MetricDiff]


__all__ = [
    "MAX_COMPARE_RUNS", "MAX_NAME_CHARS", "Aggregate", "CellDiff", "CompareRequest",
    "Comparison", "DiffLine", "DiffQuery", "FingerprintDiff", "Group", "History",
    "MetricColumn", "MetricDiff", "NotebookDiff", "PackageDiff", "ParamColumn", "ParamDiff",
    "RunDiff", "RunSummary", "Series",
]
