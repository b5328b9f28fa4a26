"""The REST contract of the model registry: what the sidebar sends and reads.

Requests (:class:`~mlops_jupyter.contracts.Body`): :class:`GatePreviewRequest`,
:class:`PromoteRequest`, :class:`RollbackRequest`, and the query :class:`LineageQuery`.
Replies (:class:`~mlops_jupyter.contracts.Reply`), returned by
:class:`mlops_jupyter.registry.service.RegistryService`: :class:`ModelList`,
:class:`ModelDetail`, :class:`LineageReply`, :class:`GateVerdict`,
:class:`PromoteResult`, :class:`RollbackResult`. Times are epoch milliseconds
(model/version) or ISO 8601 text (alias history).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

from ..contracts import MAX_INT, MAX_ITEMS, Body, Name, Number, Query, Reply, Text


# ----------------------------------------------------------------------- requests
class GateRequest(Body):
    """What the user typed for a gate; absent fields stay None so the model's declared
    gate policy decides them."""

    version: Annotated[StrictInt, Field(ge=1, le=MAX_INT)] | Annotated[
        StrictStr, Field(max_length=20)] | None = Field(
            None, description="must be a positive whole number (at most 64 bits)")
    alias: Name | None = Field(None, description="must be an alias name")
    thresholds: Annotated[list[Annotated[StrictStr, Field(max_length=300)]],
                          Field(max_length=MAX_ITEMS)] | None = Field(
        None, description="must be a list of strings like 'accuracy >= 0.9'")
    margin: Number | None = Field(None, description="must be a finite number")
    metric: Annotated[StrictStr, Field(max_length=250)] | None = Field(
        None, description="must be a metric name")
    higher_is_better: StrictBool | None = Field(None, description="must be true or false")


class GatePreviewRequest(GateRequest):
    """``POST models/{name}/gate``: ``score`` loads and scores both versions on the
    declared evaluation dataset (in a scoring process; needs ``write``)."""

    score: StrictBool | None = Field(None, description="must be true or false")


class PromoteRequest(GateRequest):
    """``POST models/{name}/promote``."""

    force: StrictBool | None = Field(None, description="must be true or false")
    reason: Text | None = Field(None, description="must be a string")


class RollbackRequest(Body):
    """``POST models/{name}/rollback``: ``reason`` is required (one line, kept in the
    alias history)."""

    alias: Name | None = Field(None, description="must be an alias name")
    reason: Annotated[StrictStr, Field(max_length=500)] | None = Field(
        None, description="must be one line of text (at most 500 characters)")


class LineageQuery(Query):
    """``GET models/{name}/lineage?ref=``: a version number or ``@alias``."""

    ref: str | None = Field(None, max_length=300,
                            description="must be a version number or @alias (required)")


# ------------------------------------------------------------------------ replies
class GateSummary(Reply):
    """The short form of a verdict kept on a version and in the alias history."""

    passed: bool
    reasons: list[str] = []
    scores: dict[str, Any] | None = None


class Evaluation(Reply):
    """The dataset (file name only) both versions are scored on, and its target."""

    data: str
    target: str


class LiveRule(Reply):
    """The gate's rule on production traffic: a candidate takes ``alias`` only after
    beating its holder on at least ``min_requests`` labelled live requests with a
    two-sided ``p_value`` over the last ``window``."""

    min_requests: int = 500
    beats_champion: str = "accuracy"
    p_value: float = 0.05
    window: str = "24h"
    alias: str = "champion"


class GatePolicy(Reply):
    """A model's declared gate."""

    thresholds: list[str] = []
    metric: str = "accuracy"
    higher_is_better: bool = True
    margin: float = 0.0
    evaluation: Evaluation | None = None
    live: LiveRule | None = None


class DeployedAt(Reply):
    """Where a model version is served: the endpoint, its URL, the role and alias."""

    id: str
    url: str | None = None
    role: str
    alias: str | None = None


