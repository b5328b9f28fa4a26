"""The registry as one service object: what the REST handlers (and any other caller
that wants typed replies) use to browse, gate, promote and roll back.

Each method calls the registry's functions and returns the declared reply of
:mod:`mlops_jupyter.registry.contracts`. Nothing here loads a model, except a gate
that ``score``\\ s versions (in a scoring process of its own, see
:mod:`mlops_jupyter.registry.gate`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..exceptions import UsageError
from . import aliases, gate, listing
from .contracts import (
    GatePreviewRequest,
    GateRequest,
    GateVerdict,
    LineageReply,
    ModelDetail,
    ModelList,
    PromoteRequest,
    PromoteResult,
    RollbackRequest,
    RollbackResult,
)
from .lineage import lineage as trace_lineage
from .lineage import render_tree

DEFAULT_ALIAS = "champion"


class RegistryService:
    """Typed access to the model registry of the configured tracking store.

    Args:
        deployed: Returns where versions are served now (``{model: {version:
            [{id, url, role, alias}]}}``); the server passes
            :func:`mlops_jupyter.serving.deployments.deployed_by_model`. None: every
            version's ``deployed`` is empty.
    """

    def __init__(self, deployed: Callable[[], listing.Deployed] | None = None) -> None:
        self._deployed = deployed

    def _where_deployed(self) -> listing.Deployed:
        return self._deployed() if self._deployed is not None else {}

    def list_models(self) -> ModelList:
        """Every registered model with its versions (see :func:`listing.list_models`)."""
        return ModelList(models=listing.list_models(self._where_deployed()))

    def model_detail(self, name: str) -> ModelDetail:
        """One model and its alias history (see :func:`listing.model_detail`)."""
        return ModelDetail.model_validate(listing.model_detail(name, self._where_deployed()))

    def lineage(self, name: str, ref: str | None) -> LineageReply:
        """Where version or ``@alias`` ``ref`` of ``name`` came from.

        Raises:
            UsageError: no ``ref``; NotFoundError: unknown model, version or alias.
        """
        ref = (ref or "").strip()
        if not ref:
            raise UsageError("ref is required: a version number or @alias")
        info = trace_lineage(name, ref)
        return LineageReply(lineage=info, tree=render_tree(info))

    def evaluate_gate(self, name: str, request: GatePreviewRequest) -> GateVerdict:
        """The gate's verdict for ``request``, changing and recording nothing."""
        args = gate_arguments(request)
        return GateVerdict.model_validate(gate.evaluate_gate(
            name, args["version"], thresholds=args["thresholds"],
            compare_to=args["alias"], margin=args["margin"], metric=args["metric"],
            higher_is_better=args["higher_is_better"], score=bool(request.score)))

    def promote(self, name: str, request: PromoteRequest, actor: str | None) -> PromoteResult:
        """Run the gate and move the alias if it passes (or ``force`` with a reason)."""
        args = gate_arguments(request)
        return PromoteResult.model_validate(gate.promote(
            name, args["version"], args["alias"], thresholds=args["thresholds"],
            force=bool(request.force), reason=request.reason, actor=actor,
            margin=args["margin"], metric=args["metric"],
            higher_is_better=args["higher_is_better"]))

    def rollback(self, name: str, request: RollbackRequest, actor: str | None
                 ) -> RollbackResult:
        """The alias back to its previous holder."""
        entry = aliases.rollback(name, request.alias or DEFAULT_ALIAS,
                                 reason=request.reason or None, actor=actor)
        return RollbackResult(entry=entry)


def gate_arguments(request: GateRequest) -> dict[str, Any]:
    """The gate's arguments: only what the user sent. A field left out is None, so
    the model's declared gate policy decides it.

    Raises:
        UsageError: no version.
    """
    if request.version is None or request.version == "":
        raise UsageError("version is required")
    thresholds = [item for item in request.thresholds or [] if item.strip()]
    return {
        "version": str(request.version),
        "alias": request.alias or DEFAULT_ALIAS,
        "thresholds": thresholds or None,
        "margin": request.margin,
        "metric": request.metric or None,
        "higher_is_better": request.higher_is_better,
    }
