"""What the pipeline services answer, as declared models (the REST API's contract).

:class:`~mlops_jupyter.pipelines.workspace.Workspace` and
:class:`~mlops_jupyter.pipelines.launcher.PipelineLauncher` return plain JSON dicts;
these models declare their shape for the OpenAPI document and the sidebar's types,
and the server tests check every answer against them. Request bodies are declared
in :mod:`mlops_jupyter.server.schemas` (``PipelineRunRequest``, ``PipelineInitRequest``).

Every path is relative to the server root (POSIX separators).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from . import step as statuses

#: A pipeline run's status (status.json), as the sidebar shows it.
RunStatus = Literal[statuses.PENDING, statuses.RUNNING, statuses.FINISHED, statuses.FAILED]
#: A step's status in a run.
StepStatus = Literal[statuses.PENDING, statuses.RUNNING, statuses.FINISHED, statuses.FAILED,
                     statuses.CACHED, statuses.SKIPPED, statuses.NOT_SELECTED,
                     statuses.TIMED_OUT, statuses.KERNEL_DIED]


class Contract(BaseModel):
    """An answer of a service: exactly these fields."""

    model_config = ConfigDict(extra="forbid")


class LastRun(Contract):
    """The latest run of a pipeline file, in a listing."""

    run_id: str | None
    status: str | None


class PipelineSummary(Contract):
    """One pipeline file under the server root (``GET pipelines``)."""

    path: str
    name: str
    steps: int
    last_run: LastRun | None
    error: str | None


class PipelineList(Contract):
    """``GET pipelines``: the files found, and whether the search stopped early."""

    pipelines: list[PipelineSummary]
    truncated: bool


class PlanStep(Contract):
    """A step of a pipeline's DAG with its cache state (``GET pipelines/detail``)."""

    name: str
    notebook: str
    notebook_path: str
    needs: list[str]
    outputs: dict[str, str]
    cache: str
    last_status: str | None
    last_output_notebook: str | None
    last_output_notebook_path: str | None


class StepError(BaseModel):
    """Why a step failed (papermill's cell error, or a reason)."""

    model_config = ConfigDict(extra="allow")

    cell_index: int | None = None
    ename: str | None = None
    evalue: str | None = None


class RunStep(Contract):
    """A step's progress in one run."""

    name: str
    status: StepStatus
    started: float | None
    ended: float | None
    duration: float | None
    attempts: int
    parameters: dict[str, Any]
    cache_key: str | None
    cached_from: dict[str, Any] | None
    output_notebook: str | None
    output_notebook_path: str | None
    output_hashes: dict[str, str | None]
    error: StepError | None
    run_key: str | None
    reason: str | None
    host: str | None
    needs: list[str]


class PipelineRun(Contract):
    """A run's live status (``GET pipelines/runs/{run_id}``): its status.json, or —
    before the runner wrote one, or when its job ended without one — the short form
    (``run_id``, ``file``, ``status``, ``started``, ``ended``, ``steps``, ``error``)."""

    run_id: str
    file: str
    status: RunStatus
    started: float | None
    ended: float | None
    steps: list[RunStep]
    error: str | None = None
    pipeline: str | None = None
    run_dir: str | None = None
    executor: str | None = None
    experiment: str | None = None
    selected: list[str] | None = None


class PipelineDetail(Contract):
    """``GET pipelines/detail``: the DAG, the last run and the run going on."""

    path: str
    name: str
    experiment: str
    project: str
    steps: list[PlanStep]
    last_run: PipelineRun | None
    active_run: str | None


class RunStarted(Contract):
    """``POST pipelines/runs`` → 202: the id to poll."""

    run_id: str


class PipelineCreated(Contract):
    """``POST pipelines/init`` → 201: the new pipeline file and its text."""

    path: str
    text: str
