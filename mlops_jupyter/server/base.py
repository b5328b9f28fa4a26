"""The base class of every mlops-jupyter REST handler: JSON errors, never tracebacks."""

from __future__ import annotations

import json
from http.client import responses
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from ..exceptions import MLOpsError, UsageError


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

    def json_body(self, fields: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
        """The request body as a JSON object whose known fields have the right types.

        Raises:
            UsageError: not JSON, not an object, an unknown field or a wrong type.
        """
        try:
            body = json.loads(self.request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise UsageError("the request body must be JSON") from None
        if not isinstance(body, dict):
            raise UsageError("the request body must be a JSON object")
        unknown = sorted(set(body) - set(fields))
        if unknown:
            raise UsageError(f"unknown field {unknown[0][:40]!r} "
                             f"(fields: {', '.join(fields)})")
        for name, kinds in fields.items():
            value = body.get(name)
            if value is None:
                continue
            kinds = kinds if isinstance(kinds, tuple) else (kinds,)
            if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
                expected = " or ".join(_TYPE_NAMES.get(kind, kind.__name__) for kind in kinds)
                raise UsageError(f"{name} must be {expected}")
        return body

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
        self.finish(json.dumps({"error": message}))


_TYPE_NAMES = {str: "a string", bool: "true or false", list: "a list", dict: "an object"}


def _http_error_message(exception: web.HTTPError | None, status_code: int) -> str:
    if exception is not None and exception.log_message:
        try:
            return exception.log_message % exception.args
        except (TypeError, ValueError):
            return exception.log_message
    return responses.get(status_code, "error")
