"""``monitor.yaml``: what to check for one model, the alert rules and the retrain loop.

::

    monitor:
      model: breast-cancer@champion     # MODEL, MODEL@ALIAS or MODEL/VERSION
      current: data/current.csv         # the production window (.csv / .parquet)
      reference: null                   # default: the version's stored profile
      drift_share: 0.5                  # dataset drift when >= this share drifts
      columns:                          # per-column overrides (Evidently's names)
        mean radius: {method: psi, threshold: 0.2}
      rules:
        - name: data-drift
          drift_share_above: 0.3        # or: column_drifts: mean radius
          webhook: https://hooks.example.com/mlops   # optional; the log always gets it
          retrain: true                 # start the retrain below when this fires
        - name: accuracy-drop
          metric_below: {accuracy: 0.9} # needs the label column in the current data
      retrain:
        pipeline: pipeline.yaml         # relative to this file
        from: null                      # optional: first step to re-run
        promote_to: champion            # or challenger
        cooldown_minutes: 60            # no second retrain for the same model before

Paths are relative to the file's folder and may not leave it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import documents, paths
from ..exceptions import UsageError
from ..names import check_alias
from ..registry.common import parse_model_reference
from ..tables import SUFFIXES
from .alerts import validate_webhook_url

TOP_KEYS = {"model", "current", "reference", "drift_share", "columns", "rules", "retrain"}
RULE_KEYS = {"name", "drift_share_above", "column_drifts", "metric_below", "webhook",
             "retrain"}
CONDITIONS = ("drift_share_above", "column_drifts", "metric_below")
RETRAIN_KEYS = {"pipeline", "from", "promote_to", "cooldown_minutes"}


@dataclass(frozen=True)
class Rule:
    """One alert rule: a condition, where to send it, whether it retrains."""

    name: str
    condition: str
    value: Any
    webhook: str | None = None
    retrain: bool = False

    def describe(self) -> str:
        if self.condition == "drift_share_above":
            return f"share of drifted columns > {self.value:g}"
        if self.condition == "column_drifts":
            return f"column {self.value!r} drifts"
        metric, bound = next(iter(self.value.items()))
        return f"{metric} < {bound:g}"


@dataclass(frozen=True)
class Retrain:
    """The pipeline a firing rule starts, and what happens to its new version."""

    pipeline: Path
    from_step: str | None = None
    promote_to: str = "champion"
    cooldown_minutes: float = 60.0


@dataclass(frozen=True)
class MonitorSpec:
    """A validated ``monitor:`` block."""

    model: str
    reference_of_model: str | None
    current: Path | None = None
    reference: Path | None = None
    drift_share: float = 0.5
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    retrain: Retrain | None = None
    path: Path | None = None


def _data_path(root: Path, value: Any, where: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{where}: expected the path of a .csv or .parquet file")
    if not value.lower().endswith(SUFFIXES):
        raise UsageError(f"{where}: {value!r} must be a .csv or .parquet file")
    return _inside(root, value, where)


def _inside(root: Path, value: str, where: str) -> Path:
    resolved = paths.inside(root, value)
    if resolved is None:
        raise UsageError(f"{where}: {value!r} must be a relative path inside {root.name}/")
    return resolved


def _share(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not 0 <= value <= 1:
        raise UsageError(f"{where}: expected a number between 0 and 1")
    return float(value)


def parse_rule(raw: Any, index: int) -> Rule:
    """One rule; UsageError naming ``rules[i]`` and the field."""
    where = f"rules[{index}]"
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: expected a mapping with name and one condition")
    unknown = documents.unknown_keys(raw, RULE_KEYS)
    if unknown:
        raise UsageError(f"{where}: unknown field(s) {', '.join(unknown)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise UsageError(f"{where}.name: required, at most 100 characters")
    present = [key for key in CONDITIONS if key in raw]
    if len(present) != 1:
        raise UsageError(f"{where}: give exactly one of {', '.join(CONDITIONS)}")
    condition, value = present[0], raw[present[0]]
    if condition == "drift_share_above":
        value = _share(value, f"{where}.drift_share_above")
    elif condition == "column_drifts":
        if not isinstance(value, str) or not value:
            raise UsageError(f"{where}.column_drifts: expected a column name")
    else:
        from ..registry.policy import EVALUATION_METRICS

        if not isinstance(value, dict) or len(value) != 1:
            raise UsageError(f"{where}.metric_below: expected {{METRIC: NUMBER}}")
        metric, bound = next(iter(value.items()))
        if metric not in EVALUATION_METRICS:
            raise UsageError(f"{where}.metric_below: {metric!r} is not one of "
                             f"{', '.join(EVALUATION_METRICS)}")
        if isinstance(bound, bool) or not isinstance(bound, (int, float)) \
                or not math.isfinite(bound):
            raise UsageError(f"{where}.metric_below: the bound must be a number")
        value = {metric: float(bound)}
    webhook = raw.get("webhook")
    if webhook is not None:
        webhook = validate_webhook_url(webhook, resolve=False)
    retrain = raw.get("retrain", False)
    if not isinstance(retrain, bool):
        raise UsageError(f"{where}.retrain: true or false")
    return Rule(name.strip(), condition, value, webhook, retrain)


def _retrain(raw: Any, root: Path) -> Retrain | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise UsageError("retrain: expected a mapping with pipeline")
    unknown = documents.unknown_keys(raw, RETRAIN_KEYS)
    if unknown:
        raise UsageError(f"retrain: unknown field(s) {', '.join(unknown)}")
    pipeline = raw.get("pipeline")
    if not isinstance(pipeline, str) or not pipeline.endswith((".yaml", ".yml")):
        raise UsageError("retrain.pipeline: expected a pipeline .yaml file")
    path = _inside(root, pipeline, "retrain.pipeline")
    if not path.is_file():
        raise UsageError(f"retrain.pipeline: {pipeline} does not exist")
    from_step = raw.get("from")
    if from_step is not None and not isinstance(from_step, str):
        raise UsageError("retrain.from: expected a step name")
    promote_to = check_alias(raw.get("promote_to", "champion"))
    cooldown = raw.get("cooldown_minutes", 60)
    if isinstance(cooldown, bool) or not isinstance(cooldown, (int, float)) \
            or not math.isfinite(cooldown) or cooldown < 0:
        raise UsageError("retrain.cooldown_minutes: a number >= 0")
    return Retrain(path, from_step, promote_to, float(cooldown))


def parse_monitor(raw: Any, root: Path, *, path: Path | None = None) -> MonitorSpec:
    """Validate a ``monitor:`` mapping; relative paths resolve against ``root``."""
    if not isinstance(raw, dict):
        raise UsageError("monitor: expected a mapping with model and current")
    unknown = documents.unknown_keys(raw, TOP_KEYS)
    if unknown:
        raise UsageError(f"monitor: unknown field(s) {', '.join(unknown)} "
                         f"(allowed: {', '.join(sorted(TOP_KEYS))})")
    model = raw.get("model")
    if not isinstance(model, str):
        raise UsageError("model: required, MODEL, MODEL@ALIAS or MODEL/VERSION")
    name, ref = parse_model_reference(model)
    current = _data_path(root, raw["current"], "current") if raw.get("current") else None
    reference = _data_path(root, raw["reference"], "reference") \
        if raw.get("reference") else None
    share = _share(raw.get("drift_share", 0.5), "drift_share")
    columns = raw.get("columns") or {}
    if not isinstance(columns, dict) or not all(isinstance(v, dict)
                                                for v in columns.values()):
        raise UsageError("columns: expected {COLUMN: {method: M, threshold: T}}")
    rules = raw.get("rules") or []
    if not isinstance(rules, list):
        raise UsageError("rules: expected a list of rules")
    parsed = tuple(parse_rule(rule, index) for index, rule in enumerate(rules))
    names = [rule.name for rule in parsed]
    if len(set(names)) != len(names):
        raise UsageError("rules: two rules share a name")
    retrain = _retrain(raw.get("retrain"), root)
    if any(rule.retrain for rule in parsed) and retrain is None:
        raise UsageError("a rule asks to retrain but there is no retrain: block")
    return MonitorSpec(name, ref, current, reference, share, dict(columns), parsed, retrain,
                       path)


def load_monitor(path: str | Path) -> MonitorSpec:
    """Read and validate a ``monitor.yaml``."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise UsageError(f"no monitor file {file.name}")
    text = documents.read_document(file, what="monitor file")
    try:
        data = documents.load_yaml(text, file.name)
    except documents.DocumentError as error:
        raise UsageError(f"{file.name}: not valid YAML ({error.where}: {error.problem})") \
            from None
    if not isinstance(data, dict) or "monitor" not in data:
        raise UsageError(f"{file.name}: expected a top-level 'monitor:' block")
    try:
        return parse_monitor(data["monitor"], file.parent.resolve(), path=file.resolve())
    except UsageError as error:
        raise UsageError(f"{file.name}: {error}") from None


def is_monitor_file(path: Path) -> bool:
    """Whether a YAML file holds a ``monitor:`` block (a scheduler target type)."""
    try:
        data = documents.load_yaml(documents.read_document(path), path.name)
    except UsageError:  # unreadable, too large or not YAML: not a monitor file
        return False
    return isinstance(data, dict) and "monitor" in data and "steps" not in data
