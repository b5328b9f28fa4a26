"""The REST contract of the pipelines: what the sidebar sends and reads.

Requests (:class:`~mlops_jupyter.contracts.Body` / :class:`~mlops_jupyter.contracts.Query`):
:class:`PipelineRunRequest`, :class:`PipelineInitRequest`, and the queries
:class:`PipelineDetailQuery`, :class:`PipelineRunQuery`.
Replies (:class:`~mlops_jupyter.contracts.Reply`, exactly the declared fields):
:class:`PipelineList`, :class:`PipelineDetail`, :class:`PipelineRun`,
:class:`RunStarted`, :class:`PipelineCreated`, :class:`PipelineHistory`.
:class:`~mlops_jupyter.pipelines.workspace.Workspace` and
:class:`~mlops_jupyter.pipelines.launcher.PipelineLauncher` return these replies, the
handlers render them as they are, and the server tests check every answer against them.

Every path is relative to the server root (POSIX separators).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictBool

from ..contracts import MAX_ITEMS, MAX_PATH_CHARS, Body, Name, PathText, Query, Reply, Value
from . import step as statuses

#: A pipeline run's status (status.json), as the sidebar shows it.
RunStatus = Literal[statuses.PENDING, statuses.RUNNING, statuses.FINISHED, statuses.FAILED]
#: A step's status in a run.
StepStatus = Literal[statuses.PENDING, statuses.RUNNING, statuses.FINISHED, statuses.FAILED,
                     statuses.CACHED, statuses.SKIPPED, statuses.NOT_SELECTED,
                     statuses.TIMED_OUT, statuses.KERNEL_DIED]


# ----------------------------------------------------------------------- requests
class PipelineRunRequest(Body):
    """``POST pipelines/runs``; ``params`` maps step → {parameter: value}."""

    path: PathText | None = Field(None, description="must be a string")
    force: StrictBool | None = Field(None, description="must be true or false")
    only: Annotated[list[Name], Field(max_length=MAX_ITEMS)] | None = Field(
        None, description="must be a list of step names")
    from_step: Name | None = Field(None, alias="from", description="must be a step name")
    params: Annotated[dict[Name, Annotated[dict[Name, Value], Field(max_length=MAX_ITEMS)]],
                      Field(max_length=MAX_ITEMS)] | None = Field(
        None, description="must map step names to objects of name: value")


class PipelineInitRequest(Body):
    """``POST pipelines/init``."""

    notebook: PathText | None = Field(None, description="must be a string")


class PipelineDetailQuery(Query):
    """``GET pipelines/detail?path=``: the pipeline file (required)."""

    path: str | None = Field(None, max_length=MAX_PATH_CHARS,
                             description="must be a pipeline file's path (required)")


class PipelineRunQuery(Query):
    """``GET pipelines/runs/{run_id}?path=``: the run's pipeline file (optional for a
    run this server started)."""

    path: str | None = Field(None, max_length=MAX_PATH_CHARS,
                             description="must be a pipeline file's path")


class PipelineHistoryQuery(Query):
    """``GET pipelines/history?path=&offset=&limit=``: a page of a pipeline's runs."""

    path: str | None = Field(None, max_length=MAX_PATH_CHARS,
                             description="must be a pipeline file's path (required)")
    offset: int = Field(0, ge=0, le=100_000, description="must be a whole number 0-100000")
    limit: int = Field(10, ge=1, le=50, description="must be a whole number 1-50")


# ------------------------------------------------------------------------ replies
class Contract(Reply):
    """An answer of a service: exactly these fields (none added)."""

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


class StepParameter(Contract):
    """A parameter a step takes: declared by its notebook (``type``, the default's
    source text) and/or set in the spec (``source`` step/defaults, ``value``)."""

    name: str
    type: str | None
    source: Literal["step", "defaults", "notebook"]
    value: Any
    notebook_default: str | None
    help: str | None


class PlanStep(Contract):
    """A step of a pipeline's DAG with its cache state (``GET pipelines/detail``)."""

    name: str
    notebook: str
    parameters: list[StepParameter]
    notebook_path: str
    needs: list[str]
    outputs: dict[str, str]
    cache: str
    last_status: str | None
    last_output_notebook: str | None
    last_output_notebook_path: str | None


class StepError(Reply):
    """Why a step failed (papermill's cell error, or a reason)."""

    sometimes = frozenset({"cell_index", "ename", "evalue"})

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

    sometimes = frozenset({"error", "pipeline", "run_dir", "executor", "experiment",
                           "selected"})
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


class HistoryStep(Contract):
    """A step of a past run (``GET pipelines/history``); ``error`` is one line."""

    name: str
    status: str
    started: float | None
    duration: float | None
    error: str | None
    reason: str | None
    output_notebook_path: str | None
    cached_from_run: str | None
    run_key: str | None
    mlflow_run_id: str | None


class HistoryRun(Contract):
    """One past run of a pipeline file: trigger, timing, step counts and its steps."""

    run_id: str
    trigger: Literal["manual", "scheduled"]
    status: str
    started: float | None
    ended: float | None
    duration: float | None
    ok: int
    failed: int
    cached: int
    steps_total: int
    error: str | None
    mlflow_run_id: str | None
    steps: list[HistoryStep]


class PipelineHistory(Contract):
    """``GET pipelines/history``: a page of runs, newest first; ``total`` counts the
    runs found among the newest folders read (``truncated``: there were more)."""

    runs: list[HistoryRun]
    offset: int
    limit: int
    total: int
    has_more: bool
    truncated: bool
