"""Aliases with a history, moved by compare-and-set.

History: a registered-model tag ``mlops.alias_history.<alias>`` holding a JSON list
(newest last, at most :data:`MAX_HISTORY` entries). Every decision is an entry:
``set``, ``forced``, ``rollback`` move the alias; ``refused`` records a failed
gate and moves nothing. Each entry carries ``generation``: the number of moves of
that alias so far, which is also kept in ``mlops.alias_generation.<alias>``.

Concurrency: MLflow's tag and alias writes are plain upserts, so two promotions
would both "succeed" and the last writer would silently win. A move therefore
happens inside an exclusive ``fcntl`` lock file (per store and model, under the
home directory; it works across threads and processes of this machine), and
inside the lock the alias generation is re-read and compared with the one the
caller started from. Whoever finds it changed gets :class:`ConflictError`. A
promotion reads the generation *before* running its gate, so a gate verdict
computed against a champion that has since been replaced is never applied.
A tag-only compare-and-set (write a token, re-read it) was rejected: with
last-writer-wins upserts, both writers can read back their own token.
Limitation: several machines sharing one remote tracking server do not share
the lock file; that needs a server-side transaction.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import threading
import time
from contextlib import contextmanager
from typing import Any

from .. import config, names
from ..exceptions import ConflictError, StoreUnavailableError, UsageError
from ..mlflow_errors import translated
from . import common

HISTORY_TAG = "mlops.alias_history."
GENERATION_TAG = "mlops.alias_generation."
MAX_HISTORY = 200
LOCK_TIMEOUT_S = 30.0
MOVES = ("set", "forced", "rollback")
#: A rollback's reason: one line of at most this many characters.
MAX_REASON_CHARS = 500
_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


def _actor(actor: str | None) -> str:
    if actor:
        return str(actor)[:200]
    return config.current_user()


def _lock_path(name: str):
    key = hashlib.sha256(f"{config.tracking_uri()}\0{name}".encode()).hexdigest()[:24]
    folder = config.home_dir() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"registry-{key}.lock"


@contextmanager
def model_lock(name: str, timeout: float = LOCK_TIMEOUT_S):
    """Exclusive lock over alias moves of model ``name`` (threads and processes).

    Raises:
        StoreUnavailableError: not acquired within ``timeout`` seconds.
    """
    path = _lock_path(name)
    # flock is per open file description, so threads of one process need their own lock.
    with _thread_locks_guard:
        thread_lock = _thread_locks.setdefault(str(path), threading.Lock())
    if not thread_lock.acquire(timeout=timeout):
        raise StoreUnavailableError(f"model {name!r} is locked by another promotion; retry")
    try:
        with open(path, "a") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreUnavailableError(
                            f"model {name!r} is locked by another promotion; retry") from None
                    time.sleep(0.02)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        thread_lock.release()


def _tags(name: str) -> dict[str, str]:
    return dict(common.get_registered_model(name).tags or {})


def generation(name: str, alias: str) -> int:
    """How many times ``alias`` of ``name`` has moved (the compare-and-set token)."""
    names.check_alias(alias)
    return int(_tags(name).get(GENERATION_TAG + alias, "0") or 0)


def _read_history(tags: dict[str, str], alias: str) -> list[dict[str, Any]]:
    try:
        entries = json.loads(tags.get(HISTORY_TAG + alias) or "[]")
    except ValueError:
        return []
    return entries if isinstance(entries, list) else []


def _write_history(name: str, alias: str, entries: list[dict[str, Any]]) -> None:
    entries = entries[-MAX_HISTORY:]
    text = json.dumps(entries, separators=(",", ":"))
    while len(text) > 90_000 and len(entries) > 1:  # MLflow caps tag values at 100k
        entries = entries[1:]
        text = json.dumps(entries, separators=(",", ":"))
    with translated(f"cannot record the alias history of {name!r}"):
        common.client().set_registered_model_tag(name, HISTORY_TAG + alias, text)


def _current(name: str, alias: str) -> str | None:
    model = common.get_registered_model(name)
    value = (model.aliases or {}).get(alias)
    return None if value is None else str(value)


def record(name: str, alias: str, entry: dict[str, Any]) -> dict[str, Any]:
    """Append a decision that moves nothing (e.g. a refused promotion) to the history."""
    with model_lock(name):
        tags = _tags(name)
        entries = _read_history(tags, alias)
        full = {"at": _now_iso(), "alias": alias, "forced": False,
                "generation": int(tags.get(GENERATION_TAG + alias, "0") or 0), **entry}
        entries.append(full)
        _write_history(name, alias, entries)
    return full


def _now_iso() -> str:
    return _iso(time.time())


def _iso(seconds: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="milliseconds")


def set_alias(name: str, alias: str, version: Any, *, reason: str | None,
              actor: str | None = None, forced: bool = False,
              expected_generation: int | None = None, action: str | None = None,
              details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Point ``alias`` of ``name`` at ``version`` and record it in the history.

    Args:
        name: registered model.
        alias: alias to move.
        version: the version to point it at (must exist).
        reason: why (kept in the history).
        actor: who; default the OS user.
        forced: the move bypassed a failed gate.
        expected_generation: compare-and-set token from :func:`generation`; when the
            alias moved since, nothing is changed and ConflictError is raised.
        action: history action name (default ``forced`` or ``set``).
        details: extra fields for the history entry (e.g. the gate verdict).

    Returns:
        The history entry written.

    Raises:
        UsageError: bad alias or version; NotFoundError: unknown model/version;
        ConflictError: the alias moved since ``expected_generation``.
    """
    names.check_alias(alias)
    target = common.get_version(name, version)
    action = action or ("forced" if forced else "set")
    if action not in MOVES:
        raise UsageError(f"unknown alias action {action!r}")
    with model_lock(name):
        tags = _tags(name)
        current_generation = int(tags.get(GENERATION_TAG + alias, "0") or 0)
        if expected_generation is not None and current_generation != expected_generation:
            holder = _current(name, alias)
            raise ConflictError(
                f"alias {alias!r} of {name!r} was moved by someone else while this change was "
                f"prepared (now version {holder}); nothing changed — check and retry")
        previous = _current(name, alias)
        entry = {"at": _now_iso(), "actor": _actor(actor), "action": action,
                 "alias": alias, "from_version": previous, "to_version": str(target.version),
                 "reason": reason or "", "forced": bool(forced),
                 "generation": current_generation + 1, **(details or {})}
        client = common.client()
        with translated(f"cannot set alias {alias!r} of {name!r}"):
            client.set_registered_model_alias(name, alias, str(target.version))
            client.set_registered_model_tag(name, GENERATION_TAG + alias,
                                            str(current_generation + 1))
        entries = _read_history(tags, alias)
        entries.append(entry)
        _write_history(name, alias, entries)
    return entry


