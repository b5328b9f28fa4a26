"""Read-only queries over the tracking store, returned as JSON-ready dicts.

The server handlers (and anything else that displays runs) call these; they hide
MLflow entities, view types and page tokens behind plain values and raise only
:class:`~mlops_jupyter.exceptions.MLOpsError` subclasses.
"""

from __future__ import annotations

import re
from typing import Any

from .. import mlflow_errors, names
from ..exceptions import NotFoundError, UsageError
from . import store

RUN_STATUSES = ("RUNNING", "FINISHED", "FAILED", "KILLED")
DEFAULT_MAX_RESULTS = 50
MAX_RESULTS_LIMIT = 500

# Tags written by the tracking core on every run it creates.
KIND_TAG = "mlops.kind"
NOTEBOOK_TAG = "mlops.notebook"
EXECUTION_COUNT_TAG = "mlops.cell.execution_count"
ERROR_TYPE_TAG = "mlops.error.type"
ERROR_MESSAGE_TAG = "mlops.error.message"
PARENT_RUN_TAG = "mlflow.parentRunId"
# Tags of pipeline runs, their steps and drift checks (pipelines.recording, monitoring).
PIPELINE_TAG = "mlops.pipeline.name"
PIPELINE_RUN_TAG = "mlops.pipeline.run_id"
STEP_TAG = "mlops.step.name"
PIPELINE_STEPS_TAG = "mlops.pipeline.steps"
STEP_NOTEBOOK_TAG = "mlops.step.notebook"
STEP_ERROR_NAME_TAG = "mlops.error.ename"
STEP_ERROR_VALUE_TAG = "mlops.error.evalue"
CACHE_HIT_TAG = "mlops.cache.hit"
CACHE_SOURCE_TAG = "mlops.cache.source_run_id"
MONITOR_SOURCE_TAG = "mlops.monitor.source"


def list_experiments() -> list[dict[str, Any]]:
    """Return the active experiments, most recently updated first.

    Returns:
        One dict per experiment with ``experiment_id``, ``name``,
        ``lifecycle_stage``, ``creation_time``, ``last_update_time`` (epoch ms)
        and ``tags``.

    Raises:
        StoreUnavailableError: the store did not answer.
        StoreRejectedError: the store refused the query.
    """
    from mlflow.entities import ViewType

    mlflow_client = store.client()
    experiments = []
    page_token = None
    try:
        while True:
            page = mlflow_client.search_experiments(
                view_type=ViewType.ACTIVE_ONLY,
                order_by=["last_update_time DESC"],
                page_token=page_token,
            )
            experiments.extend(page)
            page_token = page.token
            if not page_token:
                break
    except Exception as exc:
        raise mlflow_errors.to_error(exc, "cannot list experiments") from exc
    return [_experiment_dict(experiment) for experiment in experiments]


