"""Access to the MLflow tracking store: clients (one per URI) and experiments.

MLflow is imported lazily here so that loading the magics stays fast.
"""

from __future__ import annotations

import fcntl
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .. import config, mlflow_errors
from ..exceptions import ConfigurationError, StoreRejectedError, StoreUnavailableError

if TYPE_CHECKING:  # pragma: no cover
    from mlflow import MlflowClient

_clients: dict[str, MlflowClient] = {}
_clients_lock = threading.Lock()


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
    """Return the cached :class:`mlflow.MlflowClient` for ``uri`` (default: config).

    Clients are cached per URI, so pointing the process at another store (another
    ``MLFLOW_TRACKING_URI``) needs no reset. The store behind a new client is opened
    eagerly so schema creation happens under the cross-process lock, not in the
    middle of a write.
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


def forget_clients() -> None:
    """Drop every cached client, so the next :func:`client` call opens the store anew.

    For whoever replaces a store's database under the same URI (test fixtures
    copying a prepared store into place); the code itself never needs it.
    """
    with _clients_lock:
        _clients.clear()


def _open_error(exc: Exception) -> Exception:
    # The URI stays out of the message: it may hold a path or credentials, and the
    # server returns this text to browsers. MLflow's own text may name the URI too.
    error = mlflow_errors.to_error(exc, "cannot open the tracking store")
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
            if not mlflow_errors.is_already_exists(exc):
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
        if not mlflow_errors.is_not_found(exc):
            raise mlflow_errors.to_error(exc, f"cannot read model {name!r}") from None
    try:
        mlflow_client.create_registered_model(
            name, tags={"mlops.created_by": config.current_user()})
    except MlflowException as exc:
        # Another kernel registered the first version of the same name just now.
        if not mlflow_errors.is_already_exists(exc):
            raise mlflow_errors.to_error(exc, f"cannot create model {name!r}") from None


def _safe_dir_name(name: str) -> str:
    import hashlib
    import re

    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:60] or "experiment"
    return f"{slug}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"


