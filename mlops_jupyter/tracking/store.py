"""Access to the MLflow tracking store: clients, experiments, error classification.

MLflow is imported lazily here so that loading the magics stays fast.
"""

from __future__ import annotations

import fcntl
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .. import config
from ..exceptions import (
    ConfigurationError,
    StoreRejectedError,
    StoreUnavailableError,
    UsageError,
)

if TYPE_CHECKING:  # pragma: no cover
    from mlflow import MlflowClient

MAX_EXPERIMENT_NAME_LENGTH = 500
_clients: dict[str, MlflowClient] = {}
_clients_lock = threading.Lock()

# MLflow error codes meaning "this request will never succeed as sent".
_PERMANENT_ERROR_CODES = {
    "INVALID_PARAMETER_VALUE",
    "INVALID_STATE",
    "BAD_REQUEST",
    "RESOURCE_DOES_NOT_EXIST",
    "PERMISSION_DENIED",
    "UNAUTHENTICATED",
    "FEATURE_DISABLED",
}


def validate_experiment_name(name: str) -> str:
    """Check an experiment name the way MLflow will, before anything is queued.

    Raises:
        UsageError: the name is empty, not a string or too long.
    """
    if not isinstance(name, str) or not name.strip():
        raise UsageError("experiment name must be a non-empty string")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise UsageError(
            f"experiment name is {len(name)} characters; MLflow allows {MAX_EXPERIMENT_NAME_LENGTH}"
        )
    if any(ord(ch) < 32 for ch in name):
        raise UsageError("experiment name must not contain control characters or newlines")
    return name.strip()


@contextmanager
def _sqlite_init_lock(uri: str):
    """Serialise the first open of a SQLite store (per MLflow version) across processes.

    Opening a fresh SQLite store creates and migrates its schema; several kernels
    doing that at the same moment race on ``CREATE TABLE``. Once a process has
    opened it with this MLflow version, a marker file lets the others skip the lock.
    """
    path = Path(uri[len("sqlite:///") :]) if uri.startswith("sqlite:///") else None
    if path is None:
        yield
        return
    from mlflow import __version__ as mlflow_version

    marker = path.with_name(path.name + ".ready")
    if path.exists() and _read(marker) == mlflow_version:
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path.with_name(path.name + ".lock"), "a")  # noqa: SIM115
    except OSError as exc:
        raise ConfigurationError(
            f"cannot create the folder of the SQLite tracking store: {exc.strerror}") from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
            marker.write_text(mlflow_version)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def client(uri: str | None = None) -> MlflowClient:
    """Return a cached :class:`mlflow.MlflowClient` for ``uri`` (default: config).

    The store behind it is opened eagerly so schema creation happens under the
    cross-process lock, not in the middle of a write.
    """
    uri = uri or config.tracking_uri()
    with _clients_lock:
        cached = _clients.get(uri)
        if cached is not None:
            return cached
        from mlflow import MlflowClient

        _quiet_store_logs()

        with _sqlite_init_lock(uri):
            try:
                new_client = MlflowClient(tracking_uri=uri)
                if uri.startswith("sqlite:"):
                    new_client._tracking_client.store  # noqa: B018 - opens + migrates
            except Exception as exc:
                raise _open_error(exc) from exc
        _clients[uri] = new_client
        return new_client


def _open_error(exc: Exception) -> Exception:
    # The URI stays out of the message: it may hold a path or credentials, and the
    # server returns this text to browsers. MLflow's own text may name the URI too.
    error = classify_error(exc, "cannot open the tracking store")
    if isinstance(error, StoreRejectedError):  # e.g. an unsupported URI scheme
        reason = "unsupported or malformed tracking URI" if "URI" in error.message \
            else error.message
        return ConfigurationError(f"cannot open the tracking store: {reason} "
                                  "(check MLFLOW_TRACKING_URI)")
    return error


def _quiet_store_logs() -> None:
    # Schema creation/migration logs at INFO from the writer thread would land in
    # whatever notebook cell happens to be running.
    import logging

    for name in ("mlflow.store.db.utils", "alembic", "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(logging.WARNING)


def get_or_create_experiment(name: str, uri: str | None = None) -> str:
    """Return the id of experiment ``name``, creating it if needed.

    Safe against other processes creating the same experiment at the same moment:
    MLflow's own get-then-create loses that race with "already exists".
    A deleted experiment of that name is restored, since the user asked for it.
    """
    from mlflow.exceptions import MlflowException

    uri = uri or config.tracking_uri()
    mlflow_client = client(uri)
    for _attempt in range(5):
        experiment = mlflow_client.get_experiment_by_name(name)
        if experiment is not None:
            if experiment.lifecycle_stage == "deleted":
                mlflow_client.restore_experiment(experiment.experiment_id)
            return experiment.experiment_id
        try:
            # Always explicit: without it MLflow puts a database store's artifacts
            # in ./mlruns under whatever folder this process runs in.
            return mlflow_client.create_experiment(
                name, artifact_location=config.experiment_artifact_location(
                    _safe_dir_name(name), uri))
        except MlflowException as exc:
            if "already exists" not in str(exc).lower() and exc.error_code not in (
                "RESOURCE_ALREADY_EXISTS",
            ):
                raise
            # Another process created it between our lookup and create: look again.
    raise StoreUnavailableError(f"could not create or find experiment {name!r}")


def ensure_registered_model(mlflow_client: MlflowClient, name: str) -> None:
    """Create registered model ``name`` unless it exists (racing creators are fine)."""
    from mlflow.exceptions import MlflowException

    try:
        mlflow_client.get_registered_model(name)
        return
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise classify_error(exc, f"cannot read model {name!r}") from None
    try:
        mlflow_client.create_registered_model(
            name, tags={"mlops.created_by": config.current_user()})
    except MlflowException as exc:
        # Another kernel registered the first version of the same name just now.
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise classify_error(exc, f"cannot create model {name!r}") from None


def _safe_dir_name(name: str) -> str:
    import hashlib
    import re

    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:60] or "experiment"
    return f"{slug}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def classify_error(exc: BaseException, context: str = "") -> Exception:
    """Map an exception from MLflow/SQLAlchemy/HTTP to our tree.

    Returns StoreRejectedError when retrying cannot help (bad value, permissions),
    StoreUnavailableError otherwise (connection refused, timeouts, locked database,
    server errors) so the writer keeps the event and retries later.
    """
    if isinstance(exc, (StoreRejectedError, StoreUnavailableError)):
        return exc
    prefix = f"{context}: " if context else ""
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    code = getattr(exc, "error_code", None)
    if code in _PERMANENT_ERROR_CODES:
        return StoreRejectedError(f"{prefix}{first_line}")
    if isinstance(exc, (TypeError, ValueError)) and code is None:
        return StoreRejectedError(f"{prefix}{first_line}")
    return StoreUnavailableError(f"{prefix}{first_line}")
