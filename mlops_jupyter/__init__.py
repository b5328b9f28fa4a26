"""mlops-jupyter: notebook-native MLOps for JupyterLab on MLflow.

Only the version, the IPython/Jupyter entry points and the re-export of the
notebook-facing functions (:mod:`mlops_jupyter.api`) live here; everything heavy
(mlflow, pandas, evidently) is imported lazily elsewhere so ``%load_ext
mlops_jupyter`` stays fast.
"""

from __future__ import annotations

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - running from a source tree without a build
    __version__ = "0.0.0.dev0"

from .api import (
    check_drift,
    load_model,
    log_metric,
    log_param,
    promote,
    register_model,
    run_pipeline,
)

__all__ = ["__version__", "check_drift", "load_ipython_extension", "load_model", "log_metric",
           "log_param", "promote", "register_model", "run_pipeline",
           "unload_ipython_extension"]


def load_ipython_extension(ipython) -> None:
    """``%load_ext mlops_jupyter``: register the ``%mlops`` / ``%%mlops`` magics."""
    from .magics import register

    register(ipython)


def unload_ipython_extension(ipython) -> None:
    """``%unload_ext mlops_jupyter``: stop tracking and flush pending events."""
    from .magics import unregister

    unregister(ipython)


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "mlops-jupyter"}]


def _jupyter_server_extension_points():
    from .server.app import MLOpsExtensionApp

    return [{"module": "mlops_jupyter", "app": MLOpsExtensionApp}]
