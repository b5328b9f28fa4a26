"""Job health of a pipeline: its MLflow runs and the scheduler jobs that ran it.

Read for the health dashboard (:func:`~.data.model_health`) from the pipeline runs'
tags and the scheduler's job store; a missing store or experiment yields empty
answers with a note, never an error, so a model without a pipeline still renders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import config
from ..exceptions import MLOpsError


def _client():
    from ..tracking import store

    return store.client()


def pipeline_runs(name: str, experiment_id: str | None, max_results: int = 200
                  ) -> list[dict[str, Any]]:
    """Runs of pipeline ``name`` (newest first): ``run_id, time, end, status, trigger,
    duration_s``; [] when the pipeline or its experiment is unknown."""
    from mlflow.exceptions import MlflowException

    if not name or not experiment_id:
        return []
    safe = str(name).replace("'", "").replace("\\", "")
    try:
        runs = _client().search_runs(
            [str(experiment_id)],
            filter_string=f"tags.`mlops.kind` = 'pipeline' AND "
                          f"tags.`mlops.pipeline.name` = '{safe}'",
            order_by=["attributes.start_time DESC"], max_results=max_results)
    except MlflowException:
        return []
    return [{"run_id": run.info.run_id, "time": run.info.start_time, "end": run.info.end_time,
             "status": run.info.status,
             "trigger": run.data.tags.get("mlops.pipeline.trigger") or "manual",
             "duration_s": (run.info.end_time - run.info.start_time) / 1000
             if run.info.end_time and run.info.start_time else None} for run in runs]


def _job_store_exists() -> bool:
    url = config.job_db_url()
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):]).is_file()
    return True


def scheduled_jobs(pipeline_run_ids: set[str], limit: int = 300) -> dict[str, Any]:
    """Scheduler jobs of the schedules that ran this pipeline.

    A schedule belongs to the pipeline when one of its jobs produced one of
    ``pipeline_run_ids``; all of that schedule's jobs are returned (failed ones
    often have no run). ``{"jobs": [...], "note": str | None}``, newest first.
    """
    if not _job_store_exists():
        return {"jobs": [], "note": "no scheduler job store yet"}
    from ..scheduling.store import JobStore

    try:
        store = JobStore()
        try:
            # Runs started from the Pipelines section are jobs too, of no schedule.
            jobs = [job for job in store.jobs(limit=limit) if job["schedule"] is not None]
        finally:
            store.close()
    except MLOpsError as exc:
        return {"jobs": [], "note": f"job store unavailable: {exc.message}"}
    schedules = {job["schedule"] for job in jobs if job.get("mlflow_run_id") in pipeline_run_ids}
    return {"jobs": [job for job in jobs if job["schedule"] in schedules], "note": None}
