"""Parameter overrides of a pipeline run (``--param STEP.NAME=VALUE``, a REST body, a
schedule): parsed and checked against the spec, every error reported at once."""

from __future__ import annotations

import json
from typing import Any

from .. import names
from .parameters import is_plain_value, malformed_references, references
from .spec import PipelineSpec, SpecError


def parse_overrides(pairs: list[str], spec: PipelineSpec) -> dict[str, dict[str, Any]]:
    """``step.name=value`` words → {step: {name: value}}.

    A value is read as JSON when it is JSON (``0.5``, ``true``, ``[1, 2]``,
    ``"quoted"``), else kept as text, so ``yes``, ``2024-01-01`` or ``#x`` stay strings.

    Raises:
        SpecError: malformed pairs, unknown steps, names that are not identifiers,
            non-finite numbers, references to outputs the step does not depend on;
            all at once.
    """
    parsed: list[tuple[str, Any, Any, Any] | str] = []
    for pair in pairs:
        target, sep, text = pair.partition("=")
        step_name, dot, name = target.rpartition(".")
        if not sep or not dot or not step_name or not name:
            parsed.append(f"--param {_short(pair)}: expected STEP.NAME=VALUE")
            continue
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            value = text
        parsed.append((_short(pair), step_name, name, value))
    return _check_overrides(parsed, spec)


def validate_overrides(overrides: dict[str, dict[str, Any]],
                       spec: PipelineSpec) -> dict[str, dict[str, Any]]:
    """Overrides already split into {step: {name: value}} (a REST body, a schedule):
    checked by the same rules as ``--param``, with names taken as given, never
    re-split at ``=`` or ``.``.

    Raises:
        SpecError: as :func:`parse_overrides`.
    """
    if not isinstance(overrides, dict) or not all(
            isinstance(values, dict) for values in overrides.values()):
        raise SpecError("--param", ["expected a mapping of step names to {name: value}"])
    parsed = [(_short(f"{step}.{name}"), step, name, value)
              for step, values in overrides.items() for name, value in values.items()]
    return _check_overrides(parsed, spec)


def _check_overrides(parsed: list[tuple[str, Any, Any, Any] | str],
                     spec: PipelineSpec) -> dict[str, dict[str, Any]]:
    """(label, step, name, value) entries → overrides; a str entry is an error already
    found while splitting. Every error is reported, in order."""
    errors: list[str] = []
    overrides: dict[str, dict[str, Any]] = {}
    for entry in parsed:
        if isinstance(entry, str):
            errors.append(entry)
            continue
        label, step_name, name, value = entry
        if step_name not in spec.steps:
            errors.append(f"--param {label}: unknown step {_short(step_name)}")
            continue
        if not names.is_parameter_name(name):
            errors.append(f"--param {label}: {_short(name)} is not a valid parameter name")
            continue
        if not is_plain_value(value):
            errors.append(f"--param {label}: not a finite number or plain value (quote it)")
            continue
        for bad in malformed_references(value):
            errors.append(f"--param {label}: {_short(bad)} is not ${{steps.STEP.outputs.NAME}}")
        for ref_step, output in references(value):
            upstream = spec.steps.get(ref_step)
            if upstream is None or output not in upstream.outputs:
                errors.append(f"--param {label}: no output {output!r} of step {ref_step!r}")
            elif ref_step not in spec.steps[step_name].needs:
                errors.append(f"--param {label}: step {step_name!r} does not need "
                              f"{ref_step!r}; add it to its needs in the pipeline file")
        overrides.setdefault(step_name, {})[name] = value
    if errors:
        raise SpecError("--param", errors)
    return overrides


def _short(value: Any, limit: int = 60) -> str:
    """``repr`` of at most ``limit`` characters of ``value`` (messages never echo a
    whole hostile value back)."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")
