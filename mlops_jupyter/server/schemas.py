"""The one parser of REST request bodies and query arguments, and its limits.

Each domain declares its request bodies in its own ``contracts`` module (e.g.
:mod:`mlops_jupyter.registry.contracts`), built from the bounded types of
:mod:`mlops_jupyter.contracts`: strict types, every string, list and mapping bounded,
integers kept within 64 bits, unknown fields refused. A request is read only through
:func:`parse_body` (a body) or :func:`parse_query` (query arguments):

* :func:`parse_body` refuses a body larger than :data:`MAX_BODY_BYTES` before reading
  it as JSON; parses the JSON with nesting bounded (a body nested 100 000 deep makes
  Python's parser raise RecursionError; that, and anything deeper than
  :data:`MAX_DEPTH`, is a 400) and refuses lone surrogates (``"\\ud800"``), which no
  file name, database or subprocess can take;
* both turn the first validation failure into one
  :class:`~mlops_jupyter.exceptions.UsageError` line naming the field, never echoing
  more than a short prefix of what was sent.

Services still validate meaning (names, paths, cron, overrides): the schema only
guarantees a bounded, well-typed input reaches them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..exceptions import UsageError

#: The largest request body read at all (bytes).
MAX_BODY_BYTES = 1024 * 1024
#: The deepest nesting of lists/objects a body may have (a parameter value included).
MAX_DEPTH = 16
#: How much of a user's value an error message may quote.
QUOTE_CHARS = 40

Model = TypeVar("Model", bound=BaseModel)


# ------------------------------------------------------------------------ parsing
def parse_body(raw: bytes | None, model: type[Model]) -> Model:
    """The request body ``raw`` as ``model``; an empty body is ``{}``.

    Raises:
        UsageError: too large, not JSON, too deep, a lone surrogate, not an object,
            or not what ``model`` declares (one line, naming the field).
    """
    if raw is not None and len(raw) > MAX_BODY_BYTES:
        raise UsageError(f"the request body is too large (at most {MAX_BODY_BYTES} bytes)")
    data = load_json(raw or b"{}")
    if not isinstance(data, dict):
        raise UsageError("the request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UsageError(_message(exc, model, data)) from None


def parse_query(arguments: Mapping[str, str], model: type[Model]) -> Model:
    """The query ``arguments`` (name -> the last value given) as ``model``; arguments
    the model does not declare are ignored, an empty value counts as absent.

    Raises:
        UsageError: a value is not what ``model`` declares (one line, naming it).
    """
    data = {name: value for name, value in arguments.items()
            if name in model.model_fields and value != ""}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        name = str((first.get("loc") or ("",))[0])
        raw = data.get(name, "")
        if first.get("type") in ("int_parsing", "int_from_float"):
            raise UsageError(f"{name} must be a whole number, not {quote(raw)}") from None
        raise UsageError(_message(exc, model, data)) from None


def load_json(raw: bytes | str) -> Any:
    """Parse JSON text with its nesting and its strings checked.

    Raises:
        UsageError: not JSON, nested deeper than :data:`MAX_DEPTH`, or holding a lone
            surrogate.
    """
    try:
        data = json.loads(raw)
    except RecursionError:
        raise UsageError(f"the request body is nested too deeply (at most {MAX_DEPTH} "
                         "levels)") from None
    except (ValueError, UnicodeDecodeError):
        raise UsageError("the request body must be JSON") from None
    _check_tree(data)
    return data


def _check_tree(data: Any) -> None:
    """Depth and Unicode of a parsed JSON value, walked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, (list, dict)):
            if depth > MAX_DEPTH:
                raise UsageError(f"the request body is nested too deeply (at most "
                                 f"{MAX_DEPTH} levels)")
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError("the request body holds invalid Unicode (a lone surrogate)") from None


def _location(data: Any, loc: tuple) -> list[str]:
    """The parts of a pydantic error location that name keys or indexes of ``data``
    (pydantic adds the names of union members, such as ``'str'``, in between)."""
    found: list[str] = []
    current = data
    for part in loc:
        in_dict = isinstance(current, dict) and isinstance(part, str) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if in_dict or in_list:
            current = current[part]
        elif found or not isinstance(current, dict):
            continue
        found.append(str(part))
    return found


def quote(value: Any) -> str:
    """``repr`` of at most :data:`QUOTE_CHARS` characters of ``value``."""
    text = str(value)
    return repr(text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "...")


def _message(error: ValidationError, model: type[BaseModel], data: Any) -> str:
    """One line for the first problem: the field and what it must be."""
    first = error.errors(include_url=False, include_input=False)[0]
    location = _location(data, first.get("loc", ()))
    kind = first.get("type", "")
    fields = model.model_fields
    by_alias = {info.alias or name: name for name, info in fields.items()}
    field = location[0] if location else ""
    if kind == "extra_forbidden":
        names = ", ".join(info.alias or name for name, info in fields.items())
        return f"unknown field {quote(field)} (fields: {names})"
    info = fields.get(by_alias.get(field, field))
    where = field if info is not None else "the request"
    if kind in ("string_too_long", "too_long"):
        limit = (first.get("ctx") or {}).get("max_length")
        part = " ".join(location[1:2])
        subject = f"{where} {quote(part)}" if part and not part.isdigit() else where
        unit = "characters" if kind == "string_too_long" else "items"
        return f"{subject} is too long (at most {limit} {unit})"
    if kind == "value_error" and len(location) > 1:
        reason = str((first.get("ctx") or {}).get("error", "")) or first.get("msg", "")
        return f"{where} {quote('.'.join(location[1:3]))}: {reason}"[:300]
    if info is not None and info.description:
        return f"{where} {info.description}"
    return f"{where}: {first.get('msg', 'invalid')}"[:300]


__all__ = ["MAX_BODY_BYTES", "MAX_DEPTH", "load_json", "parse_body", "parse_query", "quote"]
