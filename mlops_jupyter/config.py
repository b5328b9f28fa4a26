"""The one place that resolves where mlops-jupyter keeps its state.

Magics, the server extension, the CLI and the scheduler all call these functions,
so they always agree on the tracking store and the home directory.

* Home directory: ``$MLOPS_JUPYTER_HOME`` when set, else ``~/.mlops-jupyter``.
* Tracking store: ``$MLFLOW_TRACKING_URI`` when set, else the embedded default,
  ``sqlite:///<home>/mlflow.db``.
* Default artifact root (where the experiments mlops-jupyter creates keep their
  artifacts, and the only place models are ever loaded from): ``$MLOPS_ARTIFACT_ROOT``
  when set; for a tracking server (``http(s)://``) its own ``mlflow-artifacts:``
  store; for a database store (SQLite, PostgreSQL, ...) ``<home>/artifacts``.
* Tracking spool (events not yet written to the store): ``<home>/spool``.
* Scheduler job store: ``$MLOPS_JOB_DB_URL`` else ``sqlite:///<home>/jobs.db``.
* Inference log of the serving endpoints: ``$MLOPS_INFERENCE_LOG_URL`` (any URL fsspec
  understands) else ``<home>/inference``; running endpoints: ``<home>/serving``.
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


_pinned_tracking_uri: str | None = None


def pin_tracking_uri(uri: str | None) -> None:
    """Make :func:`tracking_uri` answer ``uri`` in this process (None: unpin).

    For a process that serves one store whatever its environment says (a dashboard
    kernel, given the store its dashboard was published for). Neither ``os.environ``
    nor MLflow's global tracking URI is touched: child processes and MLflow's fluent
    API keep seeing what they saw.
    """
    global _pinned_tracking_uri
    _pinned_tracking_uri = uri or None


def tracking_uri() -> str:
    """The MLflow tracking URI every part of mlops-jupyter uses."""
    return _pinned_tracking_uri or os.environ.get(TRACKING_URI_ENV) or default_tracking_uri()


def is_embedded_store(uri: str) -> bool:
    """True when ``uri`` is the embedded default store (not one the user configured)."""
    return uri == default_tracking_uri()


ARTIFACT_ROOT_ENV = "MLOPS_ARTIFACT_ROOT"
SERVER_ARTIFACT_ROOT = "mlflow-artifacts:/"


def is_tracking_server(uri: str) -> bool:
    """True when ``uri`` is an MLflow tracking server (it manages artifacts itself)."""
    return uri.lower().startswith(("http://", "https://"))


def artifact_root(uri: str | None = None) -> str:
    """The DEFAULT artifact root of the store ``uri`` (default: :func:`tracking_uri`).

    One answer for the whole package: experiments this project creates get their
    artifact location under it, and a model version is loaded only when its files
    resolve inside it (never inside an artifact location some experiment chose).

    * ``$MLOPS_ARTIFACT_ROOT`` when set (a ``file://`` URI or an absolute path,
      or any URI MLflow can write to);
    * a tracking server: ``mlflow-artifacts:/``, the artifact store it serves;
    * a database store: ``<home>/artifacts`` as a ``file://`` URI. MLflow's own
      default there is ``./mlruns`` under whatever folder the process runs in.

    Raises:
        ConfigurationError: a local root cannot be created or written to.
    """
    configured = (os.environ.get(ARTIFACT_ROOT_ENV) or "").strip()
    if configured:
        if configured.startswith("/"):
            configured = Path(configured).absolute().as_uri()
        if configured.startswith("file:"):
            from urllib.parse import unquote, urlparse

            local = Path(unquote(urlparse(configured).path))
            _ensure_writable_dir(local, f"artifact directory (set by {ARTIFACT_ROOT_ENV})")
        return configured.rstrip("/") if configured != SERVER_ARTIFACT_ROOT else configured
    if is_tracking_server(uri or tracking_uri()):
        return SERVER_ARTIFACT_ROOT
    root = home_dir() / "artifacts"
    _ensure_writable_dir(root, "artifact directory")
    return root.as_uri()


def experiment_artifact_location(slug: str, uri: str | None = None) -> str | None:
    """The artifact location for a new experiment (``slug``: a safe folder name).

    None for a tracking server without ``$MLOPS_ARTIFACT_ROOT``: the server puts the
    experiment under its ``mlflow-artifacts:`` root itself.
    """
    root = artifact_root(uri)
    if root == SERVER_ARTIFACT_ROOT:
        return None
    return f"{root}/{slug}"


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


INFERENCE_LOG_ENV = "MLOPS_INFERENCE_LOG_URL"
SERVE_TOKEN_ENV = "MLOPS_SERVE_TOKEN"


def inference_log_url() -> str:
    """Where endpoints append their inference and feedback logs: ``$MLOPS_INFERENCE_LOG_URL``
    (a local folder or any URL fsspec understands, e.g. ``s3://bucket/prefix``), else
    ``<home>/inference``."""
    configured = (os.environ.get(INFERENCE_LOG_ENV) or "").strip()
    return configured.rstrip("/") if configured else str(home_dir() / "inference")


def serving_dir() -> Path:
    """Directory where running endpoints describe themselves (``<home>/serving``)."""
    folder = home_dir() / "serving"
    _ensure_writable_dir(folder, "serving state directory")
    return folder


SCORING_TIMEOUT_ENV = "MLOPS_SCORING_TIMEOUT"
DEFAULT_SCORING_TIMEOUT = 300.0


def scoring_timeout() -> float:
    """Seconds the gate's scoring process may take (``$MLOPS_SCORING_TIMEOUT``, 300).

    Raises:
        ConfigurationError: not a positive number.
    """
    text = os.environ.get(SCORING_TIMEOUT_ENV) or ""
    if not text.strip():
        return DEFAULT_SCORING_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ConfigurationError(f"{SCORING_TIMEOUT_ENV} must be a positive number of seconds")
    return value


def current_user() -> str:
    """Who this process acts for, as recorded in registry tags and alias history."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return "unknown"
