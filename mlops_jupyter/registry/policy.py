"""A model's declared promotion gate: thresholds, comparison and evaluation dataset.

Declared once per registered model — from a ``gate:`` block in ``pipeline.yaml``
(applied when the pipeline runs), through :func:`declare_policy`, or with
``mlops models gate MODEL --set ...`` — and stored as the registered-model tag
``mlops.gate.policy`` so the CLI, the sidebar and the retrain loop all judge a
candidate by the same rules. A ``gate:`` block looks like::

    gate:
      breast-cancer:
        thresholds: ["accuracy >= 0.9"]
        metric: accuracy          # compared against the current alias holder
        higher_is_better: true
        margin: 0.0               # candidate must beat the holder by this much
        evaluation:               # both versions are scored on this dataset
          data: data/test.csv     # .csv or .parquet, relative to the pipeline folder
          target: target          # the label column
        live:                     # optional: judge on production traffic (level 4)
          min_requests: 500       # labelled requests the candidate served
          beats_champion: accuracy  # live metric, from the inference log + feedback
          p_value: 0.05           # significance the win must reach
          window: 24h             # how far back the inference log is read
          alias: champion         # the alias this rule guards (default champion)

With ``live:``, moving ``alias`` also needs the candidate to have served at least
``min_requests`` labelled requests as challenger or shadow within ``window`` and to
beat the current holder there with p < ``p_value`` (:mod:`..serving.ab`); nothing
is loaded for it. :func:`..serving.ab.promote_if_winner` promotes such a winner.
"""

from __future__ import annotations

import json
import math
import operator
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import documents, names, paths
from ..exceptions import UsageError
from ..mlflow_errors import translated
from ..tables import SUFFIXES
from . import common

POLICY_TAG = "mlops.gate.policy"
EVALUATION_METRICS = ("accuracy", "f1", "precision", "recall", "rmse", "mae", "r2")
LOWER_IS_BETTER = frozenset({"rmse", "mae"})

_KEYS = {"thresholds", "metric", "higher_is_better", "margin", "evaluation", "live"}
_EVALUATION_KEYS = {"data", "target"}
_LIVE_KEYS = {"min_requests", "beats_champion", "p_value", "window", "alias"}
LIVE_METRICS = ("accuracy",)