class ModelVersion(Reply):
    """One version, with its run's metrics, the aliases it holds and its last verdict."""

    version: str
    run_id: str | None = None
    run_name: str | None = None
    run_status: str | None = None
    experiment_id: str | None = None
    status: str | None = None
    created: int | None = None
    updated: int | None = None
    description: str = ""
    flavor: str | None = None
    metrics: dict[str, float] = {}
    aliases: list[str] = []
    gate: GateSummary | None = None
    deployed: list[DeployedAt] = Field(
        default=[], description="the running endpoints serving this version")


class RegisteredModel(Reply):
    """A registered model with its versions, newest first."""

    name: str
    description: str = ""
    created: int | None = None
    updated: int | None = None
    aliases: dict[str, str] = {}
    latest_version: str | None = None
    versions: list[ModelVersion] = []
    gate_policy: GatePolicy | None = None


class ModelList(Reply):
    """``GET models``."""

    models: list[RegisteredModel]


class AliasHistoryEntry(Reply):
    """One alias decision: set, forced, rollback or refused (``gate``: the verdict's
    summary, on decisions a gate took)."""

    sometimes = frozenset({"gate"})

    at: str
    actor: str | None = None
    action: Literal["set", "forced", "rollback", "refused"] | str
    alias: str
    from_version: str | None = None
    to_version: str | None = None
    reason: str = ""
    forced: bool = False
    generation: int = 0
    gate: GateSummary | None = None


class ModelDetail(RegisteredModel):
    """``GET models/{name}``: the model plus its alias history, oldest first."""

    history: list[AliasHistoryEntry] = []


class GateCheck(Reply):
    """One requirement of a gate and whether the candidate met it."""

    kind: Literal["threshold", "comparison"] | str
    name: str
    passed: bool
    actual: float | None = None
    expected: float | str | None = None
    reason: str = ""


class GateVerdict(Reply):
    """``POST models/{name}/gate``: the verdict (nothing changed or recorded)."""

    passed: bool
    reasons: list[str] = []
    checks: list[GateCheck] = []
    candidate: str
    holder: str | None = None
    compare_to: str | None = None
    scores: dict[str, Any] = {}
    policy: GatePolicy
    declared: bool = False
    scorable: bool | None = None


class PromoteResult(Reply):
    """``POST models/{name}/promote``: a refusal is ``promoted: false``, recorded."""

    promoted: bool
    verdict: GateVerdict
    entry: AliasHistoryEntry


class RollbackResult(Reply):
    """``POST models/{name}/rollback``: the recorded decision."""

    entry: AliasHistoryEntry


class LineageModel(Reply):
    """The version a lineage is about."""

    name: str
    version: str
    aliases: list[str] = []
    source: str
    flavor: str | None = None
    created: int | None = None


class LineageRun(Reply):
    """The run that logged the version."""

    run_id: str
    name: str | None = None
    experiment_id: str | None = None
    status: str | None = None
    kind: str | None = None
    metrics: dict[str, float] = {}


class Lineage(Reply):
    """Where a version came from: run, notebook or pipeline step, data, code."""

    model: LineageModel
    run: LineageRun | None = None
    notebook: dict[str, Any] | None = None
    pipeline: dict[str, Any] | None = None
    parameters: dict[str, Any] = {}
    data: dict[str, Any] = {}
    upstream: list[dict[str, Any]] = []
    git: dict[str, Any] | None = None


class LineageReply(Reply):
    """``GET models/{name}/lineage``: the lineage and the same as indented text."""

    lineage: Lineage
    tree: str


__all__ = [
    "AliasHistoryEntry", "DeployedAt", "Evaluation", "GateCheck", "GatePolicy", "GatePreviewRequest",
    "GateRequest", "GateSummary", "GateVerdict", "Lineage", "LineageModel", "LineageQuery",
    "LineageReply", "LineageRun", "ModelDetail", "ModelList", "ModelVersion",
    "PromoteRequest", "PromoteResult", "RegisteredModel", "RollbackRequest",
    "RollbackResult",
]
