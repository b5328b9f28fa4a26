"""Per-model monitoring state for the sidebar: latest verdict, history, alerts, retrains."""

from __future__ import annotations

from typing import Any

from .. import mlflow_errors
from . import records

HISTORY = 50


def overview(max_checks: int = 1000) -> list[dict[str, Any]]:
    """Every monitored model (newest check first per model), sorted by name.

    Each: ``{model, latest, history, alerts, retrains}`` where ``history`` is the
    oldest-first ``[{time, drift_share, dataset_drift, version, run_id}]`` of the
    last :data:`HISTORY` checks, ``alerts`` the fired alerts (newest first, with the
    check's time and run id) and ``retrains`` the retrains they started or skipped.
    """
    from ..registry import common

    client = common.client()
    with mlflow_errors.translated("cannot read the drift checks"):
        checks = records.search_checks(client, max_results=max_checks)
    by_model: dict[str, list[dict[str, Any]]] = {}
    for check in checks:
        if check["model"]:
            by_model.setdefault(check["model"], []).append(check)
    return [_model(name, items) for name, items in sorted(by_model.items())]


def _model(name: str, checks: list[dict[str, Any]]) -> dict[str, Any]:
    recent = checks[:HISTORY]
    alerts = [{**alert, "time": check["time"], "run_id": check["run_id"],
               "version": check["version"]}
              for check in recent for alert in check["alerts"]]
    retrains = [{**check["retrain"], "time": check["time"], "run_id": check["run_id"]}
                for check in recent if check["retrain"]]
    history = [{key: check[key] for key in ("time", "drift_share", "threshold",
                                            "dataset_drift", "version", "run_id")}
               for check in reversed(recent)]
    return {"model": name, "latest": checks[0], "history": history, "alerts": alerts[:20],
            "retrains": retrains[:20], "checks": len(checks)}
