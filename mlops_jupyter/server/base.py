"""The base class of every mlops-jupyter REST handler: JSON errors, never tracebacks."""

from __future__ import annotations

import json
from http.client import responses
from typing import Any, TypeVar

from jupyter_server.base.handlers import APIHandler
from pydantic import BaseModel
from tornado import web

from ..exceptions import MLOpsError, UsageError
from .schemas import parse_body, quote

Model = TypeVar("Model", bound=BaseModel)


class MLOpsHandler(APIHandler):
    """An API handler whose every error is ``{"error": "<one line>"}``.

    * :class:`~mlops_jupyter.exceptions.MLOpsError` answers with its ``http_status``
      and its user-facing message.
    * Tornado's own errors (403, 404, 405, ...) keep their status and short message.
    * Anything else is a 500 with ``"internal error"``; the traceback goes to the
      server log only, so no path, token or stack frame reaches the client.
    """

    def get_int_argument(self, name: str, default: int) -> int:
        """Return the query argument ``name`` as an int, or ``default`` when absent.

        Raises:
            UsageError: the argument is present but not a whole number.
        """
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            return int(raw, 10)
        except ValueError:
            raise UsageError(f"{name} must be a whole number, not {raw[:40]!r}") from None

    def body(self, model: type[Model]) -> Model:
        """The request body as the declared ``model`` (see :mod:`.schemas`).

        Raises:
            UsageError: too large, not JSON, too deep, or not what ``model`` declares.
        """
        return parse_body(self.request.body, model)

    async def prepare(self):
        """Refuse over-long or undecodable path segments and query values up front,
        before any handler passes them to a file system, a database or MLflow."""
        await super().prepare()
        if self.current_user is None:
            return  # the handler's @web.authenticated answers first
        for value in self.path_args or ():
            _check_argument("a path segment", value, MAX_SEGMENT_CHARS)
        for name, values in self.request.query_arguments.items():
            _check_argument("a query argument name", name, MAX_SEGMENT_CHARS)
            for raw in values:
                _check_argument(f"query argument {quote(name)}", raw, MAX_QUERY_CHARS)

    def log_exception(self, typ, value, tb) -> None:
        """Log user-caused errors in one line; keep full tracebacks for real faults."""
        if isinstance(value, MLOpsError):
            self.log.warning(
                "%s %s -> %s: %s", self.request.method, self.request.path, value.http_status, value
            )
        else:
            super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Render any error as ``{"error": message}`` with the right status."""
        exception = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exception, MLOpsError):
            status_code, message = exception.http_status, exception.message
        elif isinstance(exception, web.HTTPError) or exception is None:
            message = _http_error_message(exception, status_code)
        else:
            message = "internal error"
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps({"error": _one_line(message)}))


#: The longest path segment (a file name's limit on common file systems) and query value.
MAX_SEGMENT_CHARS = 255
MAX_QUERY_CHARS = 2048


def _check_argument(what: str, value: str | bytes, limit: int) -> None:
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"{what} is not valid UTF-8") from None
    if len(value) > limit:
        raise UsageError(f"{what} is too long (at most {limit} characters)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{what} holds invalid Unicode (a lone surrogate)") from None


#: The longest error message a client gets (services quote short prefixes already;
#: this bounds whatever slips through).
MAX_ERROR_CHARS = 500


def _one_line(message: str) -> str:
    line = " ".join(str(message).splitlines()).strip() or "error"
    return line if len(line) <= MAX_ERROR_CHARS else line[:MAX_ERROR_CHARS - 3] + "..."


def _http_error_message(exception: web.HTTPError | None, status_code: int) -> str:
    if exception is not None and exception.log_message:
        try:
            return exception.log_message % exception.args
        except (TypeError, ValueError):
            return exception.log_message
    return responses.get(status_code, "error")