_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
}
_EXPRESSION = re.compile(
    r"^\s*(?P<metric>[A-Za-z_][A-Za-z0-9_.\-/]{0,249})\s*(?P<op>>=|<=|==|>|<)\s*"
    r"(?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Threshold:
    """One declared requirement on a run metric, e.g. ``accuracy >= 0.9``."""

    metric: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"

    def holds(self, actual: float) -> bool:
        """Whether ``actual`` satisfies the requirement (NaN never does)."""
        return not math.isnan(actual) and _OPERATORS[self.op](actual, self.value)


def parse_threshold(expression: Any) -> Threshold:
    """Parse ``"METRIC OP NUMBER"`` with OP one of ``>= > <= < ==``.

    Raises:
        UsageError: naming the malformed expression.
    """
    match = _EXPRESSION.match(expression) if isinstance(expression, str) else None
    if match is None:
        raise UsageError(f"malformed gate expression {str(expression)[:120]!r}: expected "
                         "'METRIC OP NUMBER' with OP one of >=, >, <=, <, == "
                         "(e.g. 'accuracy >= 0.9')")
    value = float(match["value"])
    if not math.isfinite(value):
        raise UsageError(f"malformed gate expression {expression!r}: the number is not finite")
    return Threshold(match["metric"], match["op"], value)


def parse_thresholds(expressions: list[str] | tuple[str, ...] | None) -> list[Threshold]:
    """Parse every expression first, so a typo anywhere fails before any work."""
    if expressions is None:
        return []
    if isinstance(expressions, str):
        expressions = [expressions]
    return [parse_threshold(expression) for expression in expressions]


@dataclass(frozen=True)
class Evaluation:
    """The dataset both the candidate and the holder are scored on."""

    data: str
    target: str


@dataclass(frozen=True)
class LiveRule:
    """The gate's rule on production traffic (see the module docstring)."""

    min_requests: int = 500
    beats_champion: str = "accuracy"
    p_value: float = 0.05
    window: str = "24h"
    alias: str = "champion"


@dataclass(frozen=True)
class GatePolicy:
    """What a version must satisfy to take an alias."""

    thresholds: list[str] = field(default_factory=list)
    metric: str = "accuracy"
    higher_is_better: bool = True
    margin: float = 0.0
    evaluation: Evaluation | None = None
    live: LiveRule | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (the stored form)."""
        return asdict(self)

    def public_dict(self) -> dict[str, Any]:
        """As :meth:`to_dict` but naming the dataset by file name only (for clients)."""
        data = self.to_dict()
        if self.evaluation is not None:
            data["evaluation"]["data"] = os.path.basename(self.evaluation.data)
        return data


def _fail(where: str, message: str) -> UsageError:
    return UsageError(f"{where}: {message}")


def parse_policy(raw: Any, *, base_dir: str | None = None, where: str = "gate") -> GatePolicy:
    """Validate a policy mapping (from YAML, JSON or the CLI).

    Args:
        raw: the mapping.
        base_dir: relative ``evaluation.data`` paths are resolved against it and must
            stay inside it; None keeps the path as given (it must then be absolute).
        where: prefix of error messages, e.g. ``gate.breast-cancer``.

    Raises:
        UsageError: one line naming the field at fault.
    """
    if not isinstance(raw, dict):
        raise _fail(where, "expected a mapping with thresholds/metric/margin/evaluation/live")
    unknown = documents.unknown_keys(raw, _KEYS)
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(unknown)} "
                           f"(allowed: {', '.join(sorted(_KEYS))})")
    thresholds = raw.get("thresholds") or []
    if isinstance(thresholds, str):
        thresholds = [thresholds]
    if not isinstance(thresholds, list):
        raise _fail(where, "thresholds must be a list like ['accuracy >= 0.9']")
    try:
        parse_thresholds(thresholds)
    except UsageError as error:
        raise _fail(where, str(error)) from None
    metric = raw.get("metric", "accuracy")
    if not isinstance(metric, str) or not metric.strip() or len(metric) > 250:
        raise _fail(where, "metric must be a metric name such as 'accuracy'")
    higher = raw.get("higher_is_better", metric not in LOWER_IS_BETTER)
    if not isinstance(higher, bool):
        raise _fail(where, "higher_is_better must be true or false")
    margin = raw.get("margin", 0.0)
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) \
            or not math.isfinite(margin) or margin < 0:
        raise _fail(where, "margin must be a finite number >= 0")
    evaluation = _parse_evaluation(raw.get("evaluation"), metric, base_dir, where)
    live = parse_live(raw.get("live"), where=f"{where}.live")
    return GatePolicy([str(item) for item in thresholds], metric.strip(), higher,
                      float(margin), evaluation, live)


def parse_live(raw: Any, *, where: str = "gate.live") -> LiveRule | None:
    """Validate a ``live:`` mapping (None stays None).

    Raises:
        UsageError: one line naming the field at fault.
    """
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _fail(where, "expected a mapping like {min_requests: 500, beats_champion: "
                           "accuracy, p_value: 0.05, window: 24h}")
    unknown = documents.unknown_keys(raw, _LIVE_KEYS)
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(unknown)} "
                           f"(allowed: {', '.join(sorted(_LIVE_KEYS))})")
    default = LiveRule()
    minimum = raw.get("min_requests", default.min_requests)
    if isinstance(minimum, bool) or not isinstance(minimum, int) or not 1 <= minimum <= 10**9:
        raise _fail(where, "min_requests must be a whole number >= 1")
    metric = raw.get("beats_champion", default.beats_champion)
    if metric not in LIVE_METRICS:
        raise _fail(where, f"beats_champion: {str(metric)[:40]!r} cannot be measured on "
                           f"live traffic; use one of {', '.join(LIVE_METRICS)}")
    p_value = raw.get("p_value", default.p_value)
    if isinstance(p_value, bool) or not isinstance(p_value, (int, float)) \
            or not 0 < p_value < 1:
        raise _fail(where, "p_value must be a number between 0 and 1 (e.g. 0.05)")
    window = raw.get("window", default.window)
    if not isinstance(window, str):
        raise _fail(where, "window must be a duration such as 1h, 24h or 7d")
    from ..inference.logbook import parse_duration  # the one duration rule

    try:
        parse_duration(window)
    except UsageError as error:
        raise _fail(where, f"window: {error}") from None
    alias = raw.get("alias", default.alias)
    try:
        names.check_alias(alias)
    except UsageError as error:
        raise _fail(where, f"alias: {error}") from None
    return LiveRule(minimum, metric, float(p_value), window.strip(), alias)


def _parse_evaluation(raw: Any, metric: str, base_dir: str | None,
                      where: str) -> Evaluation | None:
    if raw is None:
        return None
    where = f"{where}.evaluation"
    if not isinstance(raw, dict):
        raise _fail(where, "expected a mapping with data and target")
    unknown = documents.unknown_keys(raw, _EVALUATION_KEYS)
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(unknown)} (allowed: data, target)")
    data, target = raw.get("data"), raw.get("target")
    if not isinstance(data, str) or not data.strip():
        raise _fail(where, "data must be the path of a .csv or .parquet file")
    if not isinstance(target, str) or not target.strip():
        raise _fail(where, "target must name the label column")
    if metric not in EVALUATION_METRICS:
        raise _fail(where, f"metric {metric!r} cannot be computed on a dataset; use one of "
                           f"{', '.join(EVALUATION_METRICS)}")
    if not data.lower().endswith(SUFFIXES):
        raise _fail(where, f"data {data!r} must be a .csv or .parquet file")
    return Evaluation(_resolve_data(data, base_dir, where), target)


def _resolve_data(data: str, base_dir: str | None, where: str) -> str:
    if base_dir is None:
        if not os.path.isabs(data):
            raise _fail(where, f"data {data!r} must be an absolute path")
        return os.path.realpath(data)
    try:
        return str(paths.resolve_inside(base_dir, data, what="data"))
    except paths.PathRefusedError as refused:
        if refused.reason == "outside":
            raise _fail(where, f"data {data!r} leaves the pipeline folder") from None
        raise _fail(where, f"data {data!r} must be a relative path inside the pipeline "
                           "folder") from None


def declare_policy(name: str, policy: GatePolicy) -> None:
    """Store ``policy`` on registered model ``name`` (created when missing)."""
    from ..tracking.store import ensure_registered_model

    names.check_model_name(name)
    client = common.client()
    ensure_registered_model(client, name)
    with translated(f"cannot store the gate policy of {name!r}"):
        client.set_registered_model_tag(name, POLICY_TAG, json.dumps(policy.to_dict()))


def policy_from_tags(tags: dict[str, str]) -> GatePolicy | None:
    """The policy stored in a registered model's tags, or None."""
    text = tags.get(POLICY_TAG)
    if not text:
        return None
    try:
        raw = json.loads(text)
    except ValueError:
        return None
    evaluation = raw.get("evaluation") if isinstance(raw, dict) else None
    live = raw.get("live") if isinstance(raw, dict) else None
    try:
        return GatePolicy(
            thresholds=list(raw.get("thresholds") or []), metric=str(raw.get("metric")),
            higher_is_better=bool(raw.get("higher_is_better", True)),
            margin=float(raw.get("margin") or 0.0),
            evaluation=Evaluation(**evaluation) if evaluation else None,
            live=LiveRule(**live) if live else None)
    except (TypeError, ValueError, AttributeError):
        return None


def declared_policy(name: str) -> GatePolicy | None:
    """The policy declared for registered model ``name``, or None."""
    model = common.get_registered_model(name)
    return policy_from_tags(dict(model.tags or {}))
