"""Read-only queries over the tracking store, returned as JSON-ready dicts.

The server handlers (and anything else that displays runs) call these; they hide
MLflow entities, view types and page tokens behind plain values and raise only
:class:`~mlops_jupyter.exceptions.MLOpsError` subclasses.
"""

from __future__ import annotations

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
) -> dict[str, Any]:
    """Return one page of an experiment's runs, newest first.

    Args:
        experiment_id: id of an active experiment (digits).
        status: only runs in this status (one of :data:`RUN_STATUSES`); all when None.
        max_results: page size, 1 to :data:`MAX_RESULTS_LIMIT`.
        page_token: the ``next_page_token`` of the previous page; None for the first.

    Returns:
        ``{"runs": [...], "next_page_token": str | None}``; see :func:`run_dict`.

    Raises:
        UsageError: an argument is malformed or out of range.
        NotFoundError: no active experiment has this id.
        StoreUnavailableError: the store did not answer.
        StoreRejectedError: the store refused the query.
    """
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    _validate_run_query(experiment_id, status, max_results)
    mlflow_client = store.client()
    _require_active_experiment(mlflow_client, experiment_id)
    try:
        page = mlflow_client.search_runs(
            experiment_ids=[experiment_id],
            filter_string=f"attributes.status = '{status}'" if status else "",
            run_view_type=ViewType.ACTIVE_ONLY,
            max_results=max_results,
            order_by=["attributes.start_time DESC"],
            page_token=page_token,
        )
    except MlflowException as exc:
        if page_token and mlflow_errors.is_invalid_parameter(exc):
            raise UsageError("page_token is not a token this server returned") from exc
        raise mlflow_errors.to_error(exc, "cannot list runs") from exc
    except Exception as exc:
        raise mlflow_errors.to_error(exc, "cannot list runs") from exc
    return {"runs": [run_dict(run) for run in page], "next_page_token": _token_text(page.token)}


def run_dict(run) -> dict[str, Any]:
    """Flatten an :class:`mlflow.entities.Run` into the shape the UI and CLI show.

    Returns:
        ``run_id``, ``run_name``, ``status``, ``start_time``, ``end_time`` (epoch ms),
        ``duration_s`` (None while running), ``parent_run_id``, ``kind``
        (``"session"`` / ``"cell"`` / None), ``notebook``, ``execution_count``,
        ``error`` (``"Type: message"`` or None), ``metrics`` and ``params``.
    """
    info, tags = run.info, run.data.tags
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "duration_s": _duration_s(info),
        "parent_run_id": tags.get(PARENT_RUN_TAG),
        "kind": tags.get(KIND_TAG),
        "notebook": tags.get(NOTEBOOK_TAG),
        "execution_count": _int_or_none(tags.get(EXECUTION_COUNT_TAG)),
        "error": _error_text(tags.get(ERROR_TYPE_TAG), tags.get(ERROR_MESSAGE_TAG)),
        "metrics": dict(run.data.metrics),
        "params": dict(run.data.params),
    }


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
