"""The REST contract of experiments and runs (read only).

Replies of :class:`mlops_jupyter.tracking.service.ExperimentsService`:
:class:`ExperimentList` and :class:`RunsPage`; the query of a runs page is
:class:`RunsQuery`. Times are epoch milliseconds.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..contracts import Query, Reply


class RunsQuery(Query):
    """``GET experiments/{experiment_id}/runs``: filter and page."""

    status: str | None = Field(None, max_length=32, description=(
        "must be RUNNING, SCHEDULED, FINISHED, FAILED or KILLED"))
    max_results: int | None = Field(None, description="must be a whole number")
    #: MLflow's page tokens are base64 text; anything else never reaches the store
    #: (a non-ASCII token made MLflow's decoder fail, which read as a 503).
    page_token: str | None = Field(None, max_length=2048, pattern=r"^[A-Za-z0-9+/=_-]+$",
                                   description="must be the next_page_token of a previous "
                                               "page")
    filter: str | None = Field(None, max_length=1000, description=(
        "an MLflow filter, e.g. metrics.accuracy > 0.9 and params.model = 'forest'"))
    order_by: str | None = Field(None, max_length=300, description=(
        "start_time, end_time, run_name, status, metrics.<key> or params.<key>, "
        "then ASC or DESC"))
    parent: str | None = Field(None, max_length=64, description="a run id: its children")


class Experiment(Reply):
    """An active experiment."""

    experiment_id: str
    name: str
    lifecycle_stage: str
    creation_time: int | None = None
    last_update_time: int | None = None
    tags: dict[str, str] = {}


class ExperimentList(Reply):
    """``GET experiments``: most recently updated first."""

    experiments: list[Experiment]


class Run(Reply):
    """A run as the sidebar lists it: a session, a cell, a pipeline, a step, a check.

    ``cached``: a pipeline step whose outputs came from the cache, produced by
    ``cached_from_run_id``; ``scheduled``: a pipeline run of the scheduler's job
    ``job_id``; ``child_count``: how many runs name it as parent (in listings)."""

    run_id: str
    run_name: str | None = None
    status: str
    start_time: int | None = None
    end_time: int | None = None
    duration_s: float | None = None
    parent_run_id: str | None = None
    kind: Literal["session", "cell"] | str | None = None
    notebook: str | None = None
    execution_count: int | None = None
    error: str | None = None
    metrics: dict[str, float] = {}
    params: dict[str, str] = {}
    experiment_id: str | None = None
    pipeline: str | None = None
    step: str | None = None
    cached: bool = False
    cached_from_run_id: str | None = None
    scheduled: bool = False
    job_id: int | None = None
    child_count: int | None = None

    sometimes = frozenset({"child_count"})


class RunsPage(Reply):
    """One page of an experiment's runs (top-level runs, a run's children or the
    runs a filter matches), newest first unless ordered otherwise."""

    runs: list[Run]
    next_page_token: str | None = None


__all__ = ["Experiment", "ExperimentList", "Run", "RunsPage", "RunsQuery"]
