"""``/mlops-jupyter/experiments``: experiments and their runs, read-only."""

from __future__ import annotations

import asyncio

from tornado import web

from ..tracking import queries
from .base import MLOpsHandler


class ExperimentsHandler(MLOpsHandler):
    """``GET /experiments``: the active experiments, most recently updated first."""

    @web.authenticated
    async def get(self) -> None:
        experiments = await asyncio.to_thread(queries.list_experiments)
        self.finish({"experiments": experiments})


class RunsHandler(MLOpsHandler):
    """``GET /experiments/{id}/runs``: one page of an experiment's runs, newest first.

    Query arguments: ``status``, ``max_results`` and ``page_token``
    (see :func:`mlops_jupyter.tracking.queries.list_runs`).
    """

    @web.authenticated
    async def get(self, experiment_id: str) -> None:
        page = await asyncio.to_thread(
            queries.list_runs,
            experiment_id,
            status=self.get_query_argument("status", None) or None,
            max_results=self.get_int_argument("max_results", queries.DEFAULT_MAX_RESULTS),
            page_token=self.get_query_argument("page_token", None) or None,
        )
        self.finish(page)


handlers = [
    (r"/experiments/?", ExperimentsHandler),
    (r"/experiments/([^/]+)/runs/?", RunsHandler),
]
