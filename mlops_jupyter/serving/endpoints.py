"""Running endpoints describe themselves in files, so the sidebar, the CLI and the
dashboards list them without a token and without loading a model.

::

    <home>/serving/<endpoint id>/
        endpoint.json       written by the ``mlops serve`` command when it starts: what
                            it serves and where (never the token)
        worker-<pid>.json   rewritten every :data:`STATS_INTERVAL_S` by each worker
                            process: the versions it serves now, its recent swaps and
                            its counters over the last :data:`WINDOW_S` seconds

Files are replaced atomically (temporary file + rename) and readable by their owner
only. Latencies are kept as counts per bucket (:data:`LATENCY_BUCKETS_MS`) so the
workers of one endpoint merge exactly: :func:`merge_workers`.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .. import config
from ..exceptions import NotFoundError
from ..processes import pid_alive

ENDPOINT_FILE = "endpoint.json"
WORKER_PREFIX = "worker-"
STATS_INTERVAL_S = 2.0
WINDOW_S = 60.0
#: Upper bounds (ms) of the latency buckets: 0.5 ms growing by 25 % up to ~9 s, then +inf.
LATENCY_BUCKETS_MS: tuple[float, ...] = tuple(round(0.5 * 1.25 ** i, 3) for i in range(45)) \
    + (float("inf"),)
ROLES = ("champion", "challenger", "shadow")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def endpoint_id(model: str, port: int) -> str:
    """The folder name of the endpoint serving ``model`` on ``port``."""
    return f"{_UNSAFE.sub('_', model)[:100]}-{int(port)}"


def _folder(identifier: str) -> Path:
    if not isinstance(identifier, str) or not identifier or _UNSAFE.search(identifier) \
            or identifier.startswith("."):
        raise NotFoundError("no such endpoint")
    return config.serving_dir() / identifier


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(data, stream, default=str)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_endpoint(info: dict[str, Any]) -> str:
    """Record a starting endpoint. ``info`` holds at least ``model``, ``port`` and
    ``pid``; the ``id`` is added. Returns the endpoint id."""
    identifier = endpoint_id(info["model"], info["port"])
    _write_json(_folder(identifier) / ENDPOINT_FILE, {**info, "id": identifier})
    return identifier


def write_worker(identifier: str, pid: int, state: dict[str, Any]) -> None:
    """Replace the state file of worker ``pid`` of endpoint ``identifier``."""
    _write_json(_folder(identifier) / f"{WORKER_PREFIX}{int(pid)}.json", {**state, "pid": pid})


def remove_worker(identifier: str, pid: int) -> None:
    """Forget worker ``pid`` (it stopped)."""
    try:
        (_folder(identifier) / f"{WORKER_PREFIX}{int(pid)}.json").unlink()
    except (OSError, NotFoundError):
        pass


def remove_endpoint(identifier: str) -> None:
    """Forget an endpoint (it stopped)."""
    try:
        shutil.rmtree(_folder(identifier), ignore_errors=True)
    except NotFoundError:
        pass


def read_endpoint(identifier: str) -> dict[str, Any]:
    """One endpoint with its live workers merged (:func:`merge_workers`).

    Raises:
        NotFoundError: no such endpoint.
    """
    folder = _folder(identifier)
    info = _read_json(folder / ENDPOINT_FILE)
    if info is None:
        raise NotFoundError(f"no endpoint {identifier!r}")
    workers = [state for path in sorted(folder.glob(f"{WORKER_PREFIX}*.json"))
               if (state := _read_json(path)) is not None and pid_alive(state.get("pid"))]
    return {**info, "running": pid_alive(info.get("pid")), **merge_workers(workers)}


def list_endpoints(*, include_stopped: bool = False) -> list[dict[str, Any]]:
    """Every endpoint recorded under the home, newest first; stopped ones (their
    command's process is gone) only with ``include_stopped``."""
    root = config.serving_dir()
    found = []
    for folder in root.iterdir():
        if not (folder / ENDPOINT_FILE).is_file():
            continue
        try:
            endpoint = read_endpoint(folder.name)
        except NotFoundError:
            continue
        if endpoint["running"] or include_stopped:
            found.append(endpoint)
    return sorted(found, key=lambda item: item.get("started") or 0, reverse=True)


def bucket_index(latency_ms: float) -> int:
    """Index of the latency bucket holding ``latency_ms``."""
    return bisect.bisect_left(LATENCY_BUCKETS_MS, latency_ms)


def quantile_ms(counts: list[int], q: float) -> float | None:
    """The ``q`` quantile (0..1) of latencies counted per bucket, interpolated inside
    its bucket; None without observations."""
    total = sum(counts)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            low = LATENCY_BUCKETS_MS[index - 1] if index else 0.0
            high = LATENCY_BUCKETS_MS[index]
            if high == float("inf"):
                return low
            return round(low + (high - low) * max(0.0, rank - seen) / count, 3)
        seen += count
    return LATENCY_BUCKETS_MS[-2]


def summarize(requests: int, errors: int, counts: list[int], window_s: float) -> dict[str, Any]:
    """Requests/s, error rate and p50/p95/p99 latency of one window's counters."""
    return {"requests": requests, "errors": errors,
            "rps": round(requests / window_s, 3) if window_s else None,
            "error_rate": round(errors / requests, 6) if requests else None,
            "p50_ms": quantile_ms(counts, 0.50), "p95_ms": quantile_ms(counts, 0.95),
            "p99_ms": quantile_ms(counts, 0.99)}


def merge_workers(workers: list[dict[str, Any]]) -> dict[str, Any]:
    """The live view of an endpoint from its workers' state files.

    Each worker state holds ``versions`` (role -> ``{alias, version, since}``),
    ``swaps`` (newest last), ``last_error``, ``window_s`` and ``variants`` (role ->
    ``{requests, errors, latency_buckets}`` over the window).

    Returns:
        ``{workers, versions, swaps, last_error, stats: {all, <role>...}}``.
    """
    versions: dict[str, Any] = {}
    swaps: list[dict[str, Any]] = []
    last_error = None
    window = max([float(w.get("window_s") or WINDOW_S) for w in workers] or [WINDOW_S])
    totals: dict[str, tuple[int, int, list[int]]] = {}
    for worker in sorted(workers, key=lambda w: w.get("updated") or 0):
        versions.update(worker.get("versions") or {})
        swaps.extend(worker.get("swaps") or [])
        last_error = worker.get("last_error") or last_error
        for role, counters in (worker.get("variants") or {}).items():
            requests, errors, counts = totals.get(role, (0, 0, [0] * len(LATENCY_BUCKETS_MS)))
            buckets = list(counters.get("latency_buckets") or [])[:len(counts)]
            counts = [a + b for a, b in zip(counts, buckets + [0] * (len(counts) - len(buckets)))]
            totals[role] = (requests + int(counters.get("requests") or 0),
                            errors + int(counters.get("errors") or 0), counts)
    stats = {role: summarize(*values, window) for role, values in totals.items()}
    answered = [values for role, values in totals.items() if role != "shadow"]
    if answered:  # a shadow sees copies of requests already counted
        all_counts = [sum(column) for column in zip(*(v[2] for v in answered))]
        stats["all"] = summarize(sum(v[0] for v in answered), sum(v[1] for v in answered),
                                 all_counts, window)
    swaps.sort(key=lambda swap: swap.get("time") or 0)
    return {"workers": len(workers), "versions": versions, "swaps": swaps[-50:],
            "last_error": last_error, "window_s": window, "stats": stats}
