"""``/mlops-jupyter/experiments``: experiments and their runs, read-only.

Thin handlers over :class:`mlops_jupyter.tracking.service.ExperimentsService`
(contracts in :mod:`mlops_jupyter.tracking.contracts`). Authorization: resource
``mlops_experiments``, action ``read``.
"""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..tracking.contracts import ExperimentList, RunsPage, RunsQuery
from .base import Endpoint, MLOpsHandler

AUTH_RESOURCE = "mlops_experiments"
#: The settings key of the :class:`~mlops_jupyter.tracking.service.ExperimentsService`.
SERVICE_SETTING = "mlops_jupyter.experiments_service"


class ExperimentsBaseHandler(MLOpsHandler):
    """Reads experiments through the server's experiments service."""

    auth_resource = AUTH_RESOURCE
    service_setting = SERVICE_SETTING


class ExperimentsHandler(ExperimentsBaseHandler):
    """``GET /experiments``: the active experiments, most recently updated first."""

    contract = {"get": Endpoint("The active experiments, most recently updated first",
                                response=ExperimentList)}

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.render(await asyncio.to_thread(self.service.list_experiments))


class RunsHandler(ExperimentsBaseHandler):
    """``GET /experiments/{id}/runs``: one page of an experiment's runs, newest first.

    Query arguments: ``status``, ``max_results`` and ``page_token``
    (see :func:`mlops_jupyter.tracking.queries.list_runs`).
    """

    contract = {"get": Endpoint("One page of an experiment's runs, newest first",
                                query=RunsQuery, response=RunsPage)}

    @web.authenticated
    @authorized("read")
    async def get(self, experiment_id: str) -> None:
        query = self.query(RunsQuery)
        self.render(await asyncio.to_thread(self.service.list_runs, experiment_id, query))


handlers = [
    (r"/experiments/?", ExperimentsHandler),
    (r"/experiments/([^/]+)/runs/?", RunsHandler),
]
