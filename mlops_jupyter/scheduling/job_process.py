"""One job, in its own process: ``python -m mlops_jupyter.scheduling.job_process ID``.

A job is a scheduled one (a tick, "Run now", a catch-up) or a run started from the
Pipelines section (``trigger == "sidebar"``: its own run id and options).

Runs the job's pipeline (or a notebook, as a one-step pipeline) with the pipeline
runner — or, for a monitor file, a drift check — then writes the outcome to the job store: status, run folder, executed
notebooks, the pipeline's MLflow run id and the error line. The scheduler that
started it only watches for the process to end (and records a crash if it ends
without an outcome).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .store import FAILED, SUCCEEDED, TIMED_OUT, JobStore

log = logging.getLogger("mlops_jupyter.scheduler")


def notebook_spec(path: Path):
    """A one-step pipeline running ``path``, so notebooks get caching-free runs,
    honest statuses and tracking exactly like pipeline steps."""
    from ..pipelines.spec import PipelineSpec, StepSpec

    name = path.stem.replace(" ", "_") or "notebook"
    step = StepSpec(name=name, notebook=path, parameters={}, needs=(), inputs=(), outputs={})
    source = f"# scheduled notebook\nname: {name}\nsteps:\n  - {{name: {name}, notebook: {path.name}}}\n"
    return PipelineSpec(name=name, experiment=name, path=path.with_suffix(".yaml"),
                        root=path.parent, steps={name: step}, source=source)


def _overrides(job: dict[str, Any], spec) -> dict[str, dict[str, Any]]:
    if job["target_type"] == "notebook":
        step = next(iter(spec.steps))
        return {step: dict(job["parameters"])} if job["parameters"] else {}
    overrides: dict[str, dict[str, Any]] = {}
    for key, value in job["parameters"].items():
        step, _, name = key.rpartition(".")
        overrides.setdefault(step, {})[name] = value
    return overrides


def _mlflow_run_id(run_key: str, experiment: str, timeout: float) -> str | None:
    """The pipeline's MLflow run id, once its flusher wrote it (best effort)."""
    from ..tracking.operations import RUN_KEY_TAG
    from ..tracking.store import client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            mlflow_client = client()
            found = mlflow_client.get_experiment_by_name(experiment)
            if found is not None:
                runs = mlflow_client.search_runs(
                    [found.experiment_id], filter_string=f"tags.`{RUN_KEY_TAG}` = '{run_key}'",
                    max_results=1)
                if runs:
                    return runs[0].info.run_id
        except Exception as exc:  # noqa: BLE001 - the store may be busy or down: keep trying
            log.debug("waiting for the pipeline's MLflow run: %s", exc)
        time.sleep(0.5)
    return None


def _run_options(job: dict[str, Any], spec):
    """How to run the job: a scheduled job in ``mlops-jobs/job-ID``; a run started from
    the Pipelines section in ``mlops-runs/<its run id>`` with its own options."""
    from ..pipelines.runner import RunOptions

    overrides = _overrides(job, spec)
    if job.get("run_id"):
        chosen = job.get("options") or {}
        return RunOptions(force=bool(chosen.get("force")), only=list(chosen.get("only") or []),
                          from_step=chosen.get("from_step"), run_id=job["run_id"],
                          overrides=overrides)
    return RunOptions(force=job["target_type"] == "notebook", run_id=f"job-{job['id']}",
                      overrides=overrides, scheduled=True)


def run_job(job_id: int, store: JobStore) -> str:
    """Run job ``job_id`` and record its outcome; returns the final status."""
    from ..exceptions import MLOpsError
    from ..pipelines.runner import run_pipeline
    from ..pipelines.spec import load_spec

    job = store.job(job_id)
    if job["target_type"] == "monitor":
        return _run_monitor(job_id, job, store)
    try:
        path = Path(job["target"])
        spec = load_spec(path) if job["target_type"] == "pipeline" else notebook_spec(path)
        options = _run_options(job, spec)
        run = run_pipeline(spec, options)
    except MLOpsError as exc:
        store.finish_job(job_id, FAILED, error=str(exc))
        return FAILED
    states = [run.steps[name] for name in run.selected]
    status = SUCCEEDED if run.ok else (
        TIMED_OUT if any(s.status == "TIMED_OUT" for s in states) else FAILED)
    failed = [s for s in states if s.status not in ("FINISHED", "CACHED")]
    error = None
    if failed:
        first = failed[0]
        detail = first.error or {}
        error = (f"step {first.name} {first.status}: {detail.get('ename', '')}: "
                 f"{detail.get('evalue', first.reason or '')}").strip()
    outputs = [str(spec.root / s.output_notebook) for s in states if s.output_notebook]
    store.update_job(job_id, run_dir=str(run.run_dir), outputs=outputs)
    store.finish_job(job_id, status, error=error, outputs=outputs,
                     mlflow_run_id=_mlflow_run_id(run.pipeline_key, spec.experiment, 30))
    return status


def _run_monitor(job_id: int, job: dict[str, Any], store: JobStore) -> str:
    """A scheduled drift check (alerts and retrains per the monitor file)."""
    from ..exceptions import MLOpsError
    from ..monitoring.checks import run_check
    from ..monitoring.spec import load_monitor

    try:
        result = run_check(load_monitor(job["target"]), source=f"schedule job {job_id}")
    except MLOpsError as exc:
        store.finish_job(job_id, FAILED, error=str(exc))
        return FAILED
    retrain = result.get("retrain") or {}
    failed = retrain.get("status") == "failed"
    store.finish_job(job_id, FAILED if failed else SUCCEEDED,
                     error=f"retrain failed: {retrain.get('reason')}" if failed else None,
                     mlflow_run_id=result["run_id"])
    return FAILED if failed else SUCCEEDED


def _die_with(parent: int) -> None:
    """Stop this job (and its step workers) when the scheduler that started it dies,
    so a crashed scheduler's jobs are really over when they are marked INTERRUPTED."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True, name="mlops-parent-watch").start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one scheduled job (internal).")
    parser.add_argument("job_id", type=int)
    parser.add_argument("--store", help="job store URL (default: config)")
    args = parser.parse_args(argv)
    _die_with(os.getppid())
    status = run_job(args.job_id, JobStore(args.store))
    return 0 if status == SUCCEEDED else 1


if __name__ == "__main__":
    sys.exit(main())
