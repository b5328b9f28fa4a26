"""Human-readable views of pipelines: live progress, summaries, ``show``, ``init``."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from ..exceptions import UsageError
from . import step as statuses
from .cache import latest_run_id, run_folder
from .notebooks import inspect_parameters
from .spec import PipelineSpec, inside

SYMBOLS = {statuses.FINISHED: "✓", statuses.CACHED: "↺", statuses.FAILED: "✗",
           statuses.TIMED_OUT: "⏱", statuses.KERNEL_DIED: "☠", statuses.SKIPPED: "–",
           statuses.RUNNING: "▶", statuses.PENDING: "·", statuses.NOT_SELECTED: " "}


class TerminalProgress:
    """Prints one line per step transition, and a live counter line on a terminal."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout
        self._seen: dict[str, tuple[str, int]] = {}
        self._live = self.stream.isatty()

    def __call__(self, run) -> None:
        for state in run.steps.values():
            key = (state.status, state.attempts)
            if self._seen.get(state.name) == key or state.status == statuses.NOT_SELECTED:
                continue
            self._seen[state.name] = key
            if state.status == statuses.PENDING and not state.reason:
                continue
            self._clear()
            print(f"  {SYMBOLS.get(state.status, '?')} {state.name:<24} {describe_step(state)}",
                  file=self.stream)
        if self._live and run.status == statuses.RUNNING:
            counts = _counts(run)
            line = "  " + "  ".join(f"{k} {v}" for k, v in counts.items() if v)
            self.stream.write(line[:120] + "\r")
            self.stream.flush()

    def _clear(self) -> None:
        if self._live:
            self.stream.write(" " * 120 + "\r")


def _counts(run) -> dict[str, int]:
    counts = {"done": 0, "cached": 0, "running": 0, "failed": 0, "pending": 0}
    for name in run.selected:
        status = run.steps[name].status
        key = {statuses.FINISHED: "done", statuses.CACHED: "cached",
               statuses.RUNNING: "running", statuses.PENDING: "pending"}.get(status, "failed")
        counts[key] += 1
    return counts


def describe_step(state) -> str:
    if state.status == statuses.RUNNING:
        return f"running (attempt {state.attempts})" if state.attempts > 1 else "running"
    if state.status == statuses.CACHED:
        source = (state.cached_from or {}).get("pipeline_run") or "an earlier run"
        return f"cached (outputs of run {source})"
    if state.status == statuses.SKIPPED:
        return f"skipped: {state.reason}"
    if state.status == statuses.PENDING:
        return state.reason or ""
    text = f"{state.status.lower()} in {state.duration or 0:.1f} s"
    if state.error:
        cell = state.error.get("cell_index")
        where = f" in cell {cell}" if cell is not None else ""
        text += f"{where}: {state.error.get('ename')}: {state.error.get('evalue')}"
    return text


def summary(run) -> str:
    """The closing lines of ``mlops pipeline run``."""
    counts = _counts(run)
    took = (run.ended or run.started) - run.started
    lines = [f"pipeline {run.spec.name}: {run.status} in {took:.1f} s — "
             + ", ".join(f"{v} {k}" for k, v in counts.items() if v and k != "pending")]
    for name in run.selected:
        state = run.steps[name]
        if state.status in (statuses.FAILED, statuses.TIMED_OUT, statuses.KERNEL_DIED):
            lines.append(f"  {name}: {describe_step(state)}")
            if state.output_notebook:
                lines.append(f"    output notebook: {run.spec.root / state.output_notebook}")
    lines.append(f"run folder: {run.run_dir}")
    lines.append(f"MLflow experiment: {run.spec.experiment}")
    return "\n".join(lines)


# ------------------------------------------------------------------------- show
def last_run(spec: PipelineSpec) -> dict[str, Any] | None:
    """status.json of the most recent run of this pipeline file, if any.

    Only its own runs: not another pipeline file's in the same folder, nor a
    scheduled job's (those live in ``mlops-jobs/``).
    """
    return read_status(spec.path, latest_run_id(spec.path))


