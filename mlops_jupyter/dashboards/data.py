"""What the dashboards show, read from stored results only.

Models come from the registry (:mod:`mlops_jupyter.registry.listing` and
:mod:`~mlops_jupyter.registry.lineage`), drift from the monitoring runs written per
:mod:`mlops_jupyter.monitoring.records` (their metrics, tags and the small
``drift/result.json`` / ``drift/report.html`` artifacts), job health from the
pipeline runs and the scheduler's job store (:mod:`.job_health`). Nothing here
recomputes drift: a page view costs a few metadata queries, however many rows the
monitored data had.

Every function returns plain data (dicts, lists, numbers, epoch milliseconds) and
raises only :class:`~mlops_jupyter.exceptions.MLOpsError` subclasses for things a
reader should be told about (unknown model, store unavailable).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from .. import config, mlflow_errors
from ..exceptions import MLOpsError, NotFoundError
from ..monitoring import records
from ..monitoring.columns import drifted_first
from .job_health import pipeline_runs, scheduled_jobs

MAX_CHECKS = 500
MAX_RESULT_BYTES = 5_000_000
MAX_REPORT_BYTES = 30_000_000
DAY_MS = 86_400_000
DEFAULT_DRIFT_THRESHOLD = 0.5  # Evidently's DataDriftPreset default share
KEY_ALIASES = ("champion", "challenger")


def use_tracking_uri(uri: str | None) -> None:
    """Point this process at the store a dashboard was published for.

    Args:
        uri: The published ``tracking_uri`` parameter; empty keeps the configured
            store (``$MLFLOW_TRACKING_URI`` or the embedded default).
    """
    if uri:
        config.pin_tracking_uri(uri)  # never os.environ: see config.pin_tracking_uri


def _client():
    from ..tracking import store

    return store.client()


def now_ms() -> int:
    """The current time as epoch milliseconds (the unit MLflow uses)."""
    return int(time.time() * 1000)


# ----------------------------------------------------------------------- models
def model_overview(name: str) -> dict[str, Any]:
    """A model with its versions, alias holders and alias history.

    Returns:
        :func:`~mlops_jupyter.registry.listing.model_detail` plus ``holders``
        (``{alias: version entry}`` for every alias set).

    Raises:
        UsageError: malformed name; NotFoundError: no such model.
    """
    from ..registry import listing

    detail = listing.model_detail(name)
    by_number = {entry["version"]: entry for entry in detail["versions"]}
    detail["holders"] = {alias: by_number[str(version)]
                         for alias, version in sorted(detail["aliases"].items())
                         if str(version) in by_number}
    return detail


def published_models(folder: str | os.PathLike) -> list[str]:
    """Models with a dashboard published in ``folder``, sorted (the model selector).

    A dashboard offers only the models published next to it, not the whole registry:
    publishing is what makes a model visible to readers.
    """
    from .publish import list_dashboards

    try:
        return sorted({item["model"] for item in list_dashboards(folder)})
    except MLOpsError:
        return []


def version_lineage(name: str, version: str) -> dict[str, Any] | None:
    """Where ``name`` version ``version`` came from, condensed for a dashboard.

    Returns:
        ``{run, run_status, source, git, inputs, parameters, experiment_id,
        pipeline}`` or None when the version cannot be traced (deleted run).
    """
    from ..registry.lineage import lineage

    try:
        info = lineage(name, version)
    except NotFoundError:
        return None
    return summarize_lineage(info)


def summarize_lineage(info: dict[str, Any]) -> dict[str, Any]:
    """The few lines of a :func:`~mlops_jupyter.registry.lineage.lineage` result a
    stakeholder reads: which run, from which notebook or pipeline step, which commit."""
    run = info.get("run") or {}
    notebook, pipeline, git = info.get("notebook"), info.get("pipeline"), info.get("git")
    if pipeline:
        source = f"pipeline {pipeline.get('name') or '?'}, step {pipeline.get('step')}"
    elif notebook:
        cell = f", cell [{notebook['cell']}]" if notebook.get("cell") else ""
        source = f"notebook {notebook.get('path')}{cell}"
    else:
        source = None
    return {
        "run": run.get("name") or run.get("run_id"),
        "run_id": run.get("run_id"),
        "run_status": run.get("status"),
        "experiment_id": run.get("experiment_id"),
        "source": source,
        "pipeline": (pipeline or {}).get("name"),
        "git": None if not git else (
            f"{str(git.get('commit'))[:10]}"
            + (f" ({git['branch']})" if git.get("branch") else "")
            + (" with uncommitted changes" if git.get("dirty") else "")),
        "inputs": len(info.get("data") or {}),
        "upstream": [step.get("step") for step in info.get("upstream") or []],
        "parameters": dict(sorted((info.get("parameters") or {}).items())[:12]),
    }


# ------------------------------------------------------------------------ drift
def drift_checks(name: str, max_results: int = MAX_CHECKS) -> list[dict[str, Any]]:
    """The stored drift checks of a registered model, oldest first.

    Each check is :func:`mlops_jupyter.monitoring.records.summarize` of its run.

    Raises:
        UsageError: malformed name; NotFoundError: no such model.
    """
    from ..registry import common

    common.get_registered_model(name)  # validates the name; 404 when unknown
    with mlflow_errors.translated(f"cannot read the drift checks of {name!r}"):
        checks = records.search_checks(common.client(), name, max_results=max_results)
    return sorted(checks, key=lambda check: check["time"] or 0)


def filter_checks(checks: list[dict[str, Any]], *, days: int | None = None,
                  version: str | None = None, now: int | None = None
                  ) -> list[dict[str, Any]]:
    """Checks of the last ``days`` days (all when None) of one model ``version``
    (all when None), in the order given."""
    since = None if days is None else (now or now_ms()) - days * DAY_MS
    return [check for check in checks
            if (since is None or (check["time"] or 0) >= since)
            and (version is None or str(check.get("version")) == str(version))]


def _artifact_text(run_id: str, path: str, limit: int) -> str | None:
    """A run artifact as text; None when missing or larger than ``limit`` bytes."""
    from mlflow.exceptions import MlflowException

    client = _client()
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"  # no tqdm bar per file
    with tempfile.TemporaryDirectory(prefix="mlops-dashboard-") as folder:
        try:
            local = Path(client.download_artifacts(run_id, path, folder))
        except (MlflowException, OSError):
            return None
        if not local.is_file() or local.stat().st_size > limit:
            return None
        return local.read_text(encoding="utf-8", errors="replace")


def drift_result(run_id: str) -> dict[str, Any] | None:
    """The stored ``drift/result.json`` of a check run, or None."""
    text = _artifact_text(run_id, records.RESULT_ARTIFACT, MAX_RESULT_BYTES)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) and isinstance(value.get("columns"), dict) else None


def drift_report_html(run_id: str) -> str | None:
    """The stored Evidently report (``drift/report.html``) of a check run, or None."""
    return _artifact_text(run_id, records.REPORT_ARTIFACT, MAX_REPORT_BYTES)


def metric_column(column: str) -> str:
    """The name a column has inside the per-column metric keys of a check run."""
    return records.metric_key("drift_score", column).split("/", 1)[1]


def feature_rows(checks: list[dict[str, Any]], result: dict[str, Any] | None
                 ) -> list[dict[str, Any]]:
    """One row per checked column: the latest verdict and its score history.

    Args:
        checks: Check summaries, oldest first (the history of each column).
        result: The latest check's stored result (method, threshold and kind per
            column); without it the columns come from the latest check's metrics.

    Returns:
        Rows in :func:`~mlops_jupyter.monitoring.columns.drifted_first` order (drifted,
        then the other computed ones, then skipped; by name): ``column, kind, role,
        method, score_kind, score, threshold, drifted, status, reason, history`` where
        ``role`` is ``feature`` or ``prediction`` and ``history`` is
        ``[(time_ms, score, drifted), ...]`` oldest first.
    """
    latest = checks[-1] if checks else None
    if result is not None:
        columns = [dict(value, column=key) for key, value in result["columns"].items()
                   if isinstance(value, dict)]
    elif latest is not None:
        columns = [{"column": key, "score": score, "drifted": key in latest["drifted"],
                    "status": "computed"} for key, score in latest["column_scores"].items()]
    else:
        columns = []
    rows = []
    for column in columns:
        key = metric_column(column["column"])
        history = [(check["time"], check["column_scores"][key], key in check["drifted"])
                   for check in checks if key in check["column_scores"]]
        rows.append({
            "column": column["column"], "kind": column.get("kind"),
            "role": column.get("role") or "feature",
            "method": column.get("method_display") or column.get("method"),
            "score_kind": column.get("score_kind"), "score": column.get("score"),
            "threshold": column.get("threshold"), "drifted": column.get("drifted"),
            "status": column.get("status", "computed"), "reason": column.get("reason"),
            "history": history,
        })
    return drifted_first(rows)


def drift_threshold(result: dict[str, Any] | None) -> float:
    """The share of drifted columns at which the dataset counts as drifted."""
    try:
        return float((result or {}).get("drift_share", DEFAULT_DRIFT_THRESHOLD))
    except (TypeError, ValueError):
        return DEFAULT_DRIFT_THRESHOLD


def events(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Alerts and retrains of the checks, newest first: ``time, kind, text, status``."""
    found = []
    for check in checks:
        for alert in check.get("alerts") or []:
            if isinstance(alert, dict):
                found.append({"time": check["time"], "kind": "alert",
                              "version": check.get("version"),
                              "status": alert.get("kind") or "alert",
                              "text": str(alert.get("message") or alert.get("rule") or "")})
        retrain = check.get("retrain")
        if isinstance(retrain, dict):
            promoted = " and promoted" if retrain.get("promoted") else ""
            version = f" → v{retrain['version']}" if retrain.get("version") else ""
            found.append({"time": check["time"], "kind": "retrain",
                          "version": check.get("version"),
                          "status": str(retrain.get("status") or "?"),
                          "text": f"pipeline {retrain.get('pipeline') or '?'}{version}"
                                  f"{promoted}"
                                  + (f": {retrain['reason']}" if retrain.get("reason") else "")})
    return sorted(found, key=lambda event: event["time"] or 0, reverse=True)


