"""``/mlops-jupyter/pipelines``: find, show, run and create notebook pipelines.

Thin handlers over :class:`~mlops_jupyter.pipelines.launcher.PipelineLauncher` (and
its :class:`~mlops_jupyter.pipelines.workspace.Workspace`), which the app puts in the
settings under :data:`LAUNCHER_SETTING`; every path in a request is relative to the
server root and checked there.

Authorization: resource ``mlops_pipelines`` (:data:`AUTH_RESOURCE`); listing, detail
and a run's status are ``read``, starting a run is ``execute``, writing a new
pipeline file is ``write``.
"""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..exceptions import MLOpsError, UsageError
from ..pipelines.launcher import PipelineLauncher
from ..pipelines.workspace import Workspace
from .base import MLOpsHandler
from .schemas import PipelineInitRequest, PipelineRunRequest

LAUNCHER_SETTING = "mlops_jupyter_pipeline_launcher"
AUTH_RESOURCE = "mlops_pipelines"


class PipelinesBaseHandler(MLOpsHandler):
    """Gives access to the launcher the app shares; authorizes against ``mlops_pipelines``."""

    auth_resource = AUTH_RESOURCE

    @property
    def launcher(self) -> PipelineLauncher:
        return self.settings[LAUNCHER_SETTING]

    @property
    def workspace(self) -> Workspace:
        return self.launcher.workspace


class PipelineListHandler(PipelinesBaseHandler):
    """``GET /pipelines``: the pipeline files under the server root."""

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.finish(await asyncio.to_thread(self.workspace.list_pipelines))


class PipelineDetailHandler(PipelinesBaseHandler):
    """``GET /pipelines/detail?path=REL``: steps with cache state and last status."""

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        path = self.get_query_argument("path", None)
        if path is None:
            raise UsageError("path is required")
        self.finish(await asyncio.to_thread(self._detail, path))

    def _detail(self, path: str) -> dict:
        active = None
        try:
            active = self.launcher.active_run(self.workspace.resolve(path))
        except MLOpsError:
            pass  # detail() reports the path's problem itself
        return self.workspace.detail(path, active)


class PipelineRunsHandler(PipelinesBaseHandler):
    """``POST /pipelines/runs`` {path, force?, only?, from?, params?} → 202 {run_id}."""

    @web.authenticated
    @authorized("execute")
    async def post(self) -> None:
        body = self.body(PipelineRunRequest)
        run_id = await asyncio.to_thread(
            self.launcher.start, body.path, force=bool(body.force), only=body.only or [],
            from_step=body.from_step or None, params=body.params or {})
        self.set_status(202)
        self.finish({"run_id": run_id})


class PipelineRunHandler(PipelinesBaseHandler):
    """``GET /pipelines/runs/{run_id}?path=REL``: the run's live status.json."""

    @web.authenticated
    @authorized("read")
    async def get(self, run_id: str) -> None:
        path = self.get_query_argument("path", None)
        self.finish(await asyncio.to_thread(self.launcher.status, path, run_id))


class PipelineInitHandler(PipelinesBaseHandler):
    """``POST /pipelines/init`` {notebook}: write pipeline.yaml beside the notebook."""

    @web.authenticated
    @authorized("write")
    async def post(self) -> None:
        body = self.body(PipelineInitRequest)
        created = await asyncio.to_thread(self.workspace.init_pipeline, body.notebook)
        self.set_status(201)
        self.finish(created)


handlers = [
    (r"/pipelines/?", PipelineListHandler),
    (r"/pipelines/detail/?", PipelineDetailHandler),
    (r"/pipelines/runs/?", PipelineRunsHandler),
    (r"/pipelines/runs/([^/]+)/?", PipelineRunHandler),
    (r"/pipelines/init/?", PipelineInitHandler),
]
