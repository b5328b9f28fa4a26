"""The OpenAPI 3.1 document of the mlops-jupyter REST API, generated from the handlers'
declared contracts (see :mod:`mlops_jupyter.server.base`), and the handler serving it.

* ``GET /mlops-jupyter/openapi.json`` (authenticated) answers the document.
* ``python -m mlops_jupyter.server.openapi --write labextension/openapi.json`` writes
  it; the sidebar's TypeScript types are generated from that file at build time, and a
  test checks the committed file equals what this module generates.

Component names are the pydantic class names of the contracts, plus ``Error``
(``{"error": "<one line>"}``, the body of every 4xx/5xx answer).
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from tornado import web

from .base import Endpoint, MLOpsHandler
from .routes import URL_NAMESPACE, api_handlers

OPENAPI_VERSION = "3.1.0"
#: The version of the REST contract (not of the package): bump on a breaking change.
API_VERSION = "1"
TITLE = "mlops-jupyter REST API"
REF_TEMPLATE = "#/components/schemas/{model}"
METHODS = ("get", "put", "post", "patch", "delete")
ERROR_SCHEMA = {
    "type": "object",
    "title": "Error",
    "description": "Every error: one line, never a traceback, token or absolute path.",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}
#: A path segment as the server accepts it (see MLOpsHandler.prepare).
SEGMENT_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^/]+$"}
_GROUP = re.compile(r"\((?:[^()\\]|\\.)*\)")
_CHOICES = re.compile(r"\(([A-Za-z0-9_-]+(?:\|[A-Za-z0-9_-]+)*)\)")


def _segment_schema(group: str) -> dict[str, Any]:
    """A path parameter's schema: the choices of ``(a|b|c)``, else any segment."""
    choices = _CHOICES.fullmatch(group)
    if choices:
        return {"type": "string", "enum": choices.group(1).split("|")}
    return dict(SEGMENT_SCHEMA)


def declared_operations(handlers: list[tuple[str, type]]
                        ) -> list[tuple[str, str, type, Endpoint]]:
    """``(pattern, method, handler, endpoint)`` of every declared operation."""
    found = []
    for pattern, handler in handlers:
        for method, endpoint in (getattr(handler, "contract", None) or {}).items():
            if method not in METHODS or not callable(getattr(handler, method, None)):
                raise ValueError(f"{handler.__name__}.contract declares {method!r}, "
                                 "which it does not implement")
            found.append((pattern, method, handler, endpoint))
    return found


def undeclared_operations(handlers: list[tuple[str, type]]) -> list[str]:
    """``"METHOD pattern"`` of every handler method that declares no contract."""
    missing = []
    for pattern, handler in handlers:
        contract = getattr(handler, "contract", None) or {}
        for method in METHODS:
            implemented = getattr(handler, method, None)
            base = getattr(web.RequestHandler, method, None)
            if implemented is None or getattr(implemented, "__func__", implemented) is base:
                continue
            if method not in contract:
                missing.append(f"{method.upper()} {pattern}")
    return missing


def openapi_path(pattern: str, handler: type, method: str
                 ) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """The OpenAPI path of a tornado ``pattern`` and its parameters (named after the
    method's arguments, in order) with their schemas."""
    function = getattr(handler, method)
    names = [name for name in inspect.signature(function).parameters if name != "self"]
    groups = _GROUP.findall(pattern)
    if len(groups) != len(names):
        raise ValueError(f"{handler.__name__}.{method}: {len(groups)} URL groups but "
                         f"arguments {names}")
    path = pattern
    for group, name in zip(groups, names):
        path = path.replace(group, "{" + name + "}", 1)
    path = path.rstrip("?").rstrip("/").lstrip("^").rstrip("$")
    return f"/{URL_NAMESPACE}{path}", [(name, _segment_schema(group))
                                        for name, group in zip(names, groups)]


def _operation_id(handler: type, method: str) -> str:
    return method + handler.__name__.removesuffix("Handler")


def _query_schema(field: dict[str, Any]) -> dict[str, Any]:
    """A query argument's schema: an absent argument is None, so ``X | None`` is X."""
    schema = {key: value for key, value in field.items()
              if key not in ("description", "title") and not (key == "default" and
                                                              value is None)}
    branches = [branch for branch in schema.pop("anyOf", [])
                if branch != {"type": "null"}]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches
    return schema


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required,
             **({"description": field["description"]} if "description" in field else {}),
             "schema": _query_schema(field)}
            for name, field in schema.get("properties", {}).items()]


