"""Turning user input into a valid schedule: target, cron, zone, parameters, policy.

Shared by the CLI (paths relative to the working directory) and the server (paths
relative to its root, which they may not leave). Nothing is written here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import names, paths
from ..exceptions import NotFoundError, UsageError
from . import cron

MISSED_POLICIES = ("skip", "catch_up_once")
RESERVED_NAMES = {"presets", "preview", "targets"}  # REST paths beside /schedules/{name}
PIPELINE_SUFFIXES = (".yaml", ".yml")


def resolve_target(target: str, root: Path | None = None) -> tuple[str, Path]:
    """(``"pipeline"``, ``"monitor"`` or ``"notebook"``, absolute path) of a target.

    With ``root`` (the server), ``target`` is relative to it and may not leave it;
    without, it is relative to the working directory.

    Raises:
        UsageError: not a pipeline file or notebook, or outside the root.
        NotFoundError: no such file.
    """
    if not isinstance(target, str) or not target.strip():
        raise UsageError("the target must be a pipeline file or a notebook path")
    if root is not None:
        path = paths.inside(root, target)
        if path is None:
            raise UsageError("the target must be a path inside the server root")
    else:
        path = Path(target).expanduser().resolve()
    if path.suffix in PIPELINE_SUFFIXES:
        kind = "pipeline"
    elif path.suffix == ".ipynb":
        kind = "notebook"
    else:
        raise UsageError(f"{_short(target)} is neither a pipeline file (.yaml) nor a notebook")
    try:
        found = path.is_file()
    except OSError:  # e.g. a name longer than the file system allows
        raise UsageError(f"the target {_short(target)} cannot be opened") from None
    if not found:
        raise NotFoundError(f"no file {_short(target)}")
    if kind == "pipeline":
        from ..monitoring.spec import is_monitor_file, load_monitor

        if is_monitor_file(path):  # a monitor.yaml: a drift check on a schedule
            load_monitor(path)
            kind = "monitor"
    return kind, path


def _parameters(kind: str, path: Path, params: list[str] | dict[str, Any]) -> dict[str, Any]:
    """Validated parameters: ``step.name`` keys for pipelines, ``name`` for notebooks.

    A list holds ``NAME=VALUE`` words (the CLI's ``--param``), split at the first
    ``=``; a mapping's keys are taken as given — never re-split at ``=`` — and must be
    identifiers (``step.identifier`` for a pipeline).
    """
    from ..pipelines.overrides import parse_overrides, validate_overrides
    from ..pipelines.spec import load_spec

    if isinstance(params, dict):
        if not all(isinstance(key, str) for key in params):
            raise UsageError("parameter names must be strings")
        items = list(params.items())
        pairs = None
    elif isinstance(params, (list, tuple)) and all(isinstance(p, str) for p in params):
        items = None
        pairs = list(params)
    else:
        raise UsageError("parameters must be a mapping or a list of NAME=VALUE")
    if kind == "monitor":
        if items or pairs:
            raise UsageError("a monitor file takes no parameters; edit the file instead")
        return {}
    if kind == "pipeline":
        spec = load_spec(path)
        if pairs is not None:
            overrides = parse_overrides(pairs, spec)
        else:
            split: dict[str, dict[str, Any]] = {}
            for key, value in items:
                step, dot, name = key.rpartition(".")
                if not dot or not step:
                    raise UsageError(f"parameter {_short(key)}: expected STEP.NAME with NAME "
                                     "a Python identifier")
                split.setdefault(step, {})[name] = value
            overrides = validate_overrides(split, spec)
        return {f"{step}.{name}": value for step, values in overrides.items()
                for name, value in values.items()}
    if items is None:
        items = []
        for pair in pairs:
            name, sep, text = pair.partition("=")
            if not sep:
                raise UsageError(f"parameter {_short(pair)}: expected NAME=VALUE with NAME a "
                                 "Python identifier")
            items.append((name, _loads(text)))
    return _notebook_parameters(items)


def _notebook_parameters(items: list[tuple[str, Any]]) -> dict[str, Any]:
    from ..pipelines.parameters import is_plain_value

    found: dict[str, Any] = {}
    for name, value in items:
        if not names.is_parameter_name(name):
            raise UsageError(f"parameter {_short(name)}: expected NAME=VALUE with NAME a "
                             "Python identifier")
        if not is_plain_value(value):
            raise UsageError(f"parameter {_short(name)}: not a finite number or plain value")
        found[name] = value
    return found


def _loads(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def _short(value: Any, limit: int = 60) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")


def build_schedule(target: str, expression: str, *, tz: str = "UTC",
                   params: list[str] | dict[str, Any] | None = None, missed: str = "skip",
                   name: str | None = None, root: Path | None = None,
                   enabled: bool = True) -> dict[str, Any]:
    """Validate everything about a new schedule; returns the fields to store.

    Raises:
        UsageError / NotFoundError: with one clear line about the first problem.
    """
    kind, path = resolve_target(target, root)
    name = name if name is not None else path.stem
    names.check_schedule_name(name)
    if name in RESERVED_NAMES:
        raise UsageError(f"schedule name {name!r} is reserved; pick another (--name)")
    if missed not in MISSED_POLICIES:
        raise UsageError(f"missed-run policy {_short(missed)}: use skip or catch_up_once")
    cron.zone(tz)
    expression = cron.validate(expression, tz)
    if not isinstance(enabled, bool):
        raise UsageError("enabled must be true or false")
    return {"name": name, "target_type": kind, "target": str(path),
            "parameters": _parameters(kind, path, params or []), "cron": expression,
            "timezone": tz, "missed": missed, "enabled": enabled}


def ensure_exists(path: str) -> None:
    if not Path(path).is_file():
        raise NotFoundError(f"the target {Path(path).name} no longer exists")
