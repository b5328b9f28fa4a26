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
    """A run as the sidebar lists it: a session, a cell or another run."""

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


class RunsPage(Reply):
    """One page of an experiment's runs, newest first."""

    runs: list[Run]
    next_page_token: str | None = None


__all__ = ["Experiment", "ExperimentList", "Run", "RunsPage", "RunsQuery"]