# ----------------------------------------------------------------------- health
def model_health(name: str) -> dict[str, Any]:
    """Monitoring, pipeline and scheduler health of a model.

    Returns:
        ``{model, checks, events, pipeline, pipeline_runs, jobs, jobs_note}``: the
        drift checks (oldest first), their alerts and retrains, the pipeline that
        trained the champion (or the latest version), its runs and the scheduler
        jobs that ran it.

    Raises:
        UsageError: malformed name; NotFoundError: no such model.
    """
    overview = model_overview(name)
    checks = drift_checks(name)
    reference = overview["holders"].get("champion") or (
        overview["versions"][0] if overview["versions"] else None)
    trace = version_lineage(name, reference["version"]) if reference else None
    pipeline = (trace or {}).get("pipeline")
    runs = pipeline_runs(pipeline, (trace or {}).get("experiment_id")) if pipeline else []
    jobs = scheduled_jobs({run["run_id"] for run in runs}) if runs else \
        {"jobs": [], "note": None}
    return {"model": overview, "checks": checks, "events": events(checks),
            "pipeline": pipeline, "reference_version": reference and reference["version"],
            "pipeline_runs": runs, "jobs": jobs["jobs"], "jobs_note": jobs["note"]}


# ----------------------------------------------------------------------- source
class Source:
    """What a dashboard reads, answered from a prefetched payload when it holds the
    answer (see :mod:`.prefetch`), else from the store.

    Keys of the payload: ``overview:<model>``, ``latest_check:<model>``,
    ``lineage:<model>:<version>``, ``checks:<model>``, ``result:<run_id>``,
    ``report:<run_id>``, ``health:<model>``.
    """

    def __init__(self, payload: dict[str, Any] | None = None, *, record: bool = False):
        self.payload = dict(payload or {})
        self._record = record
        self._cache: dict[str, Any] = {}

    def _get(self, key: str, compute):
        if key in self.payload:
            return self.payload[key]
        if key not in self._cache:
            self._cache[key] = compute()
            if self._record:
                self.payload[key] = self._cache[key]
        return self._cache[key]

    def overview(self, name: str) -> dict[str, Any]:
        """:func:`model_overview`."""
        return self._get(f"overview:{name}", lambda: model_overview(name))

    def names(self) -> list[str]:
        """:func:`published_models` of the kernel's folder (the dashboard's own)."""
        return self._get("names", lambda: published_models(Path.cwd()))

    def latest_check(self, name: str) -> dict[str, Any] | None:
        """The newest drift check of ``name``, or None."""
        def newest():
            checks = drift_checks(name, max_results=1)
            return checks[-1] if checks else None

        return self._get(f"latest_check:{name}", newest)

    def lineage(self, name: str, version: str) -> dict[str, Any] | None:
        """:func:`version_lineage`."""
        return self._get(f"lineage:{name}:{version}", lambda: version_lineage(name, version))

    def checks(self, name: str) -> list[dict[str, Any]]:
        """:func:`drift_checks`."""
        return self._get(f"checks:{name}", lambda: drift_checks(name))

    def result(self, run_id: str) -> dict[str, Any] | None:
        """:func:`drift_result`."""
        return self._get(f"result:{run_id}", lambda: drift_result(run_id))

    def report(self, run_id: str) -> str | None:
        """:func:`drift_report_html`."""
        return self._get(f"report:{run_id}", lambda: drift_report_html(run_id))

    def health(self, name: str) -> dict[str, Any]:
        """:func:`model_health`."""
        return self._get(f"health:{name}", lambda: model_health(name))
