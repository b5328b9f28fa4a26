"""``/mlops-jupyter/models``: the model registry — browse, gate, promote, roll back.

Thin handlers over :mod:`mlops_jupyter.registry`; every registry call runs in a
worker thread (MLflow's SQL and the alias lock file never block the event loop).
Listing and lineage read metadata only; no model is ever loaded here.

=========================================  ==========================================
``GET models``                             ``{models: [...]}`` (versions, run metrics,
                                           aliases)
``GET models/{name}``                      one model + ``history`` (alias decisions)
``GET models/{name}/lineage?ref=3|@alias`` ``{lineage, tree}`` (dict + indented text)
``POST models/{name}/gate``                {version, alias?, thresholds?, margin?,
                                           metric?, higher_is_better?, score?} → the
                                           verdict; a preview: nothing is changed or
                                           recorded, no model is loaded (run metrics)
                                           unless ``score`` (needs ``write``). Fields
                                           left out come from the model's declared
                                           gate policy, not from defaults here
``POST models/{name}/promote``             {version, alias?, thresholds?, margin?,
                                           metric?, higher_is_better?, force?,
                                           reason?} → 200 {promoted, verdict, entry}
``POST models/{name}/rollback``            {alias?, reason?} → 200 {entry}
=========================================  ==========================================

A gate that refuses a promotion is **200 with ``promoted: false``**: the request was
valid and handled, the refusal is recorded in the alias history (``entry``) and the
verdict carries the reasons. 409 is kept for real conflicts: the alias was moved by
someone else while this promotion was judged. Other errors: 400 bad input (malformed
threshold, ``force`` without ``reason``, nothing to roll back to), 404 unknown
model / version / alias, 503 a locked or unavailable store.

Authorization: every handler requires an authenticated user. The resource is
``mlops_models`` (:data:`AUTH_RESOURCE`): reads (list, detail, lineage, the gate
preview) are checked as action ``read``; promote, rollback and a gate preview that
scores the versions on the evaluation dataset (``score: true``: each version is
loaded, in a short-lived process of its own) as ``write``, through
jupyter_server's ``Authorizer.is_authorized``. A deployment's authorizer can thus
let a user browse the registry but refuse promotions (403).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..exceptions import UsageError
from ..registry import aliases as registry_aliases
from ..registry import gate, listing
from ..registry.lineage import lineage, render_tree
from .base import MLOpsHandler
from .schemas import GatePreviewRequest, GateRequest, PromoteRequest, RollbackRequest

AUTH_RESOURCE = "mlops_models"
DEFAULT_ALIAS = "champion"
_ANONYMOUS = re.compile(r"^[0-9a-f]{32}$")


class ModelsBaseHandler(MLOpsHandler):
    """Runs registry calls in a worker thread; authorizes against ``mlops_models``."""

    auth_resource = AUTH_RESOURCE

    async def call(self, function, *args, **kwargs):
        return await asyncio.to_thread(function, *args, **kwargs)

    def actor(self) -> str | None:
        """Who to record in the alias history: the Jupyter user's name, or None (the
        OS user running the server) when the identity provider only generated an
        anonymous user for a token (a 32-hex username like ``efdf9346...``)."""
        user = self.current_user
        username = str(getattr(user, "username", "") or "")
        if not username or _ANONYMOUS.match(username):
            return None
        return username

    @staticmethod
    def gate_arguments(body: GateRequest) -> dict[str, Any]:
        """The gate's arguments: only what the user sent. A field left out is None, so
        the model's declared gate policy (owned by the service) decides it."""
        if body.version is None or body.version == "":
            raise UsageError("version is required")
        thresholds = [item for item in body.thresholds or [] if item.strip()]
        return {
            "version": str(body.version),
            "alias": body.alias or DEFAULT_ALIAS,
            "thresholds": thresholds or None,
            "margin": body.margin,
            "metric": body.metric or None,
            "higher_is_better": body.higher_is_better,
        }


class ModelsHandler(ModelsBaseHandler):
    """``GET /models``: every registered model with its versions."""

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.finish({"models": await self.call(listing.list_models)})


class ModelHandler(ModelsBaseHandler):
    """``GET /models/{name}``: one model, its versions and its alias history."""

    @web.authenticated
    @authorized("read")
    async def get(self, name: str) -> None:
        self.finish(await self.call(listing.model_detail, name))


class LineageHandler(ModelsBaseHandler):
    """``GET /models/{name}/lineage?ref=VERSION|@ALIAS``: where a version came from."""

    @web.authenticated
    @authorized("read")
    async def get(self, name: str) -> None:
        ref = (self.get_query_argument("ref", "") or "").strip()
        if not ref:
            raise UsageError("ref is required: a version number or @alias")
        info = await self.call(lineage, name, ref)
        self.finish({"lineage": info, "tree": render_tree(info)})


class GatePreviewHandler(ModelsBaseHandler):
    """``POST /models/{name}/gate``: the gate's verdict, changing and recording nothing."""

    @web.authenticated
    @authorized("read")
    async def post(self, name: str) -> None:
        body = self.body(GatePreviewRequest)
        args = self.gate_arguments(body)
        score = bool(body.score)
        if score and not self.authorizer.is_authorized(self, self.current_user, "write",
                                                       AUTH_RESOURCE):
            raise web.HTTPError(403, "scoring versions needs the write permission "
                                     "on mlops_models")
        verdict = await self.call(
            gate.evaluate_gate, name, args["version"], thresholds=args["thresholds"],
            compare_to=args["alias"], margin=args["margin"], metric=args["metric"],
            higher_is_better=args["higher_is_better"], score=score)
        self.finish(verdict)


class PromoteHandler(ModelsBaseHandler):
    """``POST /models/{name}/promote``: run the gate and move the alias if it passes."""

    @web.authenticated
    @authorized("write")
    async def post(self, name: str) -> None:
        body = self.body(PromoteRequest)
        args = self.gate_arguments(body)
        result = await self.call(
            gate.promote, name, args["version"], args["alias"],
            thresholds=args["thresholds"], force=bool(body.force),
            reason=body.reason, actor=self.actor(), margin=args["margin"],
            metric=args["metric"], higher_is_better=args["higher_is_better"])
        self.finish(result)


class RollbackHandler(ModelsBaseHandler):
    """``POST /models/{name}/rollback``: the alias back to its previous holder."""

    @web.authenticated
    @authorized("write")
    async def post(self, name: str) -> None:
        body = self.body(RollbackRequest)
        entry = await self.call(registry_aliases.rollback, name, body.alias or DEFAULT_ALIAS,
                                reason=body.reason or None, actor=self.actor())
        self.finish({"entry": entry})


handlers = [
    (r"/models/?", ModelsHandler),
    (r"/models/([^/]+)/?", ModelHandler),
    (r"/models/([^/]+)/lineage/?", LineageHandler),
    (r"/models/([^/]+)/gate/?", GatePreviewHandler),
    (r"/models/([^/]+)/promote/?", PromoteHandler),
    (r"/models/([^/]+)/rollback/?", RollbackHandler),
]
