"""Drift checks written straight into MLflow per the monitoring records contract.

The dashboards read what :mod:`mlops_jupyter.monitoring.records` describes; the
seed writes exactly that with :class:`mlflow.MlflowClient` (tags, metrics and the
``drift/result.json`` / ``drift/report.html`` artifacts), so the dashboards are
tested against a real store without running a drift check.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

from mlops_jupyter.monitoring import records
from mlops_jupyter.tracking import store

DAY_MS = 86_400_000
REPORT_MARKER = "evidently-report-seeded"
# A report whose script tries to reach the page embedding it: in the sandboxed
# frame (scripts allowed, no same origin) ``parent.document`` throws.
REPORT_HTML = f"""<!doctype html><html><head><meta charset="utf-8">
<title>Data drift report</title></head><body style="font-family:sans-serif">
<h2 id="{REPORT_MARKER}">Data Drift Report</h2>
<p id="escape">sandboxed</p>
<script>
try {{ parent.document.body.setAttribute('data-pwned', 'yes');
       document.getElementById('escape').textContent = 'escaped'; }}
catch (e) {{ document.getElementById('escape').textContent = 'contained'; }}
</script></body></html>"""


@dataclass(frozen=True)
class SeededChecks:
    """What :func:`seed_checks` wrote."""

    run_ids: tuple[str, ...]  # oldest first
    columns: tuple[str, ...]
    drifted_latest: tuple[str, ...]
    latest_rows: int


def _column_result(column: str, score: float, drifted: bool, rows: int, kind: str) -> dict:
    distance = kind == "numerical"
    return {"column": column, "kind": kind, "role": "feature", "status": "computed",
            "method": "wasserstein" if distance else "chisquare",
            "method_display": "Wasserstein distance (normed)" if distance else "chi-square p_value",
            "score_kind": "distance" if distance else "p_value", "score": score,
            "threshold": 0.1 if distance else 0.05, "drifted": drifted, "reason": None,
            "score_error_bound": 0.0, "uncertain": False, "reference_count": 50_000,
            "current_count": rows, "current_null": 0, "coerced": False}


def seed_checks(model: str, *, days: int = 30, columns: int = 8, version: str = "1",
                rows: int = 1_000_000, now_ms: int | None = None,
                report_html: str = REPORT_HTML, retrain_on_day: int | None = 3,
                failed_on_day: int | None = 12) -> SeededChecks:
    """Write one drift check a day for ``days`` days (the newest today).

    Columns ``f0..`` drift one by one in the last week; checks with dataset drift
    carry an alert; ``retrain_on_day`` days ago a retrain was started; the check of
    ``failed_on_day`` days ago FAILED. Every check stores a ``result.json``; the
    newest also the Evidently ``report.html``.
    """
    from mlflow.entities import Metric

    client = store.client()
    experiment_id = store.get_or_create_experiment(records.EXPERIMENT)
    now = now_ms or int(time.time() * 1000)
    names = tuple(f"f{index}" if index else "income (€)" for index in range(columns))
    run_ids, drifted_latest = [], ()
    for day in range(days - 1, -1, -1):
        start = now - day * DAY_MS - 60_000
        week = max(0, 7 - day)  # columns drifted: 0 until a week ago, then one more a day
        scores = {}
        for index, column in enumerate(names):
            wave = 0.02 + 0.015 * math.sin(day / 3 + index)
            drifted = index < week
            kind = "categorical" if index % 4 == 3 else "numerical"
            if kind == "numerical":
                score = 0.14 + 0.02 * index + 0.01 * week if drifted else wave
            else:
                score = 0.001 if drifted else 0.3 + wave
            scores[column] = (score, drifted, kind)
        drifted_names = [column for column, (_, drifted, _) in scores.items() if drifted]
        share = len(drifted_names) / columns
        dataset_drift = share >= 0.5
        alerts = [{"rule": "dataset_drift", "kind": "dataset_drift",
                   "message": f"{len(drifted_names)} of {columns} columns drifted"}] \
            if dataset_drift else []
        tags = {
            records.TAG_KIND: records.KIND, records.TAG_MODEL: model,
            records.TAG_VERSION: version, records.TAG_ALIAS: "champion",
            records.TAG_DATASET_DRIFT: "true" if dataset_drift else "false",
            records.TAG_ALERTS: json.dumps(alerts),
            records.TAG_CURRENT: f"scoring-{day:02d}.parquet",
            records.TAG_FINGERPRINT: f"sha256:{day:064x}",
        }
        if retrain_on_day is not None and day == retrain_on_day:
            tags[records.TAG_RETRAIN] = json.dumps({
                "status": "started", "pipeline": "train-churn", "pipeline_run_id": "r1",
                "version": None, "promoted": False, "reason": "dataset drift"})
        run = client.create_run(experiment_id, start_time=start, tags=tags,
                                run_name=f"drift {model} day-{day}")
        metrics = {"drift_share": share, "dataset_drift": float(dataset_drift),
                   "drifted_columns": float(len(drifted_names)),
                   "checked_columns": float(columns), "current_rows": float(rows),
                   "alerts": float(len(alerts))}
        for column, (score, drifted, _) in scores.items():
            metrics[records.metric_key("drift_score", column)] = score
            metrics[records.metric_key("drifted", column)] = float(drifted)
        client.log_batch(run.info.run_id,
                         metrics=[Metric(key, value, start, 0) for key, value in metrics.items()])
        result = {
            "dataset_drift": dataset_drift, "drift_share": 0.5, "number_of_columns": columns,
            "number_of_drifted_columns": len(drifted_names),
            "share_of_drifted_columns": share,
            "columns": {column: _column_result(column, score, drifted, rows, kind)
                        for column, (score, drifted, kind) in scores.items()},
            "prediction": None, "skipped_columns": {}, "ignored_columns": [],
            "excluded_columns": {}, "coerced_columns": [], "reference_rows": 50_000,
            "current_rows": rows, "profile_format_version": 1,
            "method_rules": "evidently-0.7", "meta": {"model": model, "version": version}}
        client.log_text(run.info.run_id, json.dumps(result), records.RESULT_ARTIFACT)
        if day == 0:
            client.log_text(run.info.run_id, report_html, records.REPORT_ARTIFACT)
            drifted_latest = tuple(drifted_names)
        status = "FAILED" if failed_on_day is not None and day == failed_on_day else "FINISHED"
        client.set_terminated(run.info.run_id, status, end_time=start + 4000)
        run_ids.append(run.info.run_id)
    return SeededChecks(run_ids=tuple(run_ids), columns=names,
                        drifted_latest=drifted_latest, latest_rows=rows)
