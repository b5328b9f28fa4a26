"""What the sidebar does with pipelines, for the REST handlers: no tornado in here.

* :class:`Workspace` turns a path from a request into a file inside the server root
  (refusing absolute paths, ``..``, encoded traversal, NUL and symlinks that lead
  out), finds the pipeline files under the root and describes one of them.
* :class:`PipelineLauncher` starts ``mlops pipeline run`` in the background, one
  process per run in a session of its own (so it outlives a restarted server and
  can be stopped as a group), logs to ``<run folder>/server-run.log`` and refuses a
  second concurrent run of the same pipeline file.

Everything returned or raised here is phrased relative to the server root: no
absolute path reaches a client.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import config
from ..exceptions import ConflictError, MLOpsError, NotFoundError, UsageError
from ..pipelines.cache import OUTPUT_DIRS, run_folder
from ..pipelines.runner import RUN_ID

#: Folders never searched for pipeline files (besides every hidden folder and the
#: store's artifact root): ``mlruns``/``mlartifacts`` are MLflow's artifact folders,
#: where every run keeps a copy of its ``pipeline.yaml``.
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "env",
                          *OUTPUT_DIRS, "mlruns", "mlartifacts"})
#: How deep below the root the listing looks, and how much it reads at most.
MAX_DEPTH = 6
MAX_VISITED = 20_000
MAX_PIPELINES = 200
MAX_SPEC_BYTES = 512 * 1024
MAX_PATH_CHARS = 1024
#: The longest file or folder name (NAME_MAX of common file systems).
MAX_NAME_BYTES = 255
LOG_NAME = "server-run.log"
# A path that still holds percent-escapes of '.', '/', '\' or NUL after the server
# decoded it once was encoded twice, which only an attack does.
_ENCODED = re.compile(r"%(2e|2f|5c|00)", re.IGNORECASE)


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


def _scrub(text: str, *roots: Path) -> str:
    """``text`` with every absolute root folder replaced by a relative spelling."""
    for root in roots:
        for spelling in {str(root), str(root.resolve())}:
            if spelling and spelling != "/":
                text = text.replace(spelling + os.sep, "").replace(spelling, ".")
    return text


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
        if not isinstance(relative, str) or not relative.strip():
            raise UsageError(f"{what} must be a non-empty path relative to the server root")
        if len(relative) > MAX_PATH_CHARS:
            raise UsageError(f"{what} is too long")
        if "\0" in relative or _ENCODED.search(relative):
            raise UsageError(f"{what} holds characters that are not allowed in a path")
        if relative.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", relative):
            raise UsageError(f"{what} must be relative to the server root")
        parts = re.split(r"[\\/]", relative)
        if ".." in parts:
            raise UsageError(f"{what} may not contain '..'")
        try:
            relative.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(f"{what} holds invalid Unicode (a lone surrogate)") from None
        if any(len(part.encode("utf-8")) > MAX_NAME_BYTES for part in parts):
            raise UsageError(f"{what} has a file or folder name longer than "
                             f"{MAX_NAME_BYTES} bytes")
        try:
            resolved = (self.root / relative).resolve()
            if not resolved.is_relative_to(self.root):
                raise UsageError(f"{what} leads outside the server root")
            exists = resolved.exists()
        except (OSError, RuntimeError):  # e.g. a symlink loop
            raise UsageError(f"{what} {_quote(relative)} cannot be opened") from None
        if must_exist and not exists:
            raise NotFoundError(f"{what} {_quote(relative)} does not exist")
        return resolved

    def relative(self, path: Path) -> str:
        """``path`` (inside the root) as the root-relative POSIX path JupyterLab uses."""
        return path.resolve().relative_to(self.root).as_posix()

    def scrub(self, error: MLOpsError) -> MLOpsError:
        """The same kind of error, its message free of absolute paths."""
        message = _scrub(error.message, self.root, config.home_dir(create=False))
        if message == error.message:
            return error
        scrubbed = type(error).__new__(type(error))
        MLOpsError.__init__(scrubbed, message)
        return scrubbed

    # --------------------------------------------------------------- listing
    def list_pipelines(self) -> dict[str, Any]:
        """Pipeline files under the root: YAML mappings with ``steps``.

        Hidden folders (``.mlops``, ``.venv``, ``.ipynb_checkpoints``, ...),
        ``node_modules`` and the like are skipped; the search stops at
        :data:`MAX_DEPTH` folders deep, :data:`MAX_VISITED` entries or
        :data:`MAX_PIPELINES` pipelines (``truncated`` then says so).
        """
        found: list[dict[str, Any]] = []
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
            for name in sorted(files):
                if name.startswith(".") or not name.endswith((".yaml", ".yml")):
                    continue
                entry = self._describe_file(Path(folder, name))
                if entry is not None:
                    found.append(entry)
                    if len(found) >= MAX_PIPELINES:
                        return {"pipelines": found, "truncated": True}
            if visited >= MAX_VISITED:
                truncated = True
                break
        found.sort(key=lambda entry: entry["path"])
        return {"pipelines": found, "truncated": truncated}

    def _describe_file(self, path: Path) -> dict[str, Any] | None:
        """A listing entry when ``path`` looks like a pipeline, else None."""
        import yaml

        from ..pipelines.spec import parse_spec

        try:
            resolved = path.resolve()
            if not resolved.is_relative_to(self.root) or not resolved.is_file():
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
        relative = path.relative_to(self.root).as_posix()
        steps = data.get("steps")
        entry: dict[str, Any] = {
            "path": relative,
            "name": data["name"] if isinstance(data.get("name"), str) else path.stem,
            "steps": len(steps) if isinstance(steps, list) else 0,
            "last_run": None,
            "error": None,
        }
        try:
            spec = parse_spec(text, resolved)
            entry["name"], entry["steps"] = spec.name, len(spec.steps)
        except MLOpsError as exc:
            entry["error"] = self.scrub(exc).message
        last = self.last_run(resolved)
        if last is not None:
            entry["last_run"] = {"run_id": last.get("run_id"), "status": last.get("status")}
        return entry

    # ---------------------------------------------------------------- detail
    def load(self, relative: Any):
        """The validated spec of the pipeline file ``relative``.

        Raises:
            UsageError: a bad path, or a spec with problems (all listed).
            NotFoundError: no such file.
        """
        from ..pipelines.spec import load_spec

        path = self.resolve(relative)
        if not path.is_file() or path.suffix not in (".yaml", ".yml"):
            raise UsageError(f"{_quote(relative)} is not a pipeline file (.yaml)")
        try:
            return load_spec(path)
        except MLOpsError as exc:
            raise self.scrub(exc) from None

    def detail(self, relative: Any, active_run: str | None = None) -> dict[str, Any]:
        """The DAG of a pipeline with each step's cache state and last status."""
        from ..pipelines.plan import plan

        spec = self.load(relative)
        project = self.relative(spec.root)
        rows = plan(spec)
        for row in rows:
            row["notebook_path"] = _join(project, row["notebook"])
            row["last_output_notebook_path"] = (
                _join(project, row["last_output_notebook"])
                if row.get("last_output_notebook") else None)
            if isinstance(row.get("cache"), str):
                row["cache"] = _scrub(row["cache"], self.root)
        return {"path": self.relative(spec.path), "name": spec.name,
                "experiment": spec.experiment, "project": project, "steps": rows,
                "last_run": self.last_run(spec.path), "active_run": active_run}

    def last_run(self, pipeline: Path) -> dict[str, Any] | None:
        """The status of the latest run of this very file (a project may hold several
        pipelines, and scheduled jobs keep their runs apart)."""
        from ..pipelines.cache import latest_run_id

        return self.run_status(pipeline, latest_run_id(pipeline) or "")

    def run_status(self, pipeline: Path, run_id: str) -> dict[str, Any] | None:
        """status.json of run ``run_id`` of the pipeline file ``pipeline``, made
        client-safe (paths relative to the server root), or None (no such run, or
        a run of another file)."""
        from ..pipelines.plan import read_status

        status = read_status(pipeline, run_id)
        return None if status is None else self._client_status(status, pipeline.parent)

    def _client_status(self, status: dict[str, Any], project: Path) -> dict[str, Any]:
        project_rel = self.relative(project)
        for key in ("file", "run_dir"):
            value = status.get(key)
            if isinstance(value, str) and value:
                absolute = Path(value)
                status[key] = (self.relative(absolute)
                               if absolute.is_absolute() and absolute.resolve().is_relative_to(
                                   self.root) else _scrub(value, self.root))
        for step in status.get("steps") or []:
            notebook = step.get("output_notebook")
            step["output_notebook_path"] = _join(project_rel, notebook) if notebook else None
        return status

    # ------------------------------------------------------------------ init
    def init_pipeline(self, notebook: Any) -> dict[str, Any]:
        """Write ``pipeline.yaml`` beside ``notebook`` with the notebook as its one step.

        Raises:
            UsageError: a bad path or not a notebook.
            ConflictError: that folder already has a pipeline.yaml.
        """
        from ..pipelines.scaffold import init_pipeline

        path = self.resolve(notebook, what="notebook")
        if not path.is_file() or path.suffix != ".ipynb":
            raise UsageError(f"{_quote(notebook)} is not a notebook (.ipynb)")
        out = path.parent / "pipeline.yaml"
        if out.exists():
            raise ConflictError(f"{self.relative(out)} already exists; open it instead")
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.parent.name).strip("-.") or "pipeline"
        try:
            text = init_pipeline([str(path)], out, name=name)
        except MLOpsError as exc:
            raise self.scrub(exc) from None
        return {"path": self.relative(out), "text": _scrub(text, self.root)}


