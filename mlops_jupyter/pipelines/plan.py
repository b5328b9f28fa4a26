"""What ``mlops pipeline show`` and the sidebar show of a pipeline file: each step's
cache state (would it run now?) and the status of its latest run (``status.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import names
from ..exceptions import UsageError
from .cache import latest_run_id, run_folder
from .runner import PipelineRun
from .spec import PipelineSpec


def last_run(spec: PipelineSpec) -> dict[str, Any] | None:
    """status.json of the most recent run of this pipeline file, if any.

    Only its own runs: not another pipeline file's in the same folder, nor a
    scheduled job's (those live in ``mlops-jobs/``).
    """
    return read_status(spec.path, latest_run_id(spec.path))


def read_status(pipeline: Path, run_id: str | None) -> dict[str, Any] | None:
    """status.json of run ``run_id`` of the pipeline file ``pipeline`` (None when that
    run does not exist or is a run of another file)."""
    if not names.is_run_id(run_id):
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
                     "parameters": _parameters(run, name),
                     "needs": list(step.needs), "outputs": step.outputs, "cache": cache,
                     "last_status": previous.get("status"),
                     "last_output_notebook": previous.get("output_notebook")})
    state.save()
    return rows


def _parameters(run: PipelineRun, name: str) -> list[dict[str, Any]]:
    """The step's parameters as a Run dialog offers them: each one the notebook declares
    (its type and default text) or the spec sets, with the spec's value if any."""
    spec, step = run.spec, run.spec.steps[name]
    try:
        declared = run._declared(name) or {}
    except UsageError:
        declared = {}
    rows = []
    for key in [*declared, *(key for key in step.parameters if key not in declared)]:
        info = declared.get(key) or {}
        if key in step.parameters:
            value, source = step.parameters[key], "step"
        elif key in spec.default_parameters:
            value, source = spec.default_parameters[key], "defaults"
        else:
            value, source = None, "notebook"
        rows.append({"name": key, "type": info.get("type"), "source": source,
                     "value": value, "notebook_default": info.get("default"),
                     "help": info.get("help") or None})
    return rows


def render_plan(spec: PipelineSpec, rows: list[dict[str, Any]]) -> str:
    """The rows of :func:`plan` as the text of ``mlops pipeline show``."""
    lines = [f"pipeline {spec.name} ({spec.path.name}), experiment {spec.experiment!r}"]
    width = max(len(row["name"]) for row in rows)
    for row in rows:
        needs = f" ← {', '.join(row['needs'])}" if row["needs"] else ""
        last = row["last_status"] or "never run"
        lines.append(f"  {row['name']:<{width}}  {row['cache']:<9} last: {last:<12}"
                     f" {row['notebook']}{needs}")
    return "\n".join(lines)
