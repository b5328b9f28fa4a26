"""Monitoring as one service object with typed replies
(:mod:`mlops_jupyter.monitoring.contracts`), over :mod:`.overview`.

Reads stored drift checks (overview, one model's history, a check's Evidently report)
and starts a check now: as a job of the model's ``monitor.yaml`` schedule, in a job
process of its own (the check may load the model; the server never does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import names
from ..exceptions import ConflictError, NotFoundError, UsageError
from .contracts import CheckStarted, DriftHistory, DriftPoint, MonitoringOverview

#: At most this many checks in one history reply.
MAX_HISTORY = 500
#: An Evidently report larger than this is not served (it is kept on the run).
MAX_REPORT_BYTES = 50 * 1024 * 1024


class MonitoringService:
    """Access to the drift checks of the configured tracking store.

    Args:
        host: the server's :class:`~mlops_jupyter.scheduling.host.SchedulerHost`; its
            job runner starts "check now" jobs. None: checks cannot be started here.
    """

    def __init__(self, host: Any = None) -> None:
        self._host = host

    def overview(self) -> MonitoringOverview:
        """Every monitored model's latest verdict, drift history, alerts and retrains."""
        from .overview import overview

        return MonitoringOverview(models=overview())

    def history(self, model: str, limit: int) -> DriftHistory:
        """The newest ``limit`` checks of ``model``, oldest first.

        Raises:
            UsageError: bad model name or limit out of 1..:data:`MAX_HISTORY`.
            NotFoundError: the model has no drift checks.
        """
        from .. import mlflow_errors
        from ..registry import common
        from . import records

        names.check_model_name(model)
        if not 1 <= limit <= MAX_HISTORY:
            raise UsageError(f"limit must be between 1 and {MAX_HISTORY}")
        with mlflow_errors.translated("cannot read the drift checks"):
            checks = records.search_checks(common.client(), model, max_results=limit)
        if not checks:
            raise NotFoundError(f"model {model!r} has no drift checks yet")
        points = [DriftPoint.model_validate({
            key: check[key] for key in ("time", "drift_share", "threshold", "dataset_drift",
                                        "version", "run_id")}) for check in reversed(checks)]
        return DriftHistory(model=model, checks=points)

    def report_html(self, run_id: str) -> str:
        """The Evidently report HTML stored on drift check ``run_id``.

        Raises:
            UsageError: malformed run id.
            NotFoundError: no such drift check, or it kept no report.
        """
        import tempfile

        from .. import mlflow_errors
        from ..registry import common
        from . import records

        if not isinstance(run_id, str) or not run_id.isalnum() or len(run_id) > 64:
            raise UsageError("the check's run id takes letters and digits (at most 64)")
        client = common.client()
        try:
            run = client.get_run(run_id)
        except Exception as exc:  # noqa: BLE001 - mapped to one line below
            if "not found" in str(exc).lower() or "RESOURCE_DOES_NOT_EXIST" in str(exc):
                raise NotFoundError(f"no drift check {run_id}") from None
            raise mlflow_errors.to_error(exc, "cannot read the drift check") from None
        if run.data.tags.get(records.TAG_KIND) != records.KIND:
            raise NotFoundError(f"run {run_id} is not a drift check")
        with tempfile.TemporaryDirectory(prefix="mlops-report-") as folder:
            try:
                local = client.download_artifacts(run_id, records.REPORT_ARTIFACT, folder)
            except Exception:  # noqa: BLE001 - a check run without --report
                raise NotFoundError(f"drift check {run_id} kept no Evidently report") from None
            path = Path(local)
            if path.stat().st_size > MAX_REPORT_BYTES:
                raise UsageError("the report is too large to show here; open it in the "
                                 "MLflow UI")
            return path.read_text(encoding="utf-8", errors="replace")

    def check_now(self, model: str):
        """Start the drift check of ``model``'s ``monitor.yaml`` schedule now, as a job.

        Returns:
            :class:`CheckStarted` with the job id to follow (``GET jobs/{id}``).

        Raises:
            UsageError: bad model name; NotFoundError: no monitor schedule checks it;
            ConflictError: its previous job still runs, or no job runner here.
        """
        names.check_model_name(model)
        if self._host is None:
            raise ConflictError("drift checks cannot be started from this server")
        schedule = self._monitor_schedule(model)
        runner = self._host.job_runner()
        running = runner.store.active_job(schedule["id"])
        if running is not None:
            raise ConflictError(f"a check of {model!r} is already {running['status']} "
                                f"(job {running['id']}); wait for it")
        job = runner.store.create_job(schedule, "manual", runner.id)
        job = runner.launch(job)
        return CheckStarted(model=model, schedule=schedule["name"], job_id=job["id"],
                            status=job["status"], error=job.get("error"))

    def _monitor_schedule(self, model: str) -> dict[str, Any]:
        from ..exceptions import MLOpsError
        from .spec import load_monitor

        for schedule in self._host.store.schedules():
            if schedule.get("target_type") != "monitor":
                continue
            try:
                spec = load_monitor(schedule["target"])
            except MLOpsError:
                continue  # a broken monitor file is the Schedules section's message
            if _model_name(spec.model) == model:
                return schedule
        raise NotFoundError(
            f"no schedule runs a monitor.yaml for model {model!r}; add one in the "
            "Schedules section (target: the monitor.yaml file)")


def _model_name(reference: str) -> str:
    """``MODEL`` of ``MODEL``, ``MODEL@ALIAS`` or ``MODEL/VERSION``."""
    return str(reference).split("@", 1)[0].split("/", 1)[0]
