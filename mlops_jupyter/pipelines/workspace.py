"""The server root as the sidebar sees it: a path jail, the pipeline files below it.

:class:`Workspace` turns a path from a request into a file inside the root
(refusing absolute paths, ``..``, encoded traversal, NUL and symlinks that lead
out), finds the pipeline files under the root and describes one of them.

Everything returned or raised here is phrased relative to the root: no absolute
path reaches a client (:func:`scrub` takes absolute folders out of a message).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import config, paths
from ..exceptions import ConflictError, MLOpsError, UsageError
from ..paths import quote, scrub
from .cache import OUTPUT_DIRS
from .contracts import (
    LastRun,
    PipelineCreated,
    PipelineDetail,
    PipelineList,
    PipelineRun,
    PipelineSummary,
    PlanStep,
)

#: store's artifact root): ``mlruns``/``mlartifacts`` are MLflow's artifact folders,
#: where every run keeps a copy of its ``pipeline.yaml``.
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "env",
                          *OUTPUT_DIRS, "mlruns", "mlartifacts"})
#: How deep below the root the listing looks, and how much it reads at most.
MAX_DEPTH = 6
MAX_VISITED = 20_000
MAX_PIPELINES = 200
MAX_SPEC_BYTES = 512 * 1024
def _local_artifact_root() -> str | None:
    """The store's default artifact root as a real local path, or None (remote)."""
    from urllib.parse import unquote, urlparse

    try:
        root = config.artifact_root()
    except MLOpsError:
        return None
    if not root.startswith("file:"):
        return None
    return os.path.realpath(unquote(urlparse(root).path))


