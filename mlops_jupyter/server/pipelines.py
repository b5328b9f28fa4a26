"""``/mlops-jupyter/pipelines``: find, show, run and create notebook pipelines.

Thin handlers over :mod:`mlops_jupyter.server.pipeline_service`; every path in a
request is relative to the server root and checked there.
"""

from __future__ import annotations

import asyncio

from tornado import web

from ..exceptions import MLOpsError, UsageError
from .base import MLOpsHandler
from .pipeline_service import PipelineLauncher, Workspace
from .schemas import PipelineInitRequest, PipelineRunRequest

LAUNCHER_SETTING = "mlops_jupyter_pipeline_launcher"


def make_launcher(root_dir: str) -> PipelineLauncher:
    """The launcher the handlers share, for the server root ``root_dir``."""
    return PipelineLauncher(Workspace(root_dir))


class PipelinesBaseHandler(MLOpsHandler):
    """Gives access to the shared launcher."""

    @property
    def launcher(self) -> PipelineLauncher:
        launcher = self.settings.get(LAUNCHER_SETTING)
        if launcher is None:  # mounted without the extension app (tests of handlers)
            launcher = self.settings[LAUNCHER_SETTING] = make_launcher(
                self.settings.get("server_root_dir") or self.serverapp.root_dir)
        return launcher

    @property
    def workspace(self) -> Workspace:
        return self.launcher.workspace


class PipelineListHandler(PipelinesBaseHandler):
    """``GET /pipelines``: the pipeline files under the server root."""

    @web.authenticated
    async def get(self) -> None:
        self.finish(await asyncio.to_thread(self.workspace.list_pipelines))


class PipelineDetailHandler(PipelinesBaseHandler):
    """``GET /pipelines/detail?path=REL``: steps with cache state and last status."""

    @web.authenticated
    async def get(self) -> None:
        path = self.get_query_argument("path", None)
        if path is None:
            raise UsageError("path is required")
        active = None
        try:
            active = self.launcher.active_run(self.workspace.resolve(path))
        except MLOpsError:
            pass  # detail() reports the path's problem itself
        self.finish(await asyncio.to_thread(self.workspace.detail, path, active))


class PipelineRunsHandler(PipelinesBaseHandler):
    """``POST /pipelines/runs`` {path, force?, only?, from?, params?} → 202 {run_id}."""

    @web.authenticated
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
    async def get(self, run_id: str) -> None:
        path = self.get_query_argument("path", None)
        self.finish(await asyncio.to_thread(self.launcher.status, path, run_id))


class PipelineInitHandler(PipelinesBaseHandler):
    """``POST /pipelines/init`` {notebook}: write pipeline.yaml beside the notebook."""

    @web.authenticated
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