def alias_history(name: str, alias: str | None = None) -> list[dict[str, Any]]:
    """Every recorded decision about ``alias`` (or all aliases), oldest first.

    Each entry: ``at`` (ISO time, UTC), ``actor``, ``action`` (set, forced,
    rollback, refused), ``alias``, ``from_version``, ``to_version``, ``reason``,
    ``forced``, ``generation``, plus gate details when a promotion made it.
    """
    tags = _tags(name)
    if alias is not None:
        names.check_alias(alias)
        return _read_history(tags, alias)
    entries: list[dict[str, Any]] = []
    for key in sorted(tags):
        if key.startswith(HISTORY_TAG):
            entries.extend(_read_history(tags, key[len(HISTORY_TAG):]))
    return sorted(entries, key=lambda entry: entry.get("at", ""))


def holder_at(name: str, alias: str, when: str) -> str | None:
    """Which version held ``alias`` at ISO time ``when`` ("what was in production on D")."""
    holder = None
    for entry in alias_history(name, alias):
        if entry.get("at", "") > when:
            break
        if entry.get("action") in MOVES:
            holder = entry.get("to_version")
    return holder


def _holder_stack(entries: list[dict[str, Any]]) -> list[str]:
    stack: list[str] = []
    for entry in entries:
        action = entry.get("action")
        if action in ("set", "forced"):
            if entry.get("to_version") and (not stack or stack[-1] != entry["to_version"]):
                stack.append(entry["to_version"])
        elif action == "rollback" and stack:
            stack.pop()
            if not stack or stack[-1] != entry.get("to_version"):
                stack.append(entry.get("to_version"))
    return stack


def rollback(name: str, alias: str = "champion", *, reason: str | None = None,
             actor: str | None = None) -> dict[str, Any]:
    """Move ``alias`` back to the version that held it before the current holder.

    Successive rollbacks walk further back (``1 → 2 → 3``, rollback → 2, rollback
    → 1) rather than toggling between two versions.

    Args:
        reason: why (required: one line, at most :data:`MAX_REASON_CHARS` characters);
            kept in the alias history.

    Raises:
        UsageError: there is no earlier holder in the history; no reason, or a reason
            of several lines or too long.
        ConflictError: the alias moved while rolling back.
    """
    names.check_alias(alias)
    start = generation(name, alias)
    stack = _holder_stack(_read_history(_tags(name), alias))
    current = _current(name, alias)
    if current is not None and stack and stack[-1] != current:
        stack.append(current)  # moved outside mlops-jupyter: roll back to our last holder
    if len(stack) < 2:
        raise UsageError(f"alias {alias!r} of {name!r} has no previous holder to roll back to")
    return set_alias(name, alias, stack[-2], reason=rollback_reason(reason), actor=actor,
                     expected_generation=start, action="rollback")


def rollback_reason(reason: str | None) -> str:
    """``reason`` as recorded for a rollback: stripped, required, one bounded line.

    Raises:
        UsageError: empty, several lines, or longer than :data:`MAX_REASON_CHARS`.
    """
    text = (reason or "").strip()
    if not text:
        raise UsageError("a rollback needs a reason (one line): say why the version is "
                         "taken back")
    if "\n" in text or "\r" in text:
        raise UsageError("the rollback reason must be one line")
    if len(text) > MAX_REASON_CHARS:
        raise UsageError(f"the rollback reason is too long (at most {MAX_REASON_CHARS} "
                         "characters)")
    return text
