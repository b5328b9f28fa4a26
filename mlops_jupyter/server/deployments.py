"""``/mlops-jupyter/deployments``: running model endpoints — list, start, stop.

Thin handlers over :class:`mlops_jupyter.serving.service.DeploymentsService`
(contracts in :mod:`mlops_jupyter.serving.contracts`). Nothing here loads a model:
the list reads the endpoints' state files, a start spawns ``mlops serve`` in a
session of its own and waits (in a worker thread) until it answers ``/health``.

====================================  ===============================================
``GET deployments``                   ``{deployments: [...]}`` (versions per role,
                                      requests/s, latency, error rate, swaps; no token)
``POST deployments``                  ``{model, alias?, port?, challenger?, split?,
                                      shadow?}`` → 201 ``{id, url, token}`` — the only
                                      time the token is shown
``POST deployments/{id}/stop``        → ``{id, stopped}``
====================================  ===============================================

Errors: 400 bad input, a taken port or an endpoint that refused to start (its one
line); 404 unknown model, alias or endpoint; 409 a recorded process that is not an
``mlops serve``. Authorization: resource ``mlops_deployments``; listing is ``read``,
start and stop are ``execute`` (a start loads and runs a model).
"""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..serving.contracts import (
    DeploymentList,
    StartDeploymentRequest,
    StartedDeployment,
    StoppedDeployment,
)
from ..serving.service import DeploymentsService
from .base import Endpoint, MLOpsHandler

AUTH_RESOURCE = "mlops_deployments"
#: The settings key of the :class:`~mlops_jupyter.serving.service.DeploymentsService`.
SERVICE_SETTING = "mlops_jupyter.deployments_service"


class DeploymentsHandler(MLOpsHandler):
    """``GET`` lists the running endpoints, ``POST`` starts one."""

    auth_resource = AUTH_RESOURCE
    service_setting = SERVICE_SETTING
    service: DeploymentsService
    contract = {
        "get": Endpoint("The running model endpoints", response=DeploymentList),
        "post": Endpoint("Start an endpoint serving a model's alias (the reply holds its "
                         "token, once)", body=StartDeploymentRequest,
                         response=StartedDeployment, status=201, executes=True),
    }

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.render(await asyncio.to_thread(self.service.list_deployments))

    @web.authenticated
    @authorized("execute")
    async def post(self) -> None:
        body = self.body(StartDeploymentRequest)
        self.set_header("Cache-Control", "no-store")
        self.render(await asyncio.to_thread(self.service.start, body), status=201)


class StopDeploymentHandler(MLOpsHandler):
    """``POST`` stops one endpoint gracefully."""

    auth_resource = AUTH_RESOURCE
    service_setting = SERVICE_SETTING
    service: DeploymentsService
    contract = {"post": Endpoint("Stop an endpoint (its inference log is flushed)",
                                 response=StoppedDeployment)}

    @web.authenticated
    @authorized("execute")
    async def post(self, identifier: str) -> None:
        self.render(await asyncio.to_thread(self.service.stop, identifier))


handlers = [
    (r"/deployments/?", DeploymentsHandler),
    (r"/deployments/([^/]+)/stop/?", StopDeploymentHandler),
]
