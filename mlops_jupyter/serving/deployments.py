"""Running endpoints as the sidebar, the CLI and the registry listing see them: list,
start, stop — without a token and without loading a model.

Everything here reads the state files the endpoints write
(:mod:`mlops_jupyter.serving.endpoints`). :func:`start` spawns
``python -m mlops_jupyter.cli serve MODEL@ALIAS --port P ...`` detached (a session of
its own, output to ``<home>/serving/logs/<id>.log``) with a fresh token passed only in
the child's environment (``$MLOPS_SERVE_TOKEN``, never on a command line or in a file),
and waits until the endpoint answers ``/health``. :func:`stop` signals the recorded
process only when it is alive and really an ``mlops serve``.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from .. import config, names, processes
from ..exceptions import ConflictError, MLOpsError, NotFoundError, UsageError
from . import endpoints

DEFAULT_HOST = "127.0.0.1"
#: Seconds :func:`start` waits for a new endpoint to answer ``/health``.
START_TIMEOUT_S = 60.0
#: Seconds :func:`stop` lets an endpoint flush its inference log before SIGKILL.
STOP_GRACE_S = 15.0
#: Swaps shown per endpoint, newest first.
SWAPS_SHOWN = 10
LOG_FOLDER = "logs"
_ERROR_PREFIX = "mlops: error: "

#: Endpoints this process started, so their exit is reaped (no zombies) and stop()
#: can wait for them.
_children: dict[int, subprocess.Popen] = {}


def _reap() -> None:
    for pid, child in list(_children.items()):
        if child.poll() is not None:
            _children.pop(pid, None)


def _summary(endpoint: dict[str, Any]) -> dict[str, Any]:
    swaps = list(endpoint.get("swaps") or [])[-SWAPS_SHOWN:]
    return {
        "id": endpoint["id"],
        "model": endpoint.get("model"),
        "alias": endpoint.get("alias"),
        "challenger": endpoint.get("challenger"),
        "split": float(endpoint.get("split") or 0.0),
        "shadow": endpoint.get("shadow"),
        "url": endpoint.get("url"),
        "host": endpoint.get("host"),
        "port": endpoint.get("port"),
        "pid": endpoint.get("pid"),
        "workers": endpoint.get("workers"),
        "started": endpoint.get("started"),
        "running": bool(endpoint.get("running")),
        "versions": endpoint.get("versions") or {},
        "stats": endpoint.get("stats") or {},
        "window_s": endpoint.get("window_s"),
        "swaps": list(reversed(swaps)),
        "last_error": endpoint.get("last_error"),
        "ab": _live_ab(endpoint),
    }


#: Seconds a live A/B verdict is reused (the sidebar polls every 2.5 s).
AB_CACHE_S = 10.0
#: The longest window the verdict of a long-running endpoint reads.
AB_WINDOW_S = 24 * 3600.0
_ab_cache: dict[str, tuple[float, dict[str, Any] | None]] = {}


def _live_ab(endpoint: dict[str, Any]) -> dict[str, Any] | None:
    """The live A/B verdict (:func:`.abtest.compare`) of an endpoint with a challenger
    or shadow, over its log since it started (at most a day); None for one alias, or
    when the log cannot be read. Cached for :data:`AB_CACHE_S` per endpoint."""
    if not (endpoint.get("challenger") or endpoint.get("shadow")):
        return None
    key = f"{endpoint['id']}@{endpoint.get('started')}"
    now = time.monotonic()
    cached = _ab_cache.get(key)
    if cached is not None and now - cached[0] < AB_CACHE_S:
        return cached[1]
    from datetime import timedelta

    from ..inference import abtest, logbook

    started = float(endpoint.get("started") or 0)
    window = min(max(time.time() - started, 1.0), AB_WINDOW_S)
    try:
        frame = logbook.read_window(str(endpoint.get("model")), last=timedelta(seconds=window),
                                    url=endpoint.get("log_url") or None)
        verdict = abtest.compare(frame)
    except MLOpsError:
        verdict = None
    _ab_cache[key] = (now, verdict)
    return verdict


def list_deployments() -> list[dict[str, Any]]:
    """Every running endpoint, newest first.

    Each: ``id, model, alias, challenger, split, shadow, url, host, port, pid,
    workers, started`` (epoch s), ``running``, ``versions`` (role -> ``{alias,
    version, since}``), ``stats`` (``all`` and per role: ``requests, errors, rps,
    error_rate, p50_ms, p95_ms, p99_ms`` over the last ``window_s`` seconds),
    ``swaps`` (the last :data:`SWAPS_SHOWN`, newest first), ``last_error`` and ``ab``
    (the live A/B verdict, or None).
    """
    _reap()
    return [_summary(endpoint) for endpoint in endpoints.list_endpoints()]


def deployed_by_model() -> dict[str, dict[str, list[dict[str, Any]]]]:
    """:func:`deployed_versions` of every model at once: ``{model: {version: [...]}}``."""
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for endpoint in endpoints.list_endpoints():
        for role in endpoints.ROLES:
            served = (endpoint.get("versions") or {}).get(role)
            if not isinstance(served, dict) or served.get("version") in (None, ""):
                continue
            versions = found.setdefault(str(endpoint.get("model")), {})
            versions.setdefault(str(served["version"]), []).append(
                {"id": endpoint["id"], "url": endpoint.get("url"), "role": role,
                 "alias": served.get("alias")})
    return found


def deployed_versions(model: str) -> dict[str, list[dict[str, Any]]]:
    """Where each version of ``model`` is served now: ``{version: [{id, url, role,
    alias}]}`` (only running endpoints that have loaded a version)."""
    return deployed_by_model().get(model, {})


# ---------------------------------------------------------------------------- start
def _check_port_number(port: Any) -> None:
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)
                             or not 1024 <= port <= 65535):
        raise UsageError("port must be a whole number from 1024 to 65535")


def _check_port(host: str, port: int) -> int:
    with socket.socket(socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise UsageError(f"port {port} is taken") from None
    return port


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _command(model: str, alias: str, port: int, challenger: str | None, split: float,
             shadow: str | None) -> list[str]:
    command = [sys.executable, "-m", "mlops_jupyter.cli", "serve", f"{model}@{alias}",
               "--host", DEFAULT_HOST, "--port", str(port)]
    if challenger:
        command += ["--challenger", challenger, "--split", repr(split)]
    if shadow:
        command += ["--shadow", shadow]
    return command


def _child_environment(token: str) -> dict[str, str]:
    environment = dict(os.environ)
    environment[config.SERVE_TOKEN_ENV] = token
    uri = config.tracking_uri()
    if environment.get(config.TRACKING_URI_ENV) != uri and not config.is_embedded_store(uri):
        environment[config.TRACKING_URI_ENV] = uri  # a store pinned in this process
    return environment


def _check_variants(challenger: str | None, split: Any, shadow: str | None) -> float:
    if challenger is not None:
        names.check_alias(challenger)
    if shadow is not None:
        names.check_alias(shadow)
    if challenger and shadow:
        raise UsageError("choose a challenger (A/B split) or a shadow, not both")
    if isinstance(split, bool) or not isinstance(split, (int, float)) \
            or not 0.0 <= float(split) <= 1.0:
        raise UsageError("split must be a number from 0 to 1")
    if challenger and not 0.0 < float(split) < 1.0:
        raise UsageError("an A/B test needs a split between 0 and 1 (e.g. 0.2)")
    if split and not challenger:
        raise UsageError("a split needs a challenger alias")
    return float(split)


def _check_served(model: str, aliases: list[str | None]) -> None:
    """Refuse at once (metadata only) what the endpoint would refuse after seconds."""
    from ..registry import common

    for alias in aliases:
        if alias:
            common.resolve_reference(model, alias)


def _health(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


_CAUSE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception): \S")
#: How a worker reports a failed start (through uvicorn's log): the reason follows.
_CANNOT_START = "mlops serve: cannot start: "


def _last_error(log: Path) -> str:
    """The one-line reason the endpoint gave (``mlops: error: ...``), with the
    exception that caused it when it points elsewhere ("see above")."""
    try:
        lines = [line.strip() for line in log.read_text(errors="replace").splitlines()
                 if line.strip()]
    except OSError:
        lines = []
    causes = [line.split(_CANNOT_START, 1)[1] if _CANNOT_START in line else line
              for line in lines if _CAUSE.match(line) or _CANNOT_START in line]
    for line in reversed(lines):
        if line.startswith(_ERROR_PREFIX):
            reason = line[len(_ERROR_PREFIX):]
            if "see above" in reason and causes:
                reason = f"{reason.replace('(see above)', '').strip()}: {causes[-1]}"
            return reason[:300]
    return (causes[-1][:300] if causes else "the endpoint exited at start") \
        + " (its log is in the home's serving/logs folder)"


def start(model: str, alias: str = "champion", *, port: int | None = None,
          challenger: str | None = None, split: float = 0.0,
          shadow: str | None = None, timeout: float = START_TIMEOUT_S) -> dict[str, Any]:
    """Start an endpoint serving ``model@alias`` and wait until it answers.

    Args:
        model: The registered model.
        alias: The alias the endpoint serves and follows (its champion).
        port: The loopback port; None picks a free one.
        challenger: An alias answering ``split`` of the requests (A/B).
        split: The challenger's share of requests, between 0 and 1.
        shadow: An alias that sees a copy of every request and answers nothing.
        timeout: Seconds to wait for ``/health``.

    Returns:
        ``{id, url, token}`` — the token is shown here once and stored nowhere.

    Raises:
        UsageError: a bad name, alias, split or port, a taken port, or the endpoint
            refused to start (its one-line reason, e.g. an unknown model or alias).
        MLOpsError: it did not answer within ``timeout`` (it is stopped).
    """
    names.check_model_name(model)
    names.check_alias(alias)
    split = _check_variants(challenger, split, shadow)
    _check_port_number(port)
    _check_served(model, [alias, challenger, shadow])
    port = _free_port(DEFAULT_HOST) if port is None else _check_port(DEFAULT_HOST, port)
    identifier = endpoints.endpoint_id(model, port)
    log_folder = config.serving_dir() / LOG_FOLDER
    log_folder.mkdir(parents=True, exist_ok=True)
    log = log_folder / f"{identifier}.log"
    token = secrets.token_urlsafe(32)  # as dashboards.serve.generate_token: 256 bits
    with open(log, "wb") as output:
        os.chmod(log, 0o600)
        child = subprocess.Popen(
            _command(model, alias, port, challenger, split, shadow),
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            env=_child_environment(token), start_new_session=True, close_fds=True)
    _children[child.pid] = child
    url = f"http://{DEFAULT_HOST}:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            _children.pop(child.pid, None)
            raise UsageError(_last_error(log))
        try:
            info = endpoints.read_endpoint(identifier)
        except NotFoundError:
            info = None
        if info is not None and _health(url):
            return {"id": identifier, "url": info.get("url") or url, "token": token}
        time.sleep(0.2)
    processes.stop_process_group(child.pid, STOP_GRACE_S, process=child)
    _children.pop(child.pid, None)
    endpoints.remove_endpoint(identifier)
    raise MLOpsError(f"the endpoint did not answer within {timeout:g} s; it was stopped")


# ----------------------------------------------------------------------------- stop
def is_serve_process(pid: int) -> bool:
    """Whether process ``pid`` runs ``mlops serve`` (read from /proc/<pid>/cmdline)."""
    try:
        argv = Path(f"/proc/{int(pid)}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return False
    words = [part.decode("utf-8", "replace") for part in argv if part]
    for index, word in enumerate(words[:-1]):
        if (word == "mlops_jupyter.cli" or os.path.basename(word) == "mlops") \
                and words[index + 1] == "serve":
            return True
    return False


def _stop_pid(pid: int, grace: float) -> None:
    child = _children.pop(pid, None)
    try:
        leader = os.getpgid(pid) == pid
    except ProcessLookupError:
        return
    if leader:
        processes.stop_process_group(pid, grace, process=child)
        return
    # Started from a terminal: signal the command only (its group is the shell's).
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while processes.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if processes.pid_alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stop(identifier: str, *, grace: float = STOP_GRACE_S) -> dict[str, Any]:
    """Stop endpoint ``identifier`` gracefully (SIGTERM: it flushes its inference
    log; SIGKILL after ``grace`` s) and forget it.

    Returns:
        ``{id, stopped}``: ``stopped`` is False when its process had already ended.

    Raises:
        NotFoundError: no such endpoint.
        ConflictError: the recorded process is alive but is not an ``mlops serve``
            (its pid was reused): it is not signalled.
    """
    info = endpoints.read_endpoint(identifier)
    pid = info.get("pid")
    if not processes.pid_alive(pid):
        endpoints.remove_endpoint(identifier)
        _reap()
        return {"id": identifier, "stopped": False}
    if not is_serve_process(pid):
        raise ConflictError(f"endpoint {identifier!r}: its recorded process is not an "
                            "mlops serve; nothing was signalled")
    _stop_pid(pid, grace)
    endpoints.remove_endpoint(identifier)
    return {"id": identifier, "stopped": True}


__all__ = ["deployed_by_model", "deployed_versions", "is_serve_process", "list_deployments", "start", "stop"]