def list_runs(
    experiment_id: str,
    *,
    status: str | None = None,
    max_results: int = DEFAULT_MAX_RESULTS,
    page_token: str | None = None,
    filter_string: str | None = None,
    order_by: str | None = None,
    parent: str | None = None,
) -> dict[str, Any]:
    """Return one page of an experiment's runs as a tree level or a search.

    Without ``filter_string``, ``status`` and ``parent``: the top-level runs (no
    parent), each with ``child_count``. With ``parent``: that run's children (oldest
    first by default, so steps come in the order they ran). With ``filter_string`` or
    ``status``: every matching run, flat (each keeps its ``parent_run_id``).

    Args:
        experiment_id: id of an active experiment (digits).
        status: only runs in this status (one of :data:`RUN_STATUSES`); all when None.
        max_results: page size, 1 to :data:`MAX_RESULTS_LIMIT`.
        page_token: the ``next_page_token`` of the previous page; None for the first.
        filter_string: an MLflow filter (``metrics.accuracy > 0.9 and params.model =
            'forest'``).
        order_by: ``start_time``, ``end_time``, ``run_name``, ``status``,
            ``metrics.<key>`` or ``params.<key>``, optionally followed by ASC or DESC.
        parent: a run id: list its children.

    Returns:
        ``{"runs": [...], "next_page_token": str | None}``; see :func:`run_dict`.

    Raises:
        UsageError: an argument is malformed or out of range, or the filter is not
            MLflow's syntax (one line saying what is wrong).
        NotFoundError: no active experiment has this id.
        StoreUnavailableError: the store did not answer.
        StoreRejectedError: the store refused the query.
    """
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    _validate_run_query(experiment_id, status, max_results)
    parent = names.check_run_id(parent or None, "parent")
    order = [check_order_by(order_by)] if order_by else (
        ["attributes.start_time ASC"] if parent else ["attributes.start_time DESC"])
    clauses = []
    filter_string = (filter_string or "").strip()
    if filter_string:
        clauses.append(check_filter(filter_string))
    if parent:
        clauses.append(f"tags.`{PARENT_RUN_TAG}` = '{parent}'")
    elif not filter_string and not status:
        clauses.append(f"tags.`{PARENT_RUN_TAG}` IS NULL")
    if status:
        clauses.append(f"attributes.status = '{status}'")
    mlflow_client = store.client()
    _require_active_experiment(mlflow_client, experiment_id)
    try:
        page = mlflow_client.search_runs(
            experiment_ids=[experiment_id],
            filter_string=" and ".join(clauses),
            run_view_type=ViewType.ACTIVE_ONLY,
            max_results=max_results,
            order_by=order,
            page_token=page_token,
        )
    except MlflowException as exc:
        if page_token and mlflow_errors.is_invalid_parameter(exc):
            raise UsageError("page_token is not a token this server returned") from exc
        if mlflow_errors.is_invalid_parameter(exc) and filter_string:
            raise UsageError(f"filter: {mlflow_errors.first_line(exc, 200)}") from None
        raise mlflow_errors.to_error(exc, "cannot list runs") from exc
    except Exception as exc:
        raise mlflow_errors.to_error(exc, "cannot list runs") from exc
    runs = [run_dict(run) for run in page]
    if parent and not order_by:
        runs = _in_pipeline_order(mlflow_client, parent, runs)
    counts = child_counts(mlflow_client, [run["run_id"] for run in runs])
    for run in runs:
        run["child_count"] = counts.get(run["run_id"], 0)
    return {"runs": runs, "next_page_token": _token_text(page.token)}


def _in_pipeline_order(mlflow_client, parent: str, runs: list[dict]) -> list[dict]:
    """A pipeline's steps in the spec's order (``mlops.pipeline.steps``), which the
    start times of cached steps (recorded together) do not keep; other children
    stay in start order."""
    import json

    if not any(run["kind"] == "step" for run in runs):
        return runs
    try:
        order = list(json.loads(mlflow_client.get_run(parent).data.tags.get(
            PIPELINE_STEPS_TAG) or "{}"))
    except Exception:  # noqa: BLE001 - a parent without a summary keeps start order
        return runs
    rank = {name: index for index, name in enumerate(order)}
    return sorted(runs, key=lambda run: rank.get(run["step"] or "", len(rank)))


#: The run attributes a listing can be ordered by (MLflow's names).
ORDER_ATTRIBUTES = ("start_time", "end_time", "run_name", "status")
_ORDER_KEY = re.compile(r"^(?:(metrics|params)\.(?:`([^`]{1,250})`|([\w\-. /]{1,250}?)))"
                        r"(?:\s+(ASC|DESC))?$", re.IGNORECASE)


def check_order_by(order_by: str) -> str:
    """``order_by`` in MLflow's spelling (``attributes.start_time DESC``,
    ``metrics.`accuracy` ASC``).

    Raises:
        UsageError: not an attribute of :data:`ORDER_ATTRIBUTES`, ``metrics.<key>``
            or ``params.<key>``, optionally followed by ASC or DESC.
    """
    text = " ".join(order_by.split())
    words = text.split(" ")
    if words and words[0].removeprefix("attributes.") in ORDER_ATTRIBUTES \
            and (len(words) == 1 or (len(words) == 2 and words[1].upper() in ("ASC", "DESC"))):
        direction = words[1].upper() if len(words) == 2 else "DESC"
        return f"attributes.{words[0].removeprefix('attributes.')} {direction}"
    match = _ORDER_KEY.fullmatch(text)
    if match is None or not _is_tracked_key(match.group(2) or match.group(3)):
        raise UsageError("order_by must be " + ", ".join(ORDER_ATTRIBUTES)
                         + ", metrics.<key> or params.<key>, then ASC or DESC")
    key = match.group(2) or match.group(3)
    return f"{match.group(1).lower()}.`{key}` {(match.group(4) or 'DESC').upper()}"


