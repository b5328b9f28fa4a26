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
guarantees a bounded, well-typed input reaches them. (The pipeline and schedule
request bodies below still live here until they move to their domains' contracts.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, StrictBool, StrictStr, ValidationError

from ..contracts import (  # noqa: F401  (re-exported for the request bodies below)
    MAX_INT,
    MAX_ITEMS,
    MAX_NAME_CHARS,
    MAX_PATH_CHARS,
    MAX_TEXT_CHARS,
    MAX_VALUE_CHARS,
    Body,
    Int64,
    Name,
    Number,
    PathText,
    Text,
    Value,
)
from ..exceptions import UsageError
from ..scheduling import cron

#: The largest request body read at all (bytes).
MAX_BODY_BYTES = 1024 * 1024
#: The deepest nesting of lists/objects a body may have (a parameter value included).
MAX_DEPTH = 16
#: How much of a user's value an error message may quote.
QUOTE_CHARS = 40

MAX_CRON_CHARS = cron.MAX_LENGTH
MAX_ZONE_CHARS = cron.MAX_ZONE_LENGTH

Model = TypeVar("Model", bound=BaseModel)


# ------------------------------------------------------------------------- models
class PipelineRunRequest(Body):
    """``POST pipelines/runs``; ``params`` maps step → {parameter: value}."""

    path: PathText | None = Field(None, description="must be a string")
    force: StrictBool | None = Field(None, description="must be true or false")
    only: Annotated[list[Name], Field(max_length=MAX_ITEMS)] | None = Field(
        None, description="must be a list of step names")
    from_step: Name | None = Field(None, alias="from", description="must be a step name")
    params: Annotated[dict[Name, Annotated[dict[Name, Value], Field(max_length=MAX_ITEMS)]],
                      Field(max_length=MAX_ITEMS)] | None = Field(
        None, description="must map step names to objects of name: value")


class PipelineInitRequest(Body):
    """``POST pipelines/init``."""

    notebook: PathText | None = Field(None, description="must be a string")


class ScheduleRequest(Body):
    """``POST schedules``; ``params`` is ``["step.name=value", ...]`` or
    ``{"step.name": value}`` (``{"name": value}`` for a notebook)."""

    target: PathText | None = Field(None, description="must be a string")
    cron: Annotated[StrictStr, Field(max_length=MAX_CRON_CHARS)] | None = Field(
        None, description="must be a string")
    timezone: Annotated[StrictStr, Field(max_length=MAX_ZONE_CHARS)] | None = Field(
        None, description="must be an IANA time zone name")
    params: Annotated[list[Annotated[StrictStr, Field(max_length=MAX_VALUE_CHARS)]],
                      Field(max_length=MAX_ITEMS)] | Annotated[
        dict[Name, Value], Field(max_length=MAX_ITEMS)] | None = Field(
        None, description="must be a list of NAME=VALUE strings or an object of NAME: value")
    missed: Annotated[StrictStr, Field(max_length=32)] | None = Field(
        None, description="must be a string")
    name: Annotated[StrictStr, Field(max_length=MAX_NAME_CHARS)] | None = Field(
        None, description="must be a string")


class PreviewRequest(Body):
    """``POST schedules/preview``."""

    cron: Annotated[StrictStr, Field(max_length=MAX_CRON_CHARS)] | None = Field(
        None, description="must be a string")
    timezone: Annotated[StrictStr, Field(max_length=MAX_ZONE_CHARS)] | None = Field(
        None, description="must be an IANA time zone name")


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


__all__ = [
    "PipelineInitRequest", "PipelineRunRequest", "PreviewRequest", "ScheduleRequest",
    "load_json", "parse_body", "parse_query", "quote",
]
