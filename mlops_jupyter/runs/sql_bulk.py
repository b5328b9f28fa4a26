"""Bulk reads of runs straight from MLflow's SQL store, for comparisons of many runs.

``search_runs`` on the SQL store builds full ORM entities (a thousand runs with 20
params and 10 metrics take seconds); a comparison needs only a few columns. Where the
configured store is MLflow's :class:`SqlAlchemyStore`, these functions read those
columns through MLflow's own table models, in chunks; anywhere else (a REST store)
they return None and the caller falls back to the public client API.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

#: Run ids per ``IN (...)`` (SQLite allows 32 766 bound parameters; keep well below).
CHUNK = 500


@dataclass
class RunInfo:
    """The fields of :class:`mlflow.entities.RunInfo` a comparison reads."""

    run_id: str
    run_name: str | None
    experiment_id: str
    status: str
    start_time: int | None
    artifact_uri: str | None = None


@dataclass
class RunData:
    """The fields of :class:`mlflow.entities.RunData` a comparison reads."""

    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class BulkRun:
    """A run as read in bulk: ``info`` and ``data`` like an MLflow run's."""

    info: RunInfo
    data: RunData


def sql_store(client) -> Any | None:
    """The client's store when it is MLflow's SQL store, else None."""
    tracking_store = getattr(getattr(client, "_tracking_client", None), "store", None)
    try:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    except ImportError:  # pragma: no cover - SQL extras missing
        return None
    return tracking_store if isinstance(tracking_store, SqlAlchemyStore) else None


def _chunks(values: list[str]):
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def read_runs(store, run_ids: list[str]) -> dict[str, BulkRun]:
    """The runs of ``run_ids`` the store has (any lifecycle stage), by id, with their
    params, latest metrics and tags."""
    from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlParam, SqlRun, SqlTag

    runs: dict[str, BulkRun] = {}
    with store.ManagedSessionMaker() as session:
        for chunk in _chunks(run_ids):
            for run_id, name, experiment_id, status, start_time, artifact_uri in session.query(
                    SqlRun.run_uuid, SqlRun.name, SqlRun.experiment_id, SqlRun.status,
                    SqlRun.start_time, SqlRun.artifact_uri).filter(SqlRun.run_uuid.in_(chunk)):
                runs[run_id] = BulkRun(RunInfo(run_id, name, str(experiment_id), status,
                                               start_time, artifact_uri), RunData())
            found = [run_id for run_id in chunk if run_id in runs]
            if not found:
                continue
            for run_id, key, value in session.query(
                    SqlParam.run_uuid, SqlParam.key, SqlParam.value).filter(
                    SqlParam.run_uuid.in_(found)):
                runs[run_id].data.params[key] = value
            for run_id, key, value, is_nan in session.query(
                    SqlLatestMetric.run_uuid, SqlLatestMetric.key, SqlLatestMetric.value,
                    SqlLatestMetric.is_nan).filter(SqlLatestMetric.run_uuid.in_(found)):
                runs[run_id].data.metrics[key] = float("nan") if is_nan else value
            for run_id, key, value in session.query(
                    SqlTag.run_uuid, SqlTag.key, SqlTag.value).filter(
                    SqlTag.run_uuid.in_(found)):
                runs[run_id].data.tags[key] = value
    return runs


def read_histories(store, run_ids: list[str], keys: list[str],
                   max_rows: int) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """``{key: {run_id: [(step, value), ...]}}`` of the (run, key) pairs logged at more
    than one step, ordered by step then time; at most ``max_rows`` points read."""
    from mlflow.store.tracking.dbmodels.models import SqlMetric
    from sqlalchemy import func

    histories: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(dict)
    budget = max_rows
    with store.ManagedSessionMaker() as session:
        for chunk in _chunks(run_ids):
            pairs = session.query(SqlMetric.run_uuid, SqlMetric.key).filter(
                SqlMetric.run_uuid.in_(chunk), SqlMetric.key.in_(keys)).group_by(
                SqlMetric.run_uuid, SqlMetric.key).having(func.count() > 1).all()
            holders = sorted({run_id for run_id, _ in pairs})
            wanted = {(run_id, key) for run_id, key in pairs}
            if not holders or budget <= 0:
                continue
            rows = session.query(SqlMetric.run_uuid, SqlMetric.key, SqlMetric.step,
                                 SqlMetric.value).filter(
                SqlMetric.run_uuid.in_(holders), SqlMetric.key.in_({k for _, k in pairs}),
                SqlMetric.is_nan.is_(False)).order_by(
                SqlMetric.run_uuid, SqlMetric.key, SqlMetric.step,
                SqlMetric.timestamp).limit(budget).all()
            budget -= len(rows)
            for run_id, key, step, value in rows:
                if (run_id, key) in wanted:
                    histories[key].setdefault(run_id, []).append((step, value))
    return histories
