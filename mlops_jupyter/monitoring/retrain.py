"""Drift-triggered retraining: run the pipeline, pass its new version through the gate.

Debounced per model: while a retrain of the model runs (an ``flock`` held for its
whole duration) or within ``cooldown_minutes`` of the last one starting, another
firing only records why it did not start. The pipeline run is tagged with its
trigger (``drift check RUN_ID``), so lineage leads from the new version back to
the check that caused it.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

from .. import config, mlflow_errors
from ..exceptions import MLOpsError


def _state_dir() -> Path:
    folder = config.home_dir() / "monitoring"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _read_state(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def new_versions(name: str, pipeline_run_id: str) -> list[str]:
    """Versions of ``name`` registered by pipeline run ``pipeline_run_id``, newest first."""
    from ..registry import common

    client = common.client()
    with mlflow_errors.translated(f"cannot list the versions of {name!r}"):
        versions = client.search_model_versions(f"name = '{name}'", max_results=1000)
    found = [v for v in versions
             if (v.tags or {}).get("mlops.lineage.pipeline_run_id") == pipeline_run_id]
    return [str(v.version) for v in sorted(found, key=lambda v: -int(v.version))]


def _decided(name: str, alias: str, version: str) -> dict[str, Any] | None:
    """The alias-history entry of a gate decision on ``version``, if one was made."""
    from ..registry import alias_history

    for entry in reversed(alias_history(name, alias)):
        if entry.get("to_version") == version and entry.get("action") in (
                "set", "forced", "refused"):
            return entry
    return None


def _gate(name: str, alias: str, version: str, check_run_id: str) -> dict[str, Any]:
    """Promote ``version`` through the gate unless the pipeline already did."""
    from ..registry import promote

    entry = _decided(name, alias, version)
    if entry is None:
        outcome = promote(name, version, alias,
                          reason=f"retrained after drift check {check_run_id}")
        entry = outcome["entry"]
    promoted = entry.get("action") in ("set", "forced")
    return {"version": version, "promoted": promoted,
            "gate_reasons": (entry.get("gate") or {}).get("reasons", [])}


def retrain(name: str, plan, check_run_id: str) -> dict[str, Any]:
    """Run ``plan`` (a :class:`.spec.Retrain`) for model ``name`` unless debounced.

    Returns:
        ``{status, pipeline, reason?, pipeline_run_id?, version?, promoted?,
        gate_reasons?}`` with status ``finished``, ``failed`` or ``skipped``.
    """
    folder = _state_dir()
    state_path = folder / f"retrain-{name}.json"
    lock_path = folder / f"retrain-{name}.lock"
    base = {"pipeline": plan.pipeline.name, "alias": plan.promote_to}
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            running = _read_state(state_path).get("check_run_id")
            return {**base, "status": "skipped",
                    "reason": f"a retrain is already running (started by drift check "
                              f"{running})"}
        state = _read_state(state_path)
        last = float(state.get("started", 0))
        wait = last + plan.cooldown_minutes * 60 - time.time()
        if wait > 0:
            return {**base, "status": "skipped",
                    "reason": f"cool-down: the last retrain started {int(time.time() - last)}"
                              f" s ago (cool-down {plan.cooldown_minutes:g} min)"}
        state_path.write_text(json.dumps({"started": time.time(), "pid": os.getpid(),
                                          "check_run_id": check_run_id}))
        return {**base, **_run(name, plan, check_run_id)}


def _run(name: str, plan, check_run_id: str) -> dict[str, Any]:
    from ..pipelines.runner import RunOptions, run_pipeline
    from ..pipelines.spec import load_spec

    try:
        spec = load_spec(plan.pipeline)
        run = run_pipeline(spec, RunOptions(
            force=True, from_step=plan.from_step, trigger=f"drift check {check_run_id}"))
    except MLOpsError as error:
        return {"status": "failed", "reason": str(error)}
    result: dict[str, Any] = {"pipeline_run_id": run.run_id}
    if not run.ok:
        failed = [n for n in run.selected if run.steps[n].status not in ("FINISHED", "CACHED")]
        return {**result, "status": "failed",
                "reason": f"step {failed[0]} {run.steps[failed[0]].status}" if failed
                else "the pipeline failed"}
    versions = new_versions(name, run.run_id)
    if not versions:
        return {**result, "status": "finished", "promoted": False,
                "reason": f"the pipeline registered no new version of {name}"}
    try:
        return {**result, "status": "finished",
                **_gate(name, plan.promote_to, versions[0], check_run_id)}
    except MLOpsError as error:
        return {**result, "status": "finished", "version": versions[0], "promoted": False,
                "reason": f"gate: {error}"}
