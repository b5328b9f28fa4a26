"""Tracking status: which store, does it answer, what do live sessions still hold.

* The store is shown without credentials (``user:pass@`` → ``***@``), query string
  or absolute folder.
* Reachability is probed at most every :data:`PROBE_TTL_S` seconds, on a thread of
  its own, waited for at most :data:`PROBE_TIMEOUT_S` seconds: a status request never
  hangs on a dead store (MLflow's own client retries for minutes).
* Sessions come from their heartbeat files (:mod:`mlops_jupyter.tracking.heartbeat`);
  pending events, the session's run id and the last store error are read from the
  session's spool journal, so they are as fresh as the flusher's acknowledgements.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .. import config, names
from ..processes import pid_alive
from ..tracking import heartbeat, spool
from .contracts import MlflowUi, SessionStatus, TrackingStatus

PROBE_TTL_S = 5.0
PROBE_TIMEOUT_S = 2.0
_ERROR_CHARS = 300


def store_kind(uri: str) -> str:
    """``sqlite``, ``file``, ``http``, ``https``, ``postgresql``, ... (the scheme
    without a driver: ``postgresql+psycopg`` → ``postgresql``)."""
    scheme = urlsplit(uri).scheme.lower() if ":" in uri else ""
    if not scheme or len(scheme) == 1:  # a bare path (or a Windows drive), or a word
        word = uri.strip().lower()
        return word[:32] if word.isalnum() else "file"
    return scheme.split("+", 1)[0]


def without_credentials(uri: str) -> str:
    """``uri`` with any ``user:password@`` replaced by ``***@`` and the query string
    and fragment dropped (both may carry secrets)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "(unparseable URI)"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def display_store(uri: str) -> str:
    """The store for people: credentials hidden, a local database by file name only
    (``sqlite:///…/mlflow.db``; no absolute folder reaches a browser)."""
    kind = store_kind(uri)
    if kind in ("sqlite", "file"):
        path = uri.split("://", 1)[1] if "://" in uri else uri
        name = Path(path.split("?", 1)[0]).name or path
        return f"{kind}:///…/{name}" if kind == "sqlite" else f"file:…/{name}"
    return without_credentials(uri)


def one_line(text: Any) -> str | None:
    """``text`` as one bounded line without credentials; None for empty."""
    if text is None:
        return None
    line = " ".join(str(text).split())
    line = re.sub(r"://[^/\s:@]+:[^/\s@]+@", "://***@", line)
    if not line:
        return None
    return line if len(line) <= _ERROR_CHARS else line[:_ERROR_CHARS - 1] + "…"


