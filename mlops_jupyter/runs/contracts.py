"""The REST contract of one run: :class:`RunDetail` and the open-notebook request."""

from __future__ import annotations

from pydantic import Field

from ..contracts import Body, PathText, Query, Reply
from ..tracking.contracts import Run


class MetricPoint(Reply):
    """One logged value of a metric."""

    step: int
    value: float
    timestamp: int


class RunError(Reply):
    """How a run failed: the exception, and where (a step's cell) when known."""

    type: str | None = None
    message: str | None = None
    cell_index: int | None = None
    execution_count: int | None = None
    traceback: str | None = None


class GitState(Reply):
    """The git state recorded when the run started (``diff`` capped)."""

    commit: str | None = None
    branch: str | None = None
    dirty: bool | None = None
    diff: str | None = None
    diff_truncated: bool = False


class Environment(Reply):
    """Python, platform and package versions recorded with the run."""

    python: str | None = None
    platform: str | None = None
    packages: dict[str, str] = {}


class ArtifactEntry(Reply):
    """One artifact file or folder (``size`` in bytes, None for folders)."""

    path: str
    size: int | None = None
    is_dir: bool = False


class ModelVersionRef(Reply):
    """A registered model version logged from this run."""

    name: str
    version: str
    aliases: list[str] = []


class RelatedRef(Reply):
    """Something this run belongs to: a job, a pipeline run, a drift check, a schedule."""

    kind: str
    id: str
    label: str


class RunDetail(Run):
    """``GET runs/{run_id}``: everything the Run view shows."""

    experiment_name: str | None = None
    tags: dict[str, str] = {}
    parent: Run | None = None
    children: list[Run] = []
    metric_history: dict[str, list[MetricPoint]] = {}
    source: str | None = None
    notebooks: list[str] = []
    output_notebook: str | None = None
    error_detail: RunError | None = None
    fingerprints: dict[str, str] = {}
    git: GitState | None = None
    environment: Environment | None = None
    artifacts: list[ArtifactEntry] = []
    model_versions: list[ModelVersionRef] = []
    related: list[RelatedRef] = []


class ArtifactQuery(Query):
    """``GET runs/{run_id}/artifacts``: which file."""

    path: str = Field(..., min_length=1, max_length=1024,
                      description="an artifact path relative to the run's artifact root")


class OpenNotebookRequest(Body):
    """``POST runs/{run_id}/open-notebook``: the notebook artifact to open."""

    path: PathText = Field(..., description="a .ipynb artifact path of the run")


class OpenNotebookReply(Reply):
    """Where the notebook is now, relative to the server root."""

    path: str


__all__ = ["ArtifactEntry", "ArtifactQuery", "Environment", "GitState", "MetricPoint",
           "ModelVersionRef", "OpenNotebookReply", "OpenNotebookRequest", "RelatedRef",
           "RunDetail", "RunError"]
