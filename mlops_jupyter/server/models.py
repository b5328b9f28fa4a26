"""``/mlops-jupyter/models``: the model registry — browse, gate, promote, roll back.

Thin handlers over :class:`mlops_jupyter.registry.service.RegistryService` (contracts in
:mod:`mlops_jupyter.registry.contracts`); every registry call runs in a
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

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..registry.contracts import (
    GatePreviewRequest,
    GateVerdict,
    LineageQuery,
    LineageReply,
    ModelDetail,
    ModelList,
    PromoteRequest,
    PromoteResult,
    RollbackRequest,
    RollbackResult,
)
from ..registry.service import RegistryService
from .base import Endpoint, MLOpsHandler

AUTH_RESOURCE = "mlops_models"
#: The settings key of the :class:`~mlops_jupyter.registry.service.RegistryService`.
SERVICE_SETTING = "mlops_jupyter.registry_service"
_ANONYMOUS = re.compile(r"^[0-9a-f]{32}$")


class ModelsBaseHandler(MLOpsHandler):
    """Runs registry calls in a worker thread; authorizes against ``mlops_models``."""

    auth_resource = AUTH_RESOURCE
    service_setting = SERVICE_SETTING
    service: RegistryService

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


class ModelsHandler(ModelsBaseHandler):
    """``GET /models``: every registered model with its versions."""

    contract = {"get": Endpoint("Every registered model with its versions",
                                response=ModelList)}

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.render(await self.call(self.service.list_models))


class ModelHandler(ModelsBaseHandler):
    """``GET /models/{name}``: one model, its versions and its alias history."""

    contract = {"get": Endpoint("One model, its versions and its alias history",
                                response=ModelDetail)}

    @web.authenticated
    @authorized("read")
    async def get(self, name: str) -> None:
        self.render(await self.call(self.service.model_detail, name))


class LineageHandler(ModelsBaseHandler):
    """``GET /models/{name}/lineage?ref=VERSION|@ALIAS``: where a version came from."""

    contract = {"get": Endpoint("Where a version came from", query=LineageQuery,
                                response=LineageReply)}

    @web.authenticated
    @authorized("read")
    async def get(self, name: str) -> None:
        query = self.query(LineageQuery)
        self.render(await self.call(self.service.lineage, name, query.ref))


class GatePreviewHandler(ModelsBaseHandler):
    """``POST /models/{name}/gate``: the gate's verdict, changing and recording nothing."""

    contract = {"post": Endpoint("The gate's verdict (a preview: nothing is changed)",
                                 body=GatePreviewRequest, response=GateVerdict)}

    @web.authenticated
    @authorized("read")
    async def post(self, name: str) -> None:
        body = self.body(GatePreviewRequest)
        if body.score and not self.authorizer.is_authorized(self, self.current_user,
                                                            "write", AUTH_RESOURCE):
            raise web.HTTPError(403, "scoring versions needs the write permission "
                                     "on mlops_models")
        self.render(await self.call(self.service.evaluate_gate, name, body))


class PromoteHandler(ModelsBaseHandler):
    """``POST /models/{name}/promote``: run the gate and move the alias if it passes."""

    contract = {"post": Endpoint("Run the gate and move the alias if it passes",
                                 body=PromoteRequest, response=PromoteResult)}

    @web.authenticated
    @authorized("write")
    async def post(self, name: str) -> None:
        body = self.body(PromoteRequest)
        self.render(await self.call(self.service.promote, name, body, self.actor()))


class RollbackHandler(ModelsBaseHandler):
    """``POST /models/{name}/rollback``: the alias back to its previous holder."""

    contract = {"post": Endpoint("The alias back to its previous holder",
                                 body=RollbackRequest, response=RollbackResult)}

    @web.authenticated
    @authorized("write")
    async def post(self, name: str) -> None:
        body = self.body(RollbackRequest)
        self.render(await self.call(self.service.rollback, name, body, self.actor()))


handlers = [
    (r"/models/?", ModelsHandler),
    (r"/models/([^/]+)/?", ModelHandler),
    (r"/models/([^/]+)/lineage/?", LineageHandler),
    (r"/models/([^/]+)/gate/?", GatePreviewHandler),
    (r"/models/([^/]+)/promote/?", PromoteHandler),
    (r"/models/([^/]+)/rollback/?", RollbackHandler),
]
