"""Step parameters: which names and values a step may take, and output references.

A parameter is injected into a notebook by papermill, so its name must be a Python
identifier and its value plain YAML/JSON data. A value may refer to an upstream
step's output as ``${steps.STEP.outputs.OUTPUT}``; the runner substitutes the path
before the step starts. Used by the spec, the run overrides and the schedules alike.
"""

from __future__ import annotations

import math
import re
from typing import Any

# Non-greedy step part: step names may contain dots (``${steps.a.b.outputs.o}``).
REFERENCE = re.compile(r"\$\{steps\.([^}]+?)\.outputs\.([^}]+)\}")
REFERENCE_START = "${steps."


def malformed_references(value: Any) -> list[str]:
    """Strings that start a ``${steps.`` reference but are not ``${steps.S.outputs.O}``."""
    if isinstance(value, str):
        return [value] if REFERENCE_START in REFERENCE.sub("", value) else []
    if isinstance(value, list):
        return [bad for item in value for bad in malformed_references(item)]
    if isinstance(value, dict):
        return [bad for item in value.values() for bad in malformed_references(item)]
    return []


def is_plain_value(value: Any) -> bool:
    """JSON/YAML scalars, lists and string-keyed dicts (no dates, sets, objects)."""
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(is_plain_value(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain_value(v) for k, v in value.items())
    return False


def references(value: Any) -> list[tuple[str, str]]:
    """``(step, output)`` pairs referenced as ``${steps.S.outputs.O}`` inside ``value``."""
    if isinstance(value, str):
        return REFERENCE.findall(value)
    if isinstance(value, list):
        return [ref for item in value for ref in references(item)]
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in references(item)]
    return []
