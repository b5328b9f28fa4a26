"""The endpoint's HTTP application (Starlette under uvicorn).

Routes: ``POST /invocations`` (MLflow's scoring protocol), ``POST /feedback``,
``GET /health`` and ``GET /ping`` (no token), ``GET /version``, ``GET /metrics``.
Every response carries ``X-Request-Id`` and ``X-Model-Version``; errors are
``{"error_code", "message"}`` with one line, never a traceback. Everything but
/health and /ping needs ``Authorization: Bearer <token>``.

:func:`create_app` is the factory uvicorn imports in each worker
(``mlops_jupyter.serving.app:create_app``): settings from ``$MLOPS_SERVE_SETTINGS``,
the token from ``$MLOPS_SERVE_TOKEN``.
"""

from __future__ import annotations

import asyncio
import gc
import hmac
import json
import logging
import os
import sys
import time
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import config, names
from . import metrics, protocol
from .settings import REQUEST_ID, Settings, from_env

LOG = logging.getLogger("mlops_jupyter.serving")
JSON = "application/json"
ERROR_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 404: "ENDPOINT_NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 413: "REQUEST_LIMIT_EXCEEDED",
               500: "INTERNAL_ERROR", 503: "TEMPORARILY_UNAVAILABLE"}


class HTTPError(Exception):
    """An error answer: status and one line."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Endpoint:
    """The handlers, bound to one worker's settings and token."""

    def __init__(self, settings: Settings, token: str):
        self.settings = settings
        self._expected = f"Bearer {token}".encode()
        self.worker = None
        self._background: set[asyncio.Task] = set()

    # --- plumbing ---------------------------------------------------------------------

    def request_id(self, request: Request) -> str:
        given = request.headers.get("x-request-id")
        return given if given and REQUEST_ID.match(given) else uuid.uuid4().hex

    def version(self) -> str:
        if self.worker is None:
            return ""
        return self.worker.slots["champion"].current.version

    def respond(self, body: Any, status: int, request_id: str, version: str | None = None,
                media_type: str = JSON) -> Response:
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        return Response(body, status_code=status, media_type=media_type,
                        headers={"X-Request-Id": request_id,
                                 "X-Model-Version": version if version is not None
                                 else self.version()})

    def error(self, status: int, message: str, request_id: str,
              version: str | None = None) -> Response:
        return self.respond({"error_code": ERROR_CODES.get(status, "BAD_REQUEST"),
                             "message": message}, status, request_id, version)

    def authorized(self, request: Request) -> bool:
        given = request.headers.get("authorization", "").encode("latin-1", "replace")
        return hmac.compare_digest(given, self._expected)

    async def body(self, request: Request) -> bytes:
        limit = self.settings.body_limit
        length = request.headers.get("content-length")
        if length is not None and (not names.is_decimal(length) or int(length) > limit):
            raise HTTPError(413, f"the body is over the limit of {limit} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPError(413, f"the body is over the limit of {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def guarded(self, handler, *, auth: bool = True):
        async def endpoint(request: Request) -> Response:
            request_id = self.request_id(request)
            if auth and not self.authorized(request):
                return self.error(401, "missing or wrong bearer token", request_id)
            try:
                return await handler(request, request_id)
            except HTTPError as exc:
                return self.error(exc.status, exc.message, request_id)
            except Exception as exc:  # noqa: BLE001 - one line, never a traceback
                LOG.error("%s %s 500 request_id=%s: %s", request.method, request.url.path,
                          request_id, _line(exc))
                return self.error(500, "internal error", request_id)
        return endpoint

    # --- routes -----------------------------------------------------------------------

    async def health(self, request: Request, request_id: str) -> Response:
        if self.worker is None:
            return self.error(503, "the model is not loaded yet", request_id)
        return self.respond({"status": "ok"}, 200, request_id)

    async def version_route(self, request: Request, request_id: str) -> Response:
        worker = self.require_worker()
        variants = {role: {"alias": slot.alias, "version": slot.current.version}
                    for role, slot in worker.slots.items()}
        return self.respond({"model": self.settings.model, "alias": self.settings.alias,
                             "version": self.version(), "variants": variants}, 200,
                            request_id)

    async def metrics_route(self, request: Request, request_id: str) -> Response:
        text, content_type = await asyncio.get_running_loop().run_in_executor(
            None, metrics.exposition)
        return Response(text, media_type=content_type,
                        headers={"X-Request-Id": request_id,
                                 "X-Model-Version": self.version()})

    def require_worker(self):
        if self.worker is None:
            raise HTTPError(503, "the model is not loaded yet")
        return self.worker

    async def invocations(self, request: Request, request_id: str) -> Response:
        worker = self.require_worker()
        started = time.perf_counter()
        role = worker.route()
        loaded = worker.slots[role].current
        status, message, predictions, inputs = 200, None, None, None
        body = b""
        try:
            body = await self.body(request)
            data = protocol.parse(body, request.headers.get("content-type"), loaded.schema,
                                  loaded.input_schema)
        except HTTPError as exc:
            status, message = exc.status, exc.message
        except protocol.BadInput as exc:
            status, message = 400, str(exc)
        else:
            try:
                predictions, inputs = await worker.batchers[role].predict(loaded, data)
            except Exception as exc:  # noqa: BLE001 - the model raised
                status, message = 500, f"the model failed to predict: {type(exc).__name__}"
                LOG.error("POST /invocations 500 request_id=%s model=%s version=%s: %s",
                          request_id, self.settings.model, loaded.version, _line(exc))
        if status == 200:
            response = self.respond(protocol.render(predictions), 200, request_id,
                                    loaded.version)
        else:
            response = self.error(status, message, request_id, loaded.version)
        latency_ms = (time.perf_counter() - started) * 1000.0
        worker.record(role, loaded.version, status, latency_ms, predictions)
        self.log(role, loaded, request_id, latency_ms, status, message, inputs, predictions)
        if "shadow" in worker.slots and status != 413 and body:
            task = asyncio.get_running_loop().create_task(
                self.shadow(body, request.headers.get("content-type"), request_id))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return response

    async def shadow(self, body: bytes, content_type: str | None, request_id: str) -> None:
        """The shadow variant predicts a copy; only its log row and metrics are kept."""
        worker = self.worker
        if worker is None:
            return
        started = time.perf_counter()
        loaded = worker.slots["shadow"].current
        status, message, predictions, inputs = 200, None, None, None
        try:
            data = protocol.parse(body, content_type, loaded.schema, loaded.input_schema)
            predictions, inputs = await worker.batchers["shadow"].predict(loaded, data)
        except protocol.BadInput as exc:
            status, message = 400, str(exc)
        except Exception as exc:  # noqa: BLE001
            status, message = 500, f"the model failed to predict: {type(exc).__name__}"
        latency_ms = (time.perf_counter() - started) * 1000.0
        worker.record("shadow", loaded.version, status, latency_ms, predictions)
        self.log("shadow", loaded, request_id, latency_ms, status, message, inputs,
                 predictions)

    def log(self, role, loaded, request_id, latency_ms, status, message, inputs,
            predictions) -> None:
        """Append the request's record to the inference log (never blocks)."""
        log = self.worker.log if self.worker is not None else None
        if log is None:
            return
        import pandas as pd

        from ..inference.log import RequestRecord

        if inputs is not None and not isinstance(inputs, pd.DataFrame):
            inputs = None
        try:
            log.append(RequestRecord(
                request_id=request_id, timestamp=time.time(), model=self.settings.model,
                alias=loaded.alias, version=loaded.version, variant=role,
                latency_ms=latency_ms, status=status, error=message, inputs=inputs,
                predictions=predictions if isinstance(predictions, list) else None))
        except Exception as exc:  # noqa: BLE001 - logging never fails a request
            LOG.warning("mlops serve: cannot log request %s: %s", request_id, _line(exc))

    async def feedback(self, request: Request, request_id: str) -> Response:
        worker = self.require_worker()
        if worker.log is None:
            raise HTTPError(400, "the inference log is off (--no-log): feedback is not kept")
        try:
            payload = json.loads(await self.body(request))
        except (ValueError, UnicodeDecodeError):
            raise HTTPError(400, "the body is not valid JSON") from None
        entries = payload if isinstance(payload, list) else [payload]
        labels = [label for entry in entries for label in _feedback(entry)]
        accepted = sum(bool(worker.log.add_feedback(rid, label, row=row))
                       for rid, label, row in labels)
        return self.respond({"accepted": accepted, "dropped": len(labels) - accepted}, 200,
                            request_id)

    async def not_found(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        message = "method not allowed" if status == 405 else "no such route"
        return self.error(status, message, self.request_id(request))


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float)) or \
        (isinstance(value, str) and len(value) <= 1000)


def _feedback(entry: Any) -> list[tuple[str, Any, int | None]]:
    if not isinstance(entry, dict):
        raise HTTPError(400, "feedback must be an object or a list of objects")
    request_id = entry.get("request_id")
    if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
        raise HTTPError(400, "feedback needs a request_id (1-64 of A-Z a-z 0-9 . _ -)")
    if "labels" in entry:
        labels = entry["labels"]
        if not isinstance(labels, list) or not labels or not all(map(_scalar, labels)):
            raise HTTPError(400, "labels must be a non-empty list of numbers or strings")
        return [(request_id, label, row) for row, label in enumerate(labels)]
    if "label" not in entry or not _scalar(entry["label"]):
        raise HTTPError(400, "feedback needs a label (a number or a string) or labels")
    row = entry.get("row")
    if row is not None and (type(row) is not int or row < 0):
        raise HTTPError(400, "row must be a whole number ≥ 0")
    return [(request_id, entry["label"], row)]


def _line(exc: BaseException) -> str:
    text = (str(exc).splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _configure_logging() -> None:
    if not LOG.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)
        LOG.propagate = False


def build(settings: Settings, token: str) -> Lifespan:
    """The application of one worker."""
    _configure_logging()
    endpoint = Endpoint(settings, token)

    guarded = endpoint.guarded
    routes = [
        Route("/invocations", guarded(endpoint.invocations), methods=["POST"]),
        Route("/feedback", guarded(endpoint.feedback), methods=["POST"]),
        Route("/health", guarded(endpoint.health, auth=False), methods=["GET"]),
        Route("/ping", guarded(endpoint.health, auth=False), methods=["GET"]),
        Route("/version", guarded(endpoint.version_route), methods=["GET"]),
        Route("/metrics", guarded(endpoint.metrics_route), methods=["GET"]),
    ]
    app = Starlette(routes=routes,
                    exception_handlers={404: endpoint.not_found, 405: endpoint.not_found})
    app.state.endpoint = endpoint
    return Lifespan(app, endpoint)


class Lifespan:
    """The ASGI app with this endpoint's startup (load the models) and shutdown (finish
    shadow work, flush the log). A failed startup is reported as one line."""

    def __init__(self, app: Starlette, endpoint: Endpoint):
        self.app = app
        self.endpoint = endpoint
        self.state = app.state

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        endpoint = self.endpoint
        await receive()  # lifespan.startup
        try:
            from .worker import Worker

            worker = await asyncio.get_running_loop().run_in_executor(
                None, Worker, endpoint.settings)
            await worker.start()
        except Exception as exc:  # noqa: BLE001 - one line, no traceback
            gc.enable()
            await send({"type": "lifespan.startup.failed",
                        "message": f"mlops serve: cannot start: {_line(exc)}"})
            return
        endpoint.worker = worker
        # Everything loaded so far (MLflow, scikit-learn, the model: millions of
        # objects) is moved out of the collector's reach: a full collection then
        # scans only what requests allocate, instead of pausing every request for
        # tens of milliseconds. The collector was off while all that was imported
        # and loaded (see create_app); it is back on from here.
        gc.collect()
        gc.freeze()
        gc.enable()
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        try:
            if endpoint._background:  # shadow predictions still running
                await asyncio.wait(list(endpoint._background), timeout=10)
            endpoint.worker = None
            await worker.stop()
        finally:
            await send({"type": "lifespan.shutdown.complete"})


def create_app() -> Lifespan:
    """The uvicorn factory: settings and token from the environment.

    The cyclic garbage collector is switched off until the models are loaded (the
    startup turns it back on after one full collection): imports and loading allocate
    millions of long-lived objects, and the collections they trigger scan them all
    over again (~0.5 s of a ~3 s start). ``mlops serve`` does the same before it
    imports anything heavy.
    """
    gc.disable()
    token = os.environ.get(config.SERVE_TOKEN_ENV)
    if not token:
        raise RuntimeError(f"${config.SERVE_TOKEN_ENV} is not set")
    return build(from_env(), token)
