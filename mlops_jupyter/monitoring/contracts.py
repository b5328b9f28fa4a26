"""The REST contract of monitoring (read only): every monitored model's latest drift
check, its history, the alerts it fired and the retrains they started.

The reply of :class:`mlops_jupyter.monitoring.service.MonitoringService` is
:class:`MonitoringOverview`. Times are epoch milliseconds.
"""

from __future__ import annotations

from pydantic import Field

from ..contracts import Query, Reply


class HistoryQuery(Query):
    """``GET monitoring/{model}/history?limit=``: the newest ``limit`` checks."""

    limit: int = Field(50, ge=1, le=500,
                       description="must be a whole number between 1 and 500")


class DriftCheck(Reply):
    """One stored drift check (see :mod:`mlops_jupyter.monitoring.records`)."""

    run_id: str
    time: int | None = None
    model: str | None = None
    version: str | None = None
    alias: str | None = None
    dataset_drift: bool | None = None
    drift_share: float | None = None
    drifted_columns: int = 0
    checked_columns: int = 0
    current_rows: int = 0
    drifted: list[str] = []
    current: str | None = None
    report: bool = Field(False, description="the check kept Evidently's HTML report")


class DriftPoint(Reply):
    """A check in a model's drift history (``threshold``: the drift share from which
    the dataset counts as drifted; None on checks recorded before it was kept)."""

    time: int | None = None
    drift_share: float | None = None
    threshold: float | None = None
    dataset_drift: bool | None = None
    version: str | None = None
    run_id: str


class Alert(Reply):
    """An alert a check fired, with that check's time, run id and version
    (``webhook_status``: when the rule posts to a webhook)."""

    sometimes = frozenset({"webhook_status"})

    rule: str | None = None
    kind: str | None = None
    message: str = ""
    retrain: bool = False
    webhook_status: str | None = None
    time: int | None = None
    run_id: str
    version: str | None = None


class Retrain(Reply):
    """A retrain an alert started (finished, failed) or skipped; what it produced is
    there when it got that far."""

    sometimes = frozenset({"reason", "pipeline_run_id", "version", "promoted"})

    status: str
    pipeline: str | None = None
    alias: str | None = None
    reason: str | None = None
    pipeline_run_id: str | None = None
    version: str | None = None
    promoted: bool | None = None
    time: int | None = None
    run_id: str


class MonitoredModel(Reply):
    """One model's monitoring state."""

    model: str
    latest: DriftCheck
    history: list[DriftPoint] = []
    alerts: list[Alert] = []
    retrains: list[Retrain] = []
    checks: int = 0


class MonitoringOverview(Reply):
    """``GET monitoring``: every monitored model, sorted by name."""

    models: list[MonitoredModel]


class DriftHistory(Reply):
    """``GET monitoring/{model}/history``: a model's newest checks, oldest first."""

    model: str
    checks: list[DriftPoint]


class CheckStarted(Reply):
    """``POST monitoring/{model}/check``: the job running the check (follow it with
    ``GET jobs/{job_id}``; its ``mlflow_run_id`` is the check's run once it ends)."""

    model: str
    schedule: str
    job_id: int
    status: str
    error: str | None = None


__all__ = ["Alert", "CheckStarted", "DriftCheck", "DriftHistory", "DriftPoint",
           "HistoryQuery", "MonitoredModel", "MonitoringOverview", "Retrain"]