def _error_responses() -> dict[str, Any]:
    reply = {"content": {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(
        model="Error")}}}}
    return {"4XX": {"description": "bad input, unknown, forbidden or a conflict", **reply},
            "503": {"description": "the store is locked or does not answer", **reply}}


def build_document(handlers: list[tuple[str, type]]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``handlers`` (``(pattern, handler)`` relative to
    ``/mlops-jupyter``) from their declared contracts."""
    operations = declared_operations(handlers)
    wanted: list[tuple[type[BaseModel], str]] = []
    for _, _, _, endpoint in operations:
        for model, mode in ((endpoint.body, "validation"), (endpoint.response, "serialization")):
            if model is not None and (model, mode) not in wanted:
                wanted.append((model, mode))
    refs, definitions = models_json_schema(wanted, ref_template=REF_TEMPLATE)
    schemas = dict(sorted(definitions.get("$defs", {}).items()))
    schemas["Error"] = ERROR_SCHEMA

    paths: dict[str, dict[str, Any]] = {}
    for pattern, method, handler, endpoint in operations:
        path, path_parameters = openapi_path(pattern, handler, method)
        operation: dict[str, Any] = {
            "operationId": _operation_id(handler, method),
            "summary": endpoint.summary,
            "tags": [handler.__module__.rsplit(".", 1)[-1]],
        }
        parameters = [{"name": name, "in": "path", "required": True, "schema": schema}
                      for name, schema in path_parameters]
        if endpoint.query is not None:
            parameters += _query_parameters(endpoint.query)
        if parameters:
            operation["parameters"] = parameters
        if endpoint.body is not None:
            operation["requestBody"] = {"required": False, "content": {
                "application/json": {"schema": refs[(endpoint.body, "validation")]}}}
        success: dict[str, Any] = {"description": endpoint.summary}
        if endpoint.response is not None:
            success["content"] = {endpoint.media_type: {
                "schema": refs[(endpoint.response, "serialization")]}}
        elif endpoint.media_type != "application/json":
            success["content"] = {endpoint.media_type: {"schema": {"type": "string"}}}
        operation["responses"] = {str(endpoint.status): success, **_error_responses()}
        if endpoint.executes:
            operation["x-executes-code"] = True
        paths.setdefault(path, {})[method] = operation

    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": TITLE, "version": API_VERSION,
                 "description": "The REST API the mlops-jupyter JupyterLab sidebar "
                                "uses, served by the Jupyter server extension."},
        "security": [{"token": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {"token": {
                "type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Jupyter's token: 'token <TOKEN>' (or the login cookie)"}},
        },
    }


def document_text(handlers: list[tuple[str, type]] | None = None) -> str:
    """The document as the text committed in ``labextension/openapi.json``."""
    document = build_document(api_handlers() if handlers is None else handlers)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


#: The settings key under which the served document is kept once built.
DOCUMENT_SETTING = "mlops_jupyter.openapi_document"


class OpenAPIHandler(MLOpsHandler):
    """``GET /openapi.json``: the OpenAPI document of this REST API."""

    auth_resource = "mlops_api"

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        if DOCUMENT_SETTING not in self.settings:
            self.settings[DOCUMENT_SETTING] = build_document(api_handlers())
        self.finish(self.settings[DOCUMENT_SETTING])


handlers = [(r"/openapi.json", OpenAPIHandler)]


def main(argv: list[str] | None = None) -> int:
    """``python -m mlops_jupyter.server.openapi [--write PATH | --check PATH]``."""
    parser = argparse.ArgumentParser(prog="python -m mlops_jupyter.server.openapi",
                                     description="Print, write or check the OpenAPI "
                                                 "document of the mlops-jupyter REST API.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="PATH", help="write the document to PATH")
    group.add_argument("--check", metavar="PATH",
                       help="exit 1 when PATH differs from the generated document")
    args = parser.parse_args(argv)
    text = document_text()
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
    elif args.check:
        path = Path(args.check)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            print(f"{args.check} is out of date: run python -m mlops_jupyter.server.openapi "
                  f"--write {args.check}", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