def read_status(pipeline: Path, run_id: str | None) -> dict[str, Any] | None:
    """status.json of run ``run_id`` of the pipeline file ``pipeline`` (None when that
    run does not exist or is a run of another file)."""
    from .runner import RUN_ID

    if not run_id or not RUN_ID.fullmatch(run_id):
        return None
    try:
        status = json.loads((run_folder(pipeline.parent, run_id) / "status.json").read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(status, dict) or not _same_file(status.get("file"), pipeline):
        return None
    return status


def _same_file(recorded: Any, pipeline: Path) -> bool:
    if not isinstance(recorded, str) or not recorded:
        return False
    try:
        return Path(recorded).resolve() == pipeline.resolve()
    except (OSError, ValueError):
        return False


def plan(spec: PipelineSpec) -> list[dict[str, Any]]:
    """Each step with its cache state (would it run now?) and its last status."""
    from .runner import PipelineRun

    run = PipelineRun(spec)
    state = run.state
    last = {s["name"]: s for s in (last_run(spec) or {}).get("steps", [])}
    hashes: dict[str, dict[str, str | None]] = {}
    rows = []
    for name, step in spec.steps.items():
        try:
            key = run.step_cache_key(name, run.resolved_parameters(name), hashes)
            cache = "cached" if state.lookup(key) else "will run"
        except UsageError as exc:
            cache = f"invalid: {exc}"
        hashes[name] = {output: state.file_hash(spec.root / path)
                        for output, path in step.outputs.items()}
        previous = last.get(name, {})
        rows.append({"name": name, "notebook": spec.relative(step.notebook),
                     "needs": list(step.needs), "outputs": step.outputs, "cache": cache,
                     "last_status": previous.get("status"),
                     "last_output_notebook": previous.get("output_notebook")})
    state.save()
    return rows


def render_plan(spec: PipelineSpec, rows: list[dict[str, Any]]) -> str:
    lines = [f"pipeline {spec.name} ({spec.path.name}), experiment {spec.experiment!r}"]
    width = max(len(row["name"]) for row in rows)
    for row in rows:
        needs = f" ← {', '.join(row['needs'])}" if row["needs"] else ""
        last = row["last_status"] or "never run"
        lines.append(f"  {row['name']:<{width}}  {row['cache']:<9} last: {last:<12}"
                     f" {row['notebook']}{needs}")
    return "\n".join(lines)


# ------------------------------------------------------------------------- init
def _literal(default: str) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(default)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def init_pipeline(notebooks: list[str], out: Path, name: str | None = None,
                  force: bool = False) -> str:
    """Write a starter pipeline.yaml for ``notebooks`` (chained in the given order).

    Raises:
        UsageError: a notebook is missing or outside the output's folder, or the
            file exists and ``force`` is not set.
    """
    import yaml

    if out.exists() and not force:
        raise UsageError(f"{out} already exists (use --force to overwrite)")
    root = out.parent.resolve()
    steps = []
    comments = []
    for index, notebook in enumerate(notebooks):
        path = Path(notebook).resolve()
        relative = str(path.relative_to(root)) if path.is_relative_to(root) else None
        if relative is None or inside(root, relative) is None:
            raise UsageError(f"{notebook} is not inside {root} (where pipeline.yaml goes)")
        if not path.is_file() or path.suffix != ".ipynb":
            raise UsageError(f"{notebook} is not a notebook file")
        declared = inspect_parameters(path) or {}
        parameters = {}
        for parameter, info in declared.items():
            ok, value = _literal(info.get("default") or "")
            if ok:
                parameters[parameter] = value
            else:
                comments.append(f"# {path.stem}: {parameter} = {info.get('default')} "
                                "(not a literal; set it here if needed)")
        step: dict[str, Any] = {"name": path.stem.replace(" ", "_"), "notebook": relative}
        if steps:
            step["needs"] = [steps[-1]["name"]]
        step["parameters"] = parameters
        step["inputs"] = []
        step["outputs"] = {}
        steps.append(step)
        if not declared:
            comments.append(f"# {path.stem}: no cell tagged 'parameters' "
                            "(tag one in JupyterLab's property inspector)")
        del index
    document = {"name": name or root.name.replace(" ", "-") or "pipeline",
                "experiment": name or root.name or "pipeline",
                "defaults": {"kernel": "python3", "timeout": 600, "retries": 0},
                "steps": steps}
    header = ["# Generated by `mlops pipeline init`. Declare each step's inputs (files or",
              "# globs it reads) and outputs (name: file it writes) so caching is exact;",
              "# reference an upstream output in parameters as ${steps.NAME.outputs.OUTPUT}.",
              *comments]
    text = "\n".join(header) + "\n" + yaml.safe_dump(document, sort_keys=False)
    out.write_text(text)
    return text