class _Probe:
    """The last reachability answer for one URI, refreshed on a daemon thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked = 0.0
        self.reachable = True
        self.error: str | None = None
        self.thread: threading.Thread | None = None


class StoreProbe:
    """Cheap, bounded reachability of tracking stores (one cache per URI)."""

    def __init__(self, ttl: float = PROBE_TTL_S, timeout: float = PROBE_TIMEOUT_S):
        self.ttl, self.timeout = ttl, timeout
        self._probes: dict[str, _Probe] = {}
        self._lock = threading.Lock()

    def check(self, uri: str) -> tuple[bool, str | None]:
        """``(reachable, error)`` of ``uri``: cached for ``ttl`` s; a fresh probe is
        waited for at most ``timeout`` s (then: not reachable, "did not answer")."""
        with self._lock:
            probe = self._probes.setdefault(uri, _Probe())
        with probe.lock:
            fresh = time.monotonic() - probe.checked < self.ttl
            if fresh or (probe.thread is not None and probe.thread.is_alive()):
                thread = probe.thread if not fresh else None
            else:
                thread = threading.Thread(target=self._run, args=(uri, probe),
                                          name="mlops-store-probe", daemon=True)
                probe.thread = thread
                thread.start()
        if thread is not None:
            thread.join(self.timeout)
            if thread.is_alive():
                return False, f"the store did not answer within {self.timeout:g} s"
        return probe.reachable, probe.error

    @staticmethod
    def _run(uri: str, probe: _Probe) -> None:
        try:
            _probe_store(uri, PROBE_TIMEOUT_S)
            reachable, error = True, None
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            reachable, error = False, one_line(_short_error(exc)) or type(exc).__name__
        with probe.lock:
            probe.reachable, probe.error, probe.checked = reachable, error, time.monotonic()


def _short_error(exc: Exception) -> str:
    from ..exceptions import MLOpsError

    if isinstance(exc, MLOpsError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


def _probe_store(uri: str, timeout: float) -> None:
    """Raise when the store does not answer: ``/health`` of a tracking server (no
    credentials needed, none sent), one cheap query of a database store."""
    if config.is_tracking_server(uri):
        parts = urlsplit(without_credentials(uri))
        health = urlunsplit((parts.scheme, parts.netloc.removeprefix("***@"),
                             parts.path.rstrip("/") + "/health", "", ""))
        with urllib.request.urlopen(health, timeout=timeout) as answer:
            answer.read(64)
        return
    from ..tracking import store

    store.client(uri).search_experiments(max_results=1)


def _journal_counts(base: Path) -> int:
    """Events in journal ``base`` that the store has not acknowledged."""
    written = len(spool.read_lines(base.with_suffix(".events"))[0])
    acked = len(spool.read_lines(base.with_suffix(".acks"))[0])
    return max(0, written - acked)


def session_status(record: dict[str, Any], spool_dir: Path) -> SessionStatus:
    """One heartbeat record as a :class:`SessionStatus` (journal read for freshness)."""
    journal = str(record.get("journal") or "")
    run_id = last_error = None
    unacked = 0
    if journal and "/" not in journal and not journal.startswith("."):
        base = spool_dir / journal
        unacked = _journal_counts(base)
        run_id = spool.read_bindings(base).get(str(record.get("session_key")))
        last_error = one_line(spool.read_state(base).get("last_error"))
    queued = record.get("queued") if isinstance(record.get("queued"), int) else 0
    updated = record.get("updated_at")
    return SessionStatus(
        pid=int(record.get("pid") or 0), run_id=run_id,
        experiment=record.get("experiment") if isinstance(record.get("experiment"), str)
        else None,
        notebook=Path(str(record["notebook"])).name if record.get("notebook") else None,
        pending=unacked + max(0, queued), spooled=unacked, last_error=last_error,
        updated_at=updated if isinstance(updated, int) else None)


def exited_spooled(spool_dir: Path) -> int:
    """Unacknowledged events in the journals of kernels that have exited (a journal
    ``<pid>-<id>`` belongs to process ``pid``)."""
    total = 0
    try:
        journals = list(spool_dir.glob("*.events"))
    except OSError:
        return 0
    for events in journals:
        owner = events.stem.split("-", 1)[0]
        if names.is_decimal(owner) and pid_alive(int(owner)):
            continue
        total += _journal_counts(events.with_suffix(""))
    return total


def tracking_status(probe: StoreProbe, mlflow_ui: MlflowUi) -> TrackingStatus:
    """The status of the configured store and of every live tracking session."""
    uri = config.tracking_uri()
    spool_dir = config.home_dir(create=False) / "spool"
    sessions = [session_status(record, spool_dir) for record in heartbeat.live_sessions()]
    sessions.sort(key=lambda session: session.updated_at or 0, reverse=True)
    reachable, error = probe.check(uri)
    if error is None:
        error = next((session.last_error for session in sessions if session.last_error),
                     None)
    return TrackingStatus(
        store=display_store(uri), store_kind=store_kind(uri), reachable=reachable,
        last_store_error=error, spooled_events=exited_spooled(spool_dir),
        sessions=sessions, mlflow_ui=mlflow_ui)


def mlflow_ui_location(proxied_url: str | None, uri: str | None = None) -> MlflowUi:
    """Where the MLflow UI is: the tracking server itself (credentials removed) when
    the store is one, else ``proxied_url`` (None when no proxy serves it)."""
    uri = uri or config.tracking_uri()
    if config.is_tracking_server(uri):
        parts = urlsplit(uri)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        return MlflowUi(url=urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + "/",
                                        "", "")), proxied=False)
    return MlflowUi(url=proxied_url, proxied=proxied_url is not None)
