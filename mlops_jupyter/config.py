"""The one place that resolves where mlops-jupyter keeps its state.

Magics, the server extension, the CLI and the scheduler all call these functions,
so they always agree on the tracking store and the home directory.

* Home directory: ``$MLOPS_JUPYTER_HOME`` when set, else ``~/.mlops-jupyter``.
* Tracking store: ``$MLFLOW_TRACKING_URI`` when set, else the embedded default,
  ``sqlite:///<home>/mlflow.db`` with artifacts under ``<home>/artifacts``.
* Tracking spool (events not yet written to the store): ``<home>/spool``.
* Scheduler job store: ``$MLOPS_JOB_DB_URL`` else ``sqlite:///<home>/jobs.db``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .exceptions import ConfigurationError

HOME_ENV = "MLOPS_JUPYTER_HOME"
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
DEFAULT_HOME = "~/.mlops-jupyter"


def home_dir(create: bool = True) -> Path:
    """Return the mlops-jupyter home directory, creating it when asked.

    Raises:
        ConfigurationError: the directory cannot be created or written to.
    """
    home = Path(os.environ.get(HOME_ENV) or DEFAULT_HOME).expanduser().absolute()
    if create:
        _ensure_writable_dir(home, f"mlops-jupyter home directory (set {HOME_ENV} to move it)")
    return home


def _ensure_writable_dir(path: Path, what: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot create the {what}: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigurationError(f"the {what} is not writable")


def default_tracking_uri() -> str:
    """The embedded store: one SQLite MLflow database in the home directory."""
    return f"sqlite:///{home_dir() / 'mlflow.db'}"


def tracking_uri() -> str:
    """The MLflow tracking URI every part of mlops-jupyter uses."""
    return os.environ.get(TRACKING_URI_ENV) or default_tracking_uri()


def is_embedded_store(uri: str) -> bool:
    """True when ``uri`` is the embedded default store (not one the user configured)."""
    return uri == default_tracking_uri()


def artifact_root() -> str:
    """Where the embedded store keeps artifacts, as a ``file://`` URI.

    MLflow's own default for a SQLite store is ``./mlruns`` relative to the working
    directory, which scatters artifacts wherever a kernel happens to start.
    """
    root = home_dir() / "artifacts"
    _ensure_writable_dir(root, "artifact directory")
    return root.as_uri()


def spool_dir() -> Path:
    """Directory holding tracking events that are not yet written to the store."""
    spool = home_dir() / "spool"
    _ensure_writable_dir(spool, "tracking spool directory")
    return spool


JOB_DB_ENV = "MLOPS_JOB_DB_URL"


def job_db_url() -> str:
    """The scheduler's job store: ``$MLOPS_JOB_DB_URL`` (any SQLAlchemy URL, e.g.
    PostgreSQL for a team) or ``sqlite:///<home>/jobs.db``."""
    return os.environ.get(JOB_DB_ENV) or f"sqlite:///{home_dir() / 'jobs.db'}"