def check_filter(filter_string: str) -> str:
    """``filter_string`` when MLflow's parser accepts it (no store is asked).

    Raises:
        UsageError: one line saying what is wrong.
    """
    from mlflow.exceptions import MlflowException
    from mlflow.utils.search_utils import SearchUtils

    if len(filter_string) > MAX_FILTER_CHARS:
        raise UsageError(f"filter is too long (at most {MAX_FILTER_CHARS} characters)")
    try:
        SearchUtils.parse_search_filter(filter_string)
    except MlflowException as exc:
        raise UsageError(f"filter: {mlflow_errors.first_line(exc, 200)}") from None
    except Exception:  # noqa: BLE001 - sqlparse on hostile text
        raise UsageError("filter is not MLflow filter syntax, e.g. "
                         "metrics.accuracy > 0.9 and params.model = 'forest'") from None
    return f"({filter_string})" if " or " in filter_string.lower() else filter_string


MAX_FILTER_CHARS = 1000


def _is_tracked_key(key: str) -> bool:
    try:
        names.check_tracked_key(key)
    except UsageError:
        return False
    return True


def child_counts(mlflow_client, run_ids: list[str]) -> dict[str, int]:
    """How many runs name each of ``run_ids`` as parent.

    One grouped query on a SQL store; elsewhere one bounded search per run.
    """
    if not run_ids:
        return {}
    sql_store = getattr(getattr(mlflow_client, "_tracking_client", None), "store", None)
    if hasattr(sql_store, "ManagedSessionMaker"):
        try:
            from mlflow.store.tracking.dbmodels.models import SqlRun, SqlTag
            from sqlalchemy import func

            with sql_store.ManagedSessionMaker() as session:
                rows = (session.query(SqlTag.value, func.count(SqlTag.run_uuid))
                        .join(SqlRun, SqlRun.run_uuid == SqlTag.run_uuid)
                        .filter(SqlTag.key == PARENT_RUN_TAG, SqlTag.value.in_(run_ids),
                                SqlRun.lifecycle_stage == "active")
                        .group_by(SqlTag.value).all())
            return {value: count for value, count in rows}
        except Exception:  # noqa: BLE001, S110 - another schema: fall back to searches
            pass
    from mlflow.entities import ViewType

    counts = {}
    experiment_ids = None
    for run_id in run_ids:
        try:
            if experiment_ids is None:
                experiment_ids = [mlflow_client.get_run(run_id).info.experiment_id]
            found = mlflow_client.search_runs(
                experiment_ids, f"tags.`{PARENT_RUN_TAG}` = '{run_id}'",
                run_view_type=ViewType.ACTIVE_ONLY, max_results=1000)
        except Exception as exc:
            raise mlflow_errors.to_error(exc, "cannot count child runs") from exc
        counts[run_id] = len(found)
    return counts


