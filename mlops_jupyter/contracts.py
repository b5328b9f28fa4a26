"""The building blocks of every REST contract: bounded field types and two base models.

Each domain declares its requests and replies in its own ``contracts`` module
(:mod:`mlops_jupyter.registry.contracts`, :mod:`mlops_jupyter.tracking.contracts`, ...)
from the pieces here, so a service returns the same model a handler renders and the
OpenAPI document (``mlops_jupyter.server.openapi``) describes. The class names are the
component names of that document and of the sidebar's generated TypeScript types:
keep them stable.

* :class:`Body` — a request: strict types, unknown fields refused, every string, list
  and mapping bounded, integers kept within 64 bits.
* :class:`Reply` — a response: plain types; fields a service adds beyond the declared
  ones are kept (``additionalProperties``), so the JSON a client reads never loses one.
  Every declared field is always sent (``required`` in the document, so the generated
  TypeScript needs no ``?``) except those a reply lists in ``sometimes``: a service may
  leave those out, and then they stay out.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
)

MAX_INT = 2**63 - 1
MAX_PATH_CHARS = 1024
MAX_NAME_CHARS = 128
MAX_TEXT_CHARS = 2000
MAX_ITEMS = 100
#: A parameter value, as JSON text, at most this long (a command line takes ~128 KiB
#: per argument; parameters are settings, not data).
MAX_VALUE_CHARS = 10_000


def _bounded_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("not a finite number")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        raise ValueError("a number beyond 64 bits")
    if len(json.dumps(value)) > MAX_VALUE_CHARS:
        raise ValueError(f"too long (at most {MAX_VALUE_CHARS} characters as JSON)")
    return value


Text = Annotated[StrictStr, Field(max_length=MAX_TEXT_CHARS)]
Name = Annotated[StrictStr, Field(max_length=MAX_NAME_CHARS)]
PathText = Annotated[StrictStr, Field(max_length=MAX_PATH_CHARS)]
Int64 = Annotated[StrictInt, Field(ge=-MAX_INT, le=MAX_INT)]
Number = Annotated[StrictInt | StrictFloat, Field(allow_inf_nan=False),
                   AfterValidator(_bounded_value)]
#: A parameter value: any plain JSON value, bounded (its depth by the body parser).
Value = Annotated[Any, AfterValidator(_bounded_value)]


class Body(BaseModel):
    """Base of every request body: unknown fields refused, nothing coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class Query(BaseModel):
    """Base of the query arguments of a GET: every value arrives as text, so whole
    numbers are converted; unknown arguments are ignored (as a browser may add some)."""

    model_config = ConfigDict(extra="ignore")


class Reply(BaseModel):
    """Base of every response: the declared fields, plus whatever else the service put
    in (kept, so a reply never loses a field a client reads)."""

    model_config = ConfigDict(extra="allow", json_schema_serialization_defaults_required=True)

    #: The declared fields a service may leave out of this reply.
    sometimes: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        """The schema, with the fields of :attr:`sometimes` not required."""
        schema = super().__get_pydantic_json_schema__(core_schema, handler)
        target = handler.resolve_ref_schema(schema)
        if cls.sometimes and "required" in target:
            target["required"] = [name for name in target["required"]
                                  if name not in cls.sometimes]
        return schema

    def to_json(self) -> dict[str, Any]:
        """The reply as JSON-ready data: field names as declared, only the fields the
        service set (so a reply is exactly what the service said)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


__all__ = [
    "MAX_INT", "MAX_ITEMS", "MAX_NAME_CHARS", "MAX_PATH_CHARS", "MAX_TEXT_CHARS",
    "MAX_VALUE_CHARS", "Body", "Int64", "Name", "Number", "PathText", "Query", "Reply",
    "Text", "Value",
]
