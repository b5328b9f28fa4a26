"""mlops-jupyter never changes process-global tracking state (issue 11, item 1)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import mlops_jupyter
from mlops_jupyter import config

PACKAGE = Path(mlops_jupyter.__file__).parent
# MLflow's global URI setters, and any write of MLFLOW_TRACKING_URI to the environment.
FORBIDDEN = re.compile(r"set_tracking_uri\(|set_registry_uri\(|_use_tracking_uri|"
                       r"environ\[[^\]]*TRACKING_URI[^\]]*\]\s*=|"
                       r"environ\.(setdefault|update)\([^)]*TRACKING_URI")


def test_no_module_touches_the_global_tracking_uri():
    offenders = [f"{path.relative_to(PACKAGE)}:{number}"
                 for path in sorted(PACKAGE.rglob("*.py"))
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if FORBIDDEN.search(line)]
    assert offenders == []


def test_a_dashboard_kernel_pins_its_store_without_touching_the_environment(mlops_home):
    from mlops_jupyter.dashboards import data

    before = dict(os.environ)
    try:
        data.use_tracking_uri("sqlite:////srv/published/mlflow.db")
        assert config.tracking_uri() == "sqlite:////srv/published/mlflow.db"
        assert dict(os.environ) == before
    finally:
        config.pin_tracking_uri(None)
    assert config.tracking_uri() == before[config.TRACKING_URI_ENV]
