"""The flusher: applies journaled tracking events to the store, in its own process.

Each tracking kernel starts one flusher (``python -m mlops_jupyter.tracking.flusher``)
so that MLflow's imports and SQL never compete with the user's cells for the GIL.
The kernel appends to its journal and writes a byte to the flusher's stdin to wake
it; the flusher reads the new events, applies them in order and acknowledges each.

When the store does not answer, events stay in the journal and are retried with
backoff. When the kernel exits (stdin closes) the flusher keeps writing for a grace
period, then leaves whatever is left for the next flusher, which adopts journals
whose kernel and flusher are both gone and replays them exactly once.
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from ..exceptions import StoreRejectedError, StoreUnavailableError
from .operations import Applier, expand
from .spool import Replay

log = logging.getLogger("mlops_jupyter.flusher")

MIN_BACKOFF_S = 0.25
MAX_BACKOFF_S = 5.0
HEALTH_TIMEOUT_S = 2.0
EXIT_GRACE_S = 30.0
GRACE_ENV = "MLOPS_JUPYTER_FLUSHER_GRACE_S"


def exit_grace_s() -> float:
    """Seconds a flusher keeps retrying after its kernel exited (env GRACE_ENV)."""
    try:
        return max(0.0, float(os.environ[GRACE_ENV]))
    except (KeyError, ValueError):
        return EXIT_GRACE_S


def store_answers(uri: str) -> bool:
    """Cheap reachability probe for HTTP stores.

    MLflow's client retries a dead server for minutes per call; probing
    ``/health`` first keeps a down server from stalling the flusher.
    """
    if not uri.startswith(("http://", "https://")):
        return True
    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=HEALTH_TIMEOUT_S):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not now"
        return False


class Flusher:
    """Writes the pending events of one or more journals to one store."""

    def __init__(self, uri: str, spool_dir: Path, own: Replay | None = None):
        self.uri = uri
        self.spool_dir = spool_dir
        self.own = own
        self.replays: list[Replay] = [own] if own else []
        self._appliers: dict[Path, Applier] = {}
        self._adopted = False
        self.written = 0
        self.rejected = 0
        self.last_error: str | None = None
        self.retry_at = 0.0
        self._backoff = MIN_BACKOFF_S

    def pending(self) -> int:
        return sum(len(replay.pending) for replay in self.replays)

    def step(self) -> bool:
        """Try to write everything pending; True when nothing is left."""
        if not store_answers(self.uri):
            self._failed(StoreUnavailableError(f"tracking store {self.uri} does not answer"))
            return False
        if not self._adopted:
            self._adopted = True
            self.replays += Replay.adopt_orphans(self.spool_dir)
        for replay in list(self.replays):
            if not self._write(replay):
                return False
            if replay is not self.own:
                replay.remove()
                self.replays.remove(replay)
        if self.last_error is not None:
            log.warning("mlops: tracking store answers again; spooled events written")
        self.last_error = None
        self._backoff = MIN_BACKOFF_S
        self._publish()
        return True

    def _write(self, replay: Replay) -> bool:
        applier = self._appliers.get(replay.base)
        if applier is None:
            applier = self._appliers[replay.base] = Applier(self.uri, replay.bindings())
        while replay.pending:
            event = replay.pending[0]
            try:
                self._apply(applier, replay, event)
            except StoreUnavailableError as exc:
                replay.uncertain = True
                self._failed(exc)
                return False
            except StoreRejectedError as exc:
                self.rejected += 1
                log.warning("mlops: the store rejected a %s event: %s", event.get("op"), exc)
            else:
                self.written += 1
            replay.ack(event["seq"])
            replay.pending.pop(0)
            replay.uncertain = False
            if event["op"] == "artifact_file" and not event.get("keep"):
                _remove_private_copy(Path(event["file"]))
        return True

    @staticmethod
    def _apply(applier: Applier, replay: Replay, event: dict[str, Any]) -> None:
        parts = event.get("_parts")
        if parts is None:  # gather git/environment facts once, even across retries
            try:
                parts = expand(dict(event))
            except Exception as exc:  # noqa: BLE001 - the facts are best effort
                log.warning("mlops: could not collect run facts: %s", exc)
                parts = [{k: v for k, v in event.items() if k != "collect"}]
            event["_parts"] = parts
        for number, part in enumerate(parts):
            # Only the first part can have been half-applied by a crashed attempt.
            run_id = applier.apply(part, uncertain=replay.uncertain or number > 0)
            if run_id is not None:
                replay.bind(part["key"], run_id)

    def _failed(self, exc: Exception) -> None:
        if self.last_error is None:
            log.warning("mlops: %s; events are kept in the spool and retried", exc)
        self.last_error = str(exc)
        self.retry_at = time.monotonic() + self._backoff
        self._backoff = min(MAX_BACKOFF_S, self._backoff * 2)
        self._publish()

    def _publish(self) -> None:
        if self.own is not None:
            self.own.write_state({"written": self.written, "rejected": self.rejected,
                                  "last_error": self.last_error,
                                  "retry_at": time.time() + max(0.0, self.retry_at -
                                                                time.monotonic()),
                                  "pid": os.getpid()})


def _remove_private_copy(file: Path) -> None:
    file.unlink(missing_ok=True)
    try:
        file.parent.rmdir()  # the per-file folder under spool/files
    except OSError:
        pass


def flush_orphans(uri: str, spool_dir: Path, timeout: float) -> Flusher:
    """Replay journals left by exited kernels, in this process (``mlops spool flush``)."""
    flusher = Flusher(uri, spool_dir)
    deadline = time.monotonic() + timeout
    while not flusher.step() and time.monotonic() < deadline:
        time.sleep(max(0.0, min(flusher.retry_at, deadline) - time.monotonic()))
    return flusher


def serve(journal: Path, uri: str) -> None:
    """Follow one kernel's journal until the kernel is gone and all is written."""
    own = Replay(journal)
    flusher = Flusher(uri, journal.parent, own)
    kernel_gone_at: float | None = None
    grace = exit_grace_s()
    while True:
        if kernel_gone_at is None:
            timeout = None
            if flusher.pending():
                timeout = max(0.0, flusher.retry_at - time.monotonic())
            readable, _, _ = select.select([0], [], [], timeout)
            if readable and not os.read(0, 65536):
                kernel_gone_at = time.monotonic()
        own.read_new()
        done = flusher.step() if time.monotonic() >= flusher.retry_at else False
        if kernel_gone_at is not None:
            if done:
                own.remove()
                return
            if time.monotonic() - kernel_gone_at > grace:
                return  # the next flusher adopts what is left
            time.sleep(max(0.05, flusher.retry_at - time.monotonic()))


def quiet_dedicated_process() -> None:
    """MLflow settings for a process that only writes tracking events.

    Our own backoff replaces MLflow's HTTP retries (which block one call for
    minutes against a dead server), and run URLs are not printed to stdout.
    Only for processes of ours: a user's kernel keeps its settings.
    """
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "15")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")


def main(argv: list[str] | None = None) -> None:
    quiet_dedicated_process()
    os.nice(10)  # background work: leave the CPU to kernels and pipeline steps
    parser = argparse.ArgumentParser(description="Apply a kernel's tracking journal to MLflow.")
    parser.add_argument("--journal", required=True, type=Path, help="journal base path")
    parser.add_argument("--uri", required=True, help="MLflow tracking URI")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(message)s")
    serve(args.journal, args.uri)


if __name__ == "__main__":
    main()
