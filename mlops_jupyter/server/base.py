"""The base class of every mlops-jupyter REST handler, and how a handler declares its
contract and gets its service.

**Errors**: JSON ``{"error": "<one line>"}``, never a traceback or an absolute path.

**Contract**: a handler declares, per HTTP method, what it reads and answers, as a
class attribute ``contract`` mapping the lower-case method name to an
:class:`Endpoint`::

    class PromoteHandler(MLOpsHandler):
        service_setting = SERVICE_SETTING
        contract = {"post": Endpoint("Promote a version through the gate",
                                     body=PromoteRequest, response=PromoteResult)}

* ``body`` / ``query``: the pydantic models of the request body / query arguments
  (read them with :meth:`MLOpsHandler.body` / :meth:`MLOpsHandler.query`);
* ``response``: the reply model and ``status`` its success status (render it with
  :meth:`MLOpsHandler.render`); errors are always the ``Error`` schema;
* ``executes=True`` marks an operation that runs user code (a pipeline, a notebook):
  it is documented but not fuzzed.

:mod:`mlops_jupyter.server.openapi` walks the handlers the app registers
(:func:`mlops_jupyter.server.app.api_handlers`) and builds the OpenAPI document from
these declarations alone; the path parameters come from the URL pattern's groups,
named after the method's arguments. A handler method without a declaration is left
out of the document (and a test lists which ones are).

**Service**: a handler reads its service from one settings key, ``service_setting``,
which the app fills once at start-up from a swappable traitlets ``Type``
(:class:`~mlops_jupyter.server.app.MLOpsExtensionApp`); :attr:`MLOpsHandler.service`
returns it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.client import responses
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from jupyter_server.base.handlers import APIHandler
from pydantic import BaseModel
from tornado import web

from .. import config, paths
from ..contracts import Reply
from ..exceptions import MLOpsError, UsageError
from .schemas import parse_body, parse_query, quote

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Endpoint:
    """What one HTTP method of a handler reads and answers (see the module docstring).

    Attributes:
        summary: one line for the OpenAPI document.
        response: the reply model (None: no JSON body, e.g. a page or a 204).
        body: the request body model, or None.
        query: the query arguments model, or None.
        status: the success status.
        media_type: the success reply's media type.
        executes: the operation runs user code (documented, not fuzzed).
    """

    summary: str
    response: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    media_type: str = "application/json"
    executes: bool = False


class MLOpsHandler(APIHandler):
    """An API handler whose every error is ``{"error": "<one line>"}``.

    * :class:`~mlops_jupyter.exceptions.MLOpsError` answers with its ``http_status``
      and its user-facing message.
    * Tornado's own errors (403, 404, 405, ...) keep their status and short message.
    * Anything else is a 500 with ``"internal error"``; the traceback goes to the
      server log only, so no path, token or stack frame reaches the client.
    """

    #: Per lower-case HTTP method, what it reads and answers (see the module docstring).
    contract: ClassVar[dict[str, Endpoint]] = {}
    #: The settings key of this handler's service (set by the app at start-up).
    service_setting: ClassVar[str | None] = None

    @property
    def service(self) -> Any:
        """This handler's service: the one object the app put under
        :attr:`service_setting` at start-up."""
        if self.service_setting is None or self.service_setting not in self.settings:
            raise RuntimeError(f"{type(self).__name__}: no service under "
                               f"{self.service_setting!r}; is the extension app loaded?")
        return self.settings[self.service_setting]

    def query(self, model: type[Model]) -> Model:
        """The query arguments as the declared ``model`` (the last value of each).

        Raises:
            UsageError: a value is not what ``model`` declares.
        """
        arguments = {name: self.get_query_argument(name)
                     for name in self.request.query_arguments}
        return parse_query(arguments, model)

    def render(self, reply: Reply, status: int = 200) -> None:
        """Finish with ``reply`` as JSON (:meth:`~mlops_jupyter.contracts.Reply.to_json`)
        and ``status``."""
        self.set_status(status)
        self.finish(reply.to_json())

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
            status_code, message = exception.http_status, self._scrub(exception.message)
        elif isinstance(exception, web.HTTPError) or exception is None:
            message = _http_error_message(exception, status_code)
        else:
            message = "internal error"
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps({"error": _one_line(message)}))

    def _scrub(self, message: str) -> str:
        """``message`` without the absolute spelling of the server root or the
        mlops-jupyter home (services name files relative to them)."""
        roots = [config.home_dir(create=False)]
        root_dir = self.settings.get("server_root_dir")
        if root_dir:
            roots.append(Path(root_dir).expanduser())
        return paths.scrub(message, *roots)


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
