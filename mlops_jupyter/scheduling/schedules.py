"""Turning user input into a valid schedule: target, cron, zone, parameters, policy.

Shared by the CLI (paths relative to the working directory) and the server (paths
relative to its root, which they may not leave). Nothing is written here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..exceptions import NotFoundError, UsageError
from . import cron

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
MISSED_POLICIES = ("skip", "catch_up_once")
RESERVED_NAMES = {"presets", "preview"}  # REST paths beside /schedules/{name}
PIPELINE_SUFFIXES = (".yaml", ".yml")


def resolve_target(target: str, root: Path | None = None) -> tuple[str, Path]:
    """(``"pipeline"``, ``"monitor"`` or ``"notebook"``, absolute path) of a target.

    With ``root`` (the server), ``target`` is relative to it and may not leave it;
    without, it is relative to the working directory.

    Raises:
        UsageError: not a pipeline file or notebook, or outside the root.
        NotFoundError: no such file.
    """
    from ..pipelines.spec import inside

    if not isinstance(target, str) or not target.strip():
        raise UsageError("the target must be a pipeline file or a notebook path")
    if root is not None:
        path = inside(root, target)
        if path is None:
            raise UsageError("the target must be a path inside the server root")
    else:
        path = Path(target).expanduser().resolve()
    if path.suffix in PIPELINE_SUFFIXES:
        kind = "pipeline"
    elif path.suffix == ".ipynb":
        kind = "notebook"
    else:
        raise UsageError(f"{target!r} is neither a pipeline file (.yaml) nor a notebook")
    if not path.is_file():
        raise NotFoundError(f"no file {target!r}")
    if kind == "pipeline":
        from ..monitoring.spec import is_monitor_file, load_monitor

        if is_monitor_file(path):  # a monitor.yaml: a drift check on a schedule
            load_monitor(path)
            kind = "monitor"
    return kind, path


def _parameters(kind: str, path: Path, params: list[str] | dict[str, Any]) -> dict[str, Any]:
    """Validated parameters: ``step.name`` keys for pipelines, ``name`` for notebooks."""
    from ..pipelines.runner import parse_overrides
    from ..pipelines.spec import is_parameter_name, is_plain_value, load_spec

    if isinstance(params, dict):
        pairs = [f"{key}={_json(value)}" for key, value in params.items()]
    elif isinstance(params, (list, tuple)) and all(isinstance(p, str) for p in params):
        pairs = list(params)
    else:
        raise UsageError("parameters must be a mapping or a list of NAME=VALUE")
    if kind == "monitor":
        if pairs:
            raise UsageError("a monitor file takes no parameters; edit the file instead")
        return {}
    if kind == "pipeline":
        overrides = parse_overrides(pairs, load_spec(path))
        return {f"{step}.{name}": value for step, values in overrides.items()
                for name, value in values.items()}
    import json

    found: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not is_parameter_name(name):
            raise UsageError(f"parameter {pair!r}: expected NAME=VALUE with NAME a Python "
                             "identifier")
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        if not is_plain_value(value):
            raise UsageError(f"parameter {name!r}: not a finite number or plain value")
        found[name] = value
    return found


def _json(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value)


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
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise UsageError(f"schedule name {name!r}: use letters, digits, '_', '-', '.' "
                         "(at most 100)")
    if name in RESERVED_NAMES:
        raise UsageError(f"schedule name {name!r} is reserved; pick another (--name)")
    if missed not in MISSED_POLICIES:
        raise UsageError(f"missed-run policy {missed!r}: use skip or catch_up_once")
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