@dataclass(frozen=True)
class Workspace:
    """The server root, and the pipeline files below it."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).expanduser().resolve())

    # ------------------------------------------------------------------ paths
    def resolve(self, relative: Any, *, what: str = "path", must_exist: bool = True) -> Path:
        """The file ``relative`` names inside the root, resolved (symlinks too).

        Raises:
            UsageError: not a string, absolute, ``..``, encoded traversal, NUL, or
                (through a symlink) outside the root.
            NotFoundError: ``must_exist`` and nothing is there.
        """
        return paths.resolve_inside(self.root, relative, what=what, must_exist=must_exist)

    def relative(self, path: Path) -> str:
        """``path`` (inside the root) as the root-relative POSIX path JupyterLab uses."""
        return paths.relative_to_root(self.root, path)

    def scrub(self, error: MLOpsError) -> MLOpsError:
        """The same kind of error, its message free of absolute paths."""
        message = scrub(error.message, self.root, config.home_dir(create=False))
        if message == error.message:
            return error
        scrubbed = type(error).__new__(type(error))
        MLOpsError.__init__(scrubbed, message)
        return scrubbed

    # --------------------------------------------------------------- listing
    def list_pipelines(self) -> PipelineList:
        """Pipeline files under the root: YAML mappings with ``steps``.

        Hidden folders (``.mlops``, ``.venv``, ``.ipynb_checkpoints``, ...),
        ``node_modules`` and the like are skipped; the search stops at
        :data:`MAX_DEPTH` folders deep, :data:`MAX_VISITED` entries or
        :data:`MAX_PIPELINES` pipelines (``truncated`` then says so).
        """
        files, truncated = self.yaml_files()
        found: list[PipelineSummary] = []
        for path in files:
            entry = self.describe_file(path)
            if entry is not None:
                found.append(entry)
                if len(found) >= MAX_PIPELINES:
                    return PipelineList(pipelines=found, truncated=True)
        found.sort(key=lambda entry: entry.path)
        return PipelineList(pipelines=found, truncated=truncated)

    def yaml_files(self) -> tuple[list[Path], bool]:
        """The YAML files under the root (unresolved, in walk order) and whether the
        walk stopped early; skips and bounds as :meth:`list_pipelines` says."""
        found: list[Path] = []
        visited = 0
        truncated = False
        artifacts = _local_artifact_root()
        for folder, dirs, files in os.walk(self.root):
            depth = len(Path(folder).relative_to(self.root).parts)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS
                             and (artifacts is None
                                  or os.path.realpath(os.path.join(folder, d)) != artifacts))
            if depth >= MAX_DEPTH:
                truncated = truncated or bool(dirs)
                dirs[:] = []
            visited += len(dirs) + len(files)
            found.extend(Path(folder, name) for name in sorted(files)
                         if not name.startswith(".") and name.endswith((".yaml", ".yml")))
            if visited >= MAX_VISITED:
                truncated = True
                break
        return found, truncated

    def describe_file(self, path: Path) -> PipelineSummary | None:
        """A listing entry when ``path`` looks like a pipeline, else None."""
        import yaml

        from .spec import parse_spec

        try:
            resolved = path.resolve()
            if paths.relative_if_inside(self.root, resolved) is None or not resolved.is_file():
                return None
            if resolved.stat().st_size > MAX_SPEC_BYTES:
                return None
            text = resolved.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if "steps" not in text:
            return None  # most YAML files are not pipelines; skip parsing them
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            return None
        if not isinstance(data, dict) or "steps" not in data:
            return None
        steps = data.get("steps")
        name = data["name"] if isinstance(data.get("name"), str) else path.stem
        count = len(steps) if isinstance(steps, list) else 0
        error = None
        try:
            spec = parse_spec(text, resolved)
            name, count = spec.name, len(spec.steps)
        except MLOpsError as exc:
            error = self.scrub(exc).message
        last = self.last_run(resolved)
        return PipelineSummary(
            path=path.relative_to(self.root).as_posix(), name=name, steps=count,
            last_run=None if last is None else LastRun(run_id=last.run_id, status=last.status),
            error=error)

    # ---------------------------------------------------------------- detail
    def load(self, relative: Any):
        """The validated spec of the pipeline file ``relative``.

        Raises:
            UsageError: a bad path, or a spec with problems (all listed).
            NotFoundError: no such file.
        """
        from .spec import load_spec

        path = self.resolve(relative)
        if not path.is_file() or path.suffix not in (".yaml", ".yml"):
            raise UsageError(f"{quote(relative)} is not a pipeline file (.yaml)")
        try:
            return load_spec(path)
        except MLOpsError as exc:
            raise self.scrub(exc) from None

    def detail(self, relative: Any, active_run: str | None = None) -> PipelineDetail:
        """The DAG of a pipeline with each step's cache state and last status."""
        from .plan import plan

        spec = self.load(relative)
        project = self.relative(spec.root)
        steps = []
        for row in plan(spec):
            last_output = row.get("last_output_notebook")
            cache = row.get("cache")
            steps.append(PlanStep(**row | {
                "notebook_path": join(project, row["notebook"]),
                "last_output_notebook_path": join(project, last_output) if last_output else None,
                "cache": scrub(cache, self.root) if isinstance(cache, str) else cache}))
        return PipelineDetail(path=self.relative(spec.path), name=spec.name,
                              experiment=spec.experiment, project=project, steps=steps,
                              last_run=self.last_run(spec.path), active_run=active_run)

    def last_run(self, pipeline: Path) -> PipelineRun | None:
        """The status of the latest run of this very file (a project may hold several
        pipelines, and scheduled jobs keep their runs apart)."""
        from .cache import latest_run_id

        return self.run_status(pipeline, latest_run_id(pipeline) or "")

    def run_status(self, pipeline: Path, run_id: str) -> PipelineRun | None:
        """status.json of run ``run_id`` of the pipeline file ``pipeline``, made
        client-safe (paths relative to the server root), or None (no such run, or
        a run of another file)."""
        from .plan import read_status

        status = read_status(pipeline, run_id)
        if status is None:
            return None
        # status.json is the runner's file: parsing it is where this reply is made.
        return PipelineRun.model_validate(self._client_status(status, pipeline.parent))

    def _client_status(self, status: dict[str, Any], project: Path) -> dict[str, Any]:
        project_rel = self.relative(project)
        for key in ("file", "run_dir"):
            value = status.get(key)
            if isinstance(value, str) and value:
                status[key] = paths.relative_if_inside(self.root, value) or scrub(value, self.root)
        for step in status.get("steps") or []:
            notebook = step.get("output_notebook")
            step["output_notebook_path"] = join(project_rel, notebook) if notebook else None
        return status

    # ------------------------------------------------------------------ init
    def init_pipeline(self, notebook: Any) -> PipelineCreated:
        """Write ``pipeline.yaml`` beside ``notebook`` with the notebook as its one step.

        Raises:
            UsageError: a bad path or not a notebook.
            ConflictError: that folder already has a pipeline.yaml.
        """
        from .scaffold import init_pipeline

        path = self.resolve(notebook, what="notebook")
        if not path.is_file() or path.suffix != ".ipynb":
            raise UsageError(f"{quote(notebook)} is not a notebook (.ipynb)")
        out = path.parent / "pipeline.yaml"
        if out.exists():
            raise ConflictError(f"{self.relative(out)} already exists; open it instead")
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.parent.name).strip("-.") or "pipeline"
        try:
            text = init_pipeline([str(path)], out, name=name)
        except MLOpsError as exc:
            raise self.scrub(exc) from None
        return PipelineCreated(path=self.relative(out), text=scrub(text, self.root))


def join(project: str, relative: str) -> str:
    """``relative`` (to the project folder ``project``) relative to the root."""
    return relative if project in ("", ".") else f"{project}/{relative}"
