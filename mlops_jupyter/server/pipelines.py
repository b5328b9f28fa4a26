"""``/mlops-jupyter/pipelines``: find, show, run and create notebook pipelines.

Thin handlers over :class:`~mlops_jupyter.pipelines.launcher.PipelineLauncher` (and
its :class:`~mlops_jupyter.pipelines.workspace.Workspace`), which the app puts in the
settings under :data:`LAUNCHER_SETTING` (contracts in
:mod:`mlops_jupyter.pipelines.contracts`); every path in a request is relative to the
server root and checked there. Starting a run executes notebooks (``executes``: left
out of fuzzing).

Authorization: resource ``mlops_pipelines`` (:data:`AUTH_RESOURCE`); listing, detail
and a run's status are ``read``, starting a run is ``execute``, writing a new
pipeline file is ``write``.
"""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..exceptions import UsageError
from ..pipelines.contracts import (
    PipelineCreated,
    PipelineDetail,
    PipelineDetailQuery,
    PipelineHistory,
    PipelineHistoryQuery,
    PipelineInitRequest,
    PipelineList,
    PipelineRun,
    PipelineRunQuery,
    PipelineRunRequest,
    RunStarted,
)
from ..pipelines.launcher import PipelineLauncher
from ..pipelines.workspace import Workspace
from .base import Endpoint, MLOpsHandler

#: The settings key of the :class:`~mlops_jupyter.pipelines.launcher.PipelineLauncher`.
LAUNCHER_SETTING = "mlops_jupyter_pipeline_launcher"
AUTH_RESOURCE = "mlops_pipelines"


class PipelinesBaseHandler(MLOpsHandler):
    """Runs launcher calls in a worker thread; authorizes against ``mlops_pipelines``."""

    auth_resource = AUTH_RESOURCE
    service_setting = LAUNCHER_SETTING
    service: PipelineLauncher

    @property
    def workspace(self) -> Workspace:
        """The launcher's view of the server root."""
        return self.service.workspace

    async def call(self, function, *args, **kwargs):
        return await asyncio.to_thread(function, *args, **kwargs)


class PipelineListHandler(PipelinesBaseHandler):
    """``GET /pipelines``: the pipeline files under the server root."""

    contract = {"get": Endpoint("The pipeline files under the server root",
                                response=PipelineList)}

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.render(await self.call(self.workspace.list_pipelines))


class PipelineDetailHandler(PipelinesBaseHandler):
    """``GET /pipelines/detail?path=REL``: steps with cache state and last status."""

    contract = {"get": Endpoint("A pipeline's steps with cache state and last status",
                                query=PipelineDetailQuery, response=PipelineDetail)}

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        path = self.query(PipelineDetailQuery).path
        if path is None:
            raise UsageError("path is required")
        self.render(await self.call(self.service.detail, path))


class PipelineHistoryHandler(PipelinesBaseHandler):
    """``GET /pipelines/history?path=REL&offset=&limit=``: past runs, newest first."""

    contract = {"get": Endpoint("A page of a pipeline's past runs, newest first",
                                query=PipelineHistoryQuery, response=PipelineHistory)}

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        query = self.query(PipelineHistoryQuery)
        if query.path is None:
            raise UsageError("path is required")
        self.render(await self.call(self.service.history, query.path,
                                    offset=query.offset, limit=query.limit))


class PipelineRunsHandler(PipelinesBaseHandler):
    """``POST /pipelines/runs`` {path, force?, only?, from?, params?} → 202 {run_id}."""

    contract = {"post": Endpoint("Start a run of a pipeline in the background",
                                 body=PipelineRunRequest, response=RunStarted, status=202,
                                 executes=True)}

    @web.authenticated
    @authorized("execute")
    async def post(self) -> None:
        body = self.body(PipelineRunRequest)
        started = await self.call(
            self.service.start, body.path, force=bool(body.force), only=body.only or [],
            from_step=body.from_step or None, params=body.params or {})
        self.render(started, 202)


class PipelineRunHandler(PipelinesBaseHandler):
    """``GET /pipelines/runs/{run_id}?path=REL``: the run's live status.json."""

    contract = {"get": Endpoint("A run's live status", query=PipelineRunQuery,
                                response=PipelineRun)}

    @web.authenticated
    @authorized("read")
    async def get(self, run_id: str) -> None:
        path = self.query(PipelineRunQuery).path
        self.render(await self.call(self.service.status, path, run_id))


class PipelineInitHandler(PipelinesBaseHandler):
    """``POST /pipelines/init`` {notebook}: write pipeline.yaml beside the notebook."""

    contract = {"post": Endpoint("Write a pipeline.yaml beside a notebook",
                                 body=PipelineInitRequest, response=PipelineCreated,
                                 status=201)}

    @web.authenticated
    @authorized("write")
    async def post(self) -> None:
        body = self.body(PipelineInitRequest)
        self.render(await self.call(self.workspace.init_pipeline, body.notebook), 201)


handlers = [
    (r"/pipelines/?", PipelineListHandler),
    (r"/pipelines/detail/?", PipelineDetailHandler),
    (r"/pipelines/history/?", PipelineHistoryHandler),
    (r"/pipelines/runs/?", PipelineRunsHandler),
    (r"/pipelines/runs/([^/]+)/?", PipelineRunHandler),
    (r"/pipelines/init/?", PipelineInitHandler),
]
