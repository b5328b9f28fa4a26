"""``/mlops-jupyter/runs/compare`` and ``/runs/diff``: runs side by side, and what
differs between two runs.

Thin handlers over :class:`mlops_jupyter.runs.comparison_service.ComparisonService`
(contracts in :mod:`mlops_jupyter.runs.comparison_contracts`). Authorization: resource
``mlops_runs``, action ``read``. Registered before the handlers of ``runs/{run_id}`` so
``compare`` and ``diff`` are never read as run ids.
"""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..runs.comparison_contracts import CompareRequest, Comparison, DiffQuery, RunDiff
from .base import Endpoint, MLOpsHandler

AUTH_RESOURCE = "mlops_runs"
#: The settings key of the :class:`~mlops_jupyter.runs.comparison_service.ComparisonService`.
SERVICE_SETTING = "mlops_jupyter.comparison_service"


class ComparisonBaseHandler(MLOpsHandler):
    """Reads runs through the server's comparison service."""

    auth_resource = AUTH_RESOURCE
    service_setting = SERVICE_SETTING


class CompareHandler(ComparisonBaseHandler):
    """``POST /runs/compare``: 2 to 1000 runs side by side (a read: nothing changes)."""

    contract = {"post": Endpoint("Compare 2 to 1000 runs: params, metrics with deltas, "
                                 "histories, groups", body=CompareRequest,
                                 response=Comparison)}

    @web.authenticated
    @authorized("read")
    async def post(self) -> None:
        request = self.body(CompareRequest)
        self.render(await asyncio.to_thread(self.service.compare, request))


class DiffHandler(ComparisonBaseHandler):
    """``GET /runs/diff?a=RUN&b=RUN``: notebook cells, params, environment, data
    fingerprints and metrics of two runs."""

    contract = {"get": Endpoint("What differs between two runs", query=DiffQuery,
                                response=RunDiff)}

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        query = self.query(DiffQuery)
        self.render(await asyncio.to_thread(self.service.diff, query))


handlers = [
    (r"/runs/compare/?", CompareHandler),
    (r"/runs/diff/?", DiffHandler),
]
