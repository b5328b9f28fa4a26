"""Every REST handler of mlops-jupyter and its URL pattern: the one list the app
registers (under ``/mlops-jupyter``) and the OpenAPI document describes."""

from __future__ import annotations

from . import (
    activity,
    dashboards,
    deployments,
    experiments,
    models,
    monitoring,
    pipelines,
    run_comparison,
    runs,
    schedules,
)

URL_NAMESPACE = "mlops-jupyter"
#: Every resource module, in the order its handlers are registered.
#: run_comparison comes before runs: its runs/compare and runs/diff are not run ids.
RESOURCES = (experiments, run_comparison, pipelines, schedules, models, monitoring, dashboards,
             deployments, runs, activity)


def api_handlers() -> list[tuple[str, type]]:
    """``(pattern, handler)`` of every REST handler, patterns relative to
    ``/mlops-jupyter`` (the OpenAPI document's own handler excepted)."""
    return [(pattern, handler) for module in RESOURCES for pattern, handler in module.handlers]