# ----------------------------------------------------------------------- runs
@dataclass
class _Job:
    run_id: str
    pipeline: Path
    process: subprocess.Popen
    started: float = field(default_factory=time.time)

    @property
    def running(self) -> bool:
        return self.process.poll() is None


class PipelineLauncher:
    """Starts pipeline runs as background processes and tracks them by run id."""

    def __init__(self, workspace: Workspace, python: str | None = None):
        self.workspace = workspace
        self.python = python or sys.executable
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def start(self, relative: Any, *, force: bool = False, only: list[str] | None = None,
              from_step: str | None = None,
              params: dict[str, dict[str, Any]] | None = None) -> str:
        """Start ``mlops pipeline run`` on the pipeline file ``relative``; returns the run id.

        The spec, step names and parameter overrides are checked first, so bad input
        is a :class:`UsageError` now rather than a failed run later.

        Raises:
            UsageError: a bad path, spec, step name or override.
            ConflictError: a run of this file started here is still going on.
        """
        from ..pipelines.overrides import validate_overrides
        from ..pipelines.runner import PipelineRun, RunOptions

        spec = self.workspace.load(relative)
        only = list(only or [])
        unknown = [name for name in [*only, *filter(None, [from_step])] if name not in spec.steps]
        if unknown:
            raise UsageError(f"unknown step {_quote(unknown[0])} "
                             f"(steps: {', '.join(spec.steps)})")
        if only and from_step:
            raise UsageError("give only or from, not both")
        try:
            # Exactly what `mlops pipeline run --param` checks, before anything starts:
            # names and values, then each selected step's notebook (declared names,
            # types), so bad overrides are a 400 now rather than a failed run later.
            overrides = validate_overrides(params or {}, spec)
            PipelineRun(spec, RunOptions(only=only, from_step=from_step,
                                         overrides=overrides)).validate()
        except MLOpsError as exc:
            raise self.workspace.scrub(exc) from None
        # Names are identifiers and values plain JSON: safe to pass as STEP.NAME=JSON.
        pairs = [f"{step}.{name}={json.dumps(value)}"
                 for step, values in overrides.items() for name, value in values.items()]

        with self._lock:
            active = self.active_run(spec.path)
            if active is not None:
                raise ConflictError(f"pipeline {spec.name!r} is already running (run {active})")
            run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
            run_dir = run_folder(spec.root, run_id)
            run_dir.mkdir(parents=True, exist_ok=True)
            command = [self.python, "-m", "mlops_jupyter.cli", "pipeline", "run",
                       str(spec.path), "--run-id", run_id, "--json"]
            if force:
                command.append("--force")
            for name in only:
                command += ["--only", name]
            if from_step:
                command += ["--from", from_step]
            for pair in pairs:
                command += ["--param", pair]
            try:
                with open(run_dir / LOG_NAME, "ab") as log:
                    process = subprocess.Popen(
                        command, cwd=spec.root, env=self._environment(),
                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                        start_new_session=True)
            except OSError as exc:
                shutil.rmtree(run_dir, ignore_errors=True)  # leave no empty run folder
                raise UsageError(f"the run could not start: {exc.strerror or 'error'}") from None
            self._jobs[run_id] = _Job(run_id, spec.path, process)
        # Reap the child when it ends, so no zombie is left behind.
        threading.Thread(target=process.wait, name=f"mlops-run-{run_id}", daemon=True).start()
        return run_id

    @staticmethod
    def _environment() -> dict[str, str]:
        """The server's environment, with the home directory the server itself uses."""
        env = dict(os.environ)
        env[config.HOME_ENV] = str(config.home_dir())
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def active_run(self, pipeline: Path) -> str | None:
        """The id of a run of ``pipeline`` started here that is still going on."""
        for job in self._jobs.values():
            if job.pipeline == pipeline and job.running and not self._ended(job):
                return job.run_id
        return None

    def _ended(self, job: _Job) -> bool:
        """The run wrote its final status (its process may still be closing down)."""
        status = self.workspace.run_status(job.pipeline, job.run_id) or {}
        return status.get("status") in ("FINISHED", "FAILED")

    def status(self, relative: Any, run_id: str) -> dict[str, Any]:
        """The run's status.json (paths relative to the server root).

        Before the runner wrote one the status is PENDING; when the process ended
        without writing one (it refused the run) it is FAILED with the reason.

        Raises:
            NotFoundError: no such run of that pipeline.
        """
        if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
            raise NotFoundError("no such pipeline run")
        job = self._jobs.get(run_id)
        if relative in (None, "") and job is not None:
            pipeline = job.pipeline
        else:
            pipeline = self.workspace.resolve(relative, what="pipeline path")
        status = self.workspace.run_status(pipeline, run_id)
        if status is not None:
            if job is not None and not job.running and status.get("status") in (
                    "PENDING", "RUNNING"):
                # The process died before it could write its final status.
                status["status"] = "FAILED"
                status["error"] = self._failure(job) or "the pipeline process ended early"
            return status
        if job is None or job.pipeline != pipeline:
            raise NotFoundError(f"no run {run_id} of this pipeline")
        base = {"run_id": run_id, "file": self.workspace.relative(pipeline), "steps": [],
                "started": job.started, "ended": None}
        if job.running:
            return {**base, "status": "PENDING"}
        return {**base, "status": "FAILED",
                "error": self._failure(job) or "the pipeline process ended early"}

    def _failure(self, job: _Job) -> str | None:
        """The last line the process printed (the CLI's one-line error)."""
        log = run_folder(job.pipeline.parent, job.run_id) / LOG_NAME
        try:
            lines = [line for line in log.read_text(errors="replace").splitlines()
                     if line.strip()]
        except OSError:
            return None
        if not lines:
            return None
        line = lines[-1].strip()
        return _scrub(line.removeprefix("mlops: error: "), self.workspace.root,
                      config.home_dir(create=False))[:500]

    def stop(self, run_id: str, timeout: float = 10.0) -> bool:
        """Stop a run started here (its whole process group); True when it was running."""
        job = self._jobs.get(run_id)
        if job is None or not job.running:
            return False
        try:
            os.killpg(job.process.pid, signal.SIGTERM)
            job.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(job.process.pid, signal.SIGKILL)
            job.process.wait(timeout=timeout)
        except ProcessLookupError:
            pass
        return True

    def stop_all(self) -> None:
        """Stop every run started here that is still going on."""
        for run_id in list(self._jobs):
            self.stop(run_id)


def _join(project: str, relative: str) -> str:
    return relative if project in ("", ".") else f"{project}/{relative}"


def _quote(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 80 else text[:77] + "...")