def run_dict(run) -> dict[str, Any]:
    """Flatten an :class:`mlflow.entities.Run` into the shape the UI and CLI show.

    Returns:
        ``run_id``, ``run_name``, ``status``, ``start_time``, ``end_time`` (epoch ms),
        ``duration_s`` (None while running), ``parent_run_id``, ``experiment_id``,
        ``kind`` (``mlops.kind``: session, cell, pipeline, step, monitor... or None),
        ``notebook``, ``execution_count``, ``error`` (``"Type: message"`` or None),
        ``pipeline``, ``step``, ``cached``, ``cached_from_run_id``, ``scheduled``,
        ``job_id``, ``metrics`` and ``params``.
    """
    info, tags = run.info, run.data.tags
    job_id = job_of(tags)
    kind = tags.get(KIND_TAG)
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "duration_s": _duration_s(info),
        "parent_run_id": tags.get(PARENT_RUN_TAG),
        "experiment_id": info.experiment_id,
        "kind": kind,
        "notebook": tags.get(NOTEBOOK_TAG) or tags.get(STEP_NOTEBOOK_TAG),
        "execution_count": _int_or_none(tags.get(EXECUTION_COUNT_TAG)),
        "error": _error_text(tags.get(ERROR_TYPE_TAG) or tags.get(STEP_ERROR_NAME_TAG),
                             tags.get(ERROR_MESSAGE_TAG) or tags.get(STEP_ERROR_VALUE_TAG)),
        "pipeline": tags.get(PIPELINE_TAG),
        "step": tags.get(STEP_TAG),
        "cached": tags.get(CACHE_HIT_TAG) == "true",
        "cached_from_run_id": tags.get(CACHE_SOURCE_TAG) or None,
        "scheduled": job_id is not None and kind != "step",
        "job_id": job_id,
        "metrics": dict(run.data.metrics),
        "params": dict(run.data.params),
    }


_JOB_RUN = re.compile(r"^job-(\d{1,18})$")
_JOB_SOURCE = re.compile(r"^schedule job (\d{1,18})$")


def job_of(tags: dict[str, str]) -> int | None:
    """The scheduler job that ran this run: a scheduled pipeline run's folder is
    ``job-<id>`` (scheduling.job_process); a scheduled drift check's source is
    ``schedule job <id>``."""
    for pattern, tag in ((_JOB_RUN, PIPELINE_RUN_TAG), (_JOB_SOURCE, MONITOR_SOURCE_TAG)):
        match = pattern.fullmatch(tags.get(tag) or "")
        if match:
            return int(match.group(1))
    return None


def _experiment_dict(experiment) -> dict[str, Any]:
    return {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "lifecycle_stage": experiment.lifecycle_stage,
        "creation_time": experiment.creation_time,
        "last_update_time": experiment.last_update_time,
        "tags": dict(experiment.tags),
    }


def _validate_run_query(experiment_id: str, status: str | None, max_results: int) -> None:
    # MLflow keeps experiment ids as 64-bit integers: a longer one is bad input.
    if not names.is_decimal(experiment_id) \
            or len(experiment_id) > 19 or int(experiment_id) > 2**63 - 1:
        raise UsageError(f"experiment id must be a number of at most 64 bits, not "
                         f"{experiment_id[:40]!r}")
    if status is not None and status not in RUN_STATUSES:
        raise UsageError(f"status must be one of {', '.join(RUN_STATUSES)}")
    if not 1 <= max_results <= MAX_RESULTS_LIMIT:
        raise UsageError(f"max_results must be between 1 and {MAX_RESULTS_LIMIT}")


def _require_active_experiment(mlflow_client, experiment_id: str) -> None:
    from mlflow.exceptions import MlflowException

    try:
        experiment = mlflow_client.get_experiment(experiment_id)
    except MlflowException as exc:
        if mlflow_errors.is_not_found(exc):
            raise NotFoundError(f"experiment {experiment_id} does not exist") from None
        raise mlflow_errors.to_error(exc, "cannot read the experiment") from exc
    except Exception as exc:
        raise mlflow_errors.to_error(exc, "cannot read the experiment") from exc
    if experiment.lifecycle_stage != "active":
        raise NotFoundError(f"experiment {experiment_id} is deleted")


def _token_text(token: str | bytes | None) -> str | None:
    # The SQL store returns its page tokens as base64 bytes, REST stores as str.
    if isinstance(token, bytes):
        token = token.decode("ascii")
    return token or None


def _duration_s(info) -> float | None:
    if info.status == "RUNNING" or not info.start_time or not info.end_time:
        return None
    return round((info.end_time - info.start_time) / 1000, 3)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if names.is_decimal(value) else None


def _error_text(error_type: str | None, message: str | None) -> str | None:
    parts = [part for part in (error_type, message) if part]
    return ": ".join(parts) or None
