"""``monitor.yaml``: what to check for one model, the alert rules and the retrain loop.

::

    monitor:
      model: breast-cancer@champion     # MODEL, MODEL@ALIAS or MODEL/VERSION
      current: data/current.csv         # the production window (.csv / .parquet), or
      # current: {serving: breast-cancer, last: 24h}   # the endpoint's inference log
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
          metric_below: {accuracy: 0.9} # file: needs the label column in the current
                                        # data; serving: logged predictions vs feedback
        - name: slow
          latency_p95_above: 250        # milliseconds; serving data only
        - name: failing
          error_rate_above: 0.05        # share of requests answered with an error
      retrain:
        pipeline: pipeline.yaml         # relative to this file
        from: null                      # optional: first step to re-run
        promote_to: champion            # or challenger
        cooldown_minutes: 60            # no second retrain for the same model before

Paths are relative to the file's folder and may not leave it.

Serving data (``current: {serving: MODEL, last: 24h}``; MODEL is the monitored model,
``last`` defaults to 24h; ``mlops drift check MODEL --serving --last 1h`` on the
command line) is the endpoint's inference log over the window: the logged inputs are
the current data, the logged prediction fills the profile's prediction column, and
``metric_below`` is computed from the logged predictions and the feedback labels
joined so far — no model is loaded; without labels the rule does not fire ("no labels
yet"). The live health (requests, error rate, p95 latency, live accuracy) is recorded
on the check's run, and the live rules judge it. A check on serving data ends with
:func:`..serving.ab.promote_if_winner`: with a ``live:`` rule in the model's gate, a
challenger that won on the window is promoted to champion through the gate.

Maturity level 4 — the loop on production traffic, set up once::

    # pipeline.yaml
    gate:
      breast-cancer:
        thresholds: ["accuracy >= 0.9"]
        live: {min_requests: 500, beats_champion: accuracy, p_value: 0.05, window: 24h}
    # monitor.yaml
    monitor:
      model: breast-cancer@champion
      current: {serving: breast-cancer, last: 24h}
      rules:
        - {name: data-drift, drift_share_above: 0.3, retrain: true}
      retrain: {pipeline: pipeline.yaml, promote_to: challenger}

    mlops serve breast-cancer --challenger challenger --split 0.2
    mlops schedule add monitor.yaml --cron "0 * * * *"

Drift on live traffic retrains to ``@challenger`` (the gate's live rule guards only
``champion``); the endpoint serves it to 20 % of requests; once it has served enough
labelled requests and beats the champion significantly, a scheduled check promotes it
to champion (actor ``live-gate``, evidence in the alias history) and the endpoint
switches by itself.
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
RULE_KEYS = {"name", "drift_share_above", "column_drifts", "metric_below",
             "latency_p95_above", "error_rate_above", "webhook", "retrain"}
#: Conditions on the live health of an endpoint: only on serving data.
LIVE_CONDITIONS = ("latency_p95_above", "error_rate_above")
CONDITIONS = ("drift_share_above", "column_drifts", "metric_below", *LIVE_CONDITIONS)
RETRAIN_KEYS = {"pipeline", "from", "promote_to", "cooldown_minutes"}
SERVING_KEYS = {"serving", "last"}
DEFAULT_LAST = "24h"


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
        if self.condition == "latency_p95_above":
            return f"p95 latency > {self.value:g} ms"
        if self.condition == "error_rate_above":
            return f"error rate > {self.value:.0%}"
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
    serving: str | None = None      # current data = this model's inference log
    last: str = DEFAULT_LAST        # ... over this window (logbook.parse_duration)

    @property
    def live_rules(self) -> tuple[Rule, ...]:
        """The rules that judge an endpoint's live health (serving data only)."""
        return tuple(rule for rule in self.rules if rule.condition in LIVE_CONDITIONS)

    def serving_label(self) -> str:
        """How the current data is named on the check's run: ``serving:M last 1h``."""
        return f"serving:{self.serving} last {self.last}"


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
    elif condition == "latency_p95_above":
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or value <= 0:
            raise UsageError(f"{where}.latency_p95_above: expected milliseconds > 0")
        value = float(value)
    elif condition == "error_rate_above":
        value = _share(value, f"{where}.error_rate_above")
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
    serving, last, current = None, DEFAULT_LAST, None
    if isinstance(raw.get("current"), dict):
        serving, last = parse_serving(raw["current"], name)
    elif raw.get("current"):
        current = _data_path(root, raw["current"], "current")
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
    spec = MonitorSpec(name, ref, current, reference, share, dict(columns), parsed, retrain,
                       path, serving, last)
    if current is not None:
        check_live_rules(spec)
    return spec


def parse_serving(raw: Any, model: str) -> tuple[str, str]:
    """``current: {serving: MODEL, last: 24h}`` as ``(MODEL, last)``.

    Raises:
        UsageError: unknown keys, another model's log, a malformed duration.
    """
    unknown = documents.unknown_keys(raw, SERVING_KEYS)
    if unknown:
        raise UsageError(f"current: unknown field(s) {', '.join(unknown)} (a file path, or "
                         f"{{serving: {model}, last: 24h}})")
    serving = raw.get("serving")
    if not isinstance(serving, str) or not serving.strip():
        raise UsageError(f"current.serving: name the served model ({model})")
    if serving.strip() != model:
        raise UsageError(f"current.serving: {serving.strip()[:100]!r} is not the monitored "
                         f"model {model!r}")
    last = raw.get("last", DEFAULT_LAST)
    return model, check_last(last, "current.last")


def check_last(last: Any, where: str = "--last") -> str:
    """A window length (``30m``, ``1h``, ``24h``, ``7d``), validated; UsageError else."""
    from ..inference.logbook import parse_duration  # the one duration rule

    if not isinstance(last, str):
        raise UsageError(f"{where}: a duration such as 1h, 24h or 7d")
    try:
        parse_duration(last)
    except UsageError as error:
        raise UsageError(f"{where}: {error}") from None
    return last.strip()


def check_live_rules(spec: MonitorSpec) -> None:
    """Refuse live-health rules when the current data is a file (no live stats)."""
    for rule in spec.live_rules:
        raise UsageError(f"rule {rule.name!r}: {rule.condition} needs serving data "
                         f"(current: {{serving: {spec.model}, last: 24h}} or --serving)")


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
