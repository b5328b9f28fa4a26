"""How drift checks are stored in MLflow, and reading them back.

One drift check = one run of the :data:`EXPERIMENT` experiment. Writers
(:mod:`.checks`) and readers (the sidebar, the dashboards) share these names; the
dashboards never recompute drift, they read what is here.

Run tags
    ``mlops.kind`` = ``drift_check``; ``mlops.monitor.model`` / ``.version`` /
    ``.alias`` (the alias the check was asked for, may be empty);
    ``mlops.monitor.dataset_drift`` = ``true``/``false``/``unknown``;
    ``mlops.monitor.alerts`` = JSON list of fired alerts ``{rule, kind, message}``;
    ``mlops.monitor.retrain`` = JSON ``{status, pipeline, pipeline_run_id,
    version, promoted, reason}`` when the check started (or skipped) a retrain;
    ``mlops.monitor.reference`` = the reference data's file name (or ``DataFrame``)
    when two datasets were compared without a model (then there are no model tags);
    ``mlops.monitor.current`` = the current data's file name (or ``DataFrame``) and
    ``mlops.monitor.fingerprint`` its content hash; ``mlops.monitor.drifted`` = JSON
    list of the drifted columns' names (metric names cannot hold every character);
    ``mlops.monitor.report`` = ``true`` when the check kept Evidently's report.
Metrics
    ``drift_share`` (share of drifted columns), ``drift_share_threshold`` (the share
    from which the dataset counts as drifted), ``dataset_drift`` (0/1),
    ``drifted_columns``, ``checked_columns``, ``current_rows``, ``alerts``;
    per column ``drift_score/<column>`` and ``drifted/<column>`` (0/1);
    ``prediction_drift_score`` when a prediction column was checked.
Artifacts
    ``drift/result.json`` (the full :class:`~.drift.DriftResult` plus ``meta``) and
    ``drift/report.html`` (Evidently's report on a bounded sample).
"""

from __future__ import annotations

import json
import re
from typing import Any

EXPERIMENT = "mlops-monitoring"
KIND = "drift_check"
TAG_KIND = "mlops.kind"
TAG_MODEL = "mlops.monitor.model"
TAG_VERSION = "mlops.monitor.version"
TAG_ALIAS = "mlops.monitor.alias"
TAG_DATASET_DRIFT = "mlops.monitor.dataset_drift"
TAG_ALERTS = "mlops.monitor.alerts"
TAG_RETRAIN = "mlops.monitor.retrain"
TAG_CURRENT = "mlops.monitor.current"
TAG_REFERENCE = "mlops.monitor.reference"
TAG_FINGERPRINT = "mlops.monitor.fingerprint"
TAG_DRIFTED = "mlops.monitor.drifted"
TAG_REPORT = "mlops.monitor.report"
RESULT_ARTIFACT = "drift/result.json"
REPORT_ARTIFACT = "drift/report.html"
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /]")


def metric_key(prefix: str, column: str) -> str:
    """``prefix/column`` with characters MLflow refuses in metric names replaced."""
    return f"{prefix}/{_UNSAFE.sub('_', str(column))}"[:250]


def _json(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def summarize(run) -> dict[str, Any]:
    """One check run as plain data: time, model version, verdict, alerts, retrain."""
    tags, metrics = dict(run.data.tags), dict(run.data.metrics)
    verdict = tags.get(TAG_DATASET_DRIFT, "unknown")
    return {
        "run_id": run.info.run_id,
        "time": run.info.start_time,
        "model": tags.get(TAG_MODEL),
        "version": tags.get(TAG_VERSION),
        "alias": tags.get(TAG_ALIAS) or None,
        "dataset_drift": None if verdict == "unknown" else verdict == "true",
        "drift_share": metrics.get("drift_share"),
        "threshold": metrics.get("drift_share_threshold"),
        "drifted_columns": int(metrics.get("drifted_columns", 0)),
        "checked_columns": int(metrics.get("checked_columns", 0)),
        "current_rows": int(metrics.get("current_rows", 0)),
        "column_scores": {key.split("/", 1)[1]: value for key, value in metrics.items()
                          if key.startswith("drift_score/")},
        "drifted": _json(tags.get(TAG_DRIFTED), None) or sorted(
            key.split("/", 1)[1] for key, value in metrics.items()
            if key.startswith("drifted/") and value >= 1),
        "alerts": _json(tags.get(TAG_ALERTS), []),
        "retrain": _json(tags.get(TAG_RETRAIN), None),
        "current": tags.get(TAG_CURRENT),
        "report": tags.get(TAG_REPORT) == "true",
        "reference": tags.get(TAG_REFERENCE),
        "status": run.info.status,
    }


def search_checks(client, model: str | None = None, *, max_results: int = 200) -> list[dict]:
    """Checks, newest first (of one model when given); [] when none were run."""
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        return []
    query = f"tags.`{TAG_KIND}` = '{KIND}'"
    if model is not None:
        query += f" AND tags.`{TAG_MODEL}` = '{model.replace(chr(39), '')}'"
    runs = client.search_runs([experiment.experiment_id], filter_string=query,
                              order_by=["attributes.start_time DESC"],
                              max_results=max_results)
    return [summarize(run) for run in runs]
