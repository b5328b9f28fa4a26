"""``/mlops-jupyter/runs/{run_id}``: one run's detail, its artifacts, its notebooks.

Thin handlers over :class:`mlops_jupyter.runs.service.RunsService` (contracts in
:mod:`mlops_jupyter.runs.contracts`). Authorization: resource ``mlops_runs``; reading
is ``read``, copying a notebook into the workspace is ``write``. Registered after the
comparison handlers, so ``runs/compare`` and ``runs/diff`` are not taken for run ids.
"""

from __future__ import annotations

import asyncio
from pathlib import PurePosixPath
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import JupyterHandler
from tornado import web

from ..runs.contracts import ArtifactQuery, OpenNotebookReply, OpenNotebookRequest, RunDetail
from .base import Endpoint, MLOpsHandler

AUTH_RESOURCE = "mlops_runs"
#: The settings key of the :class:`~mlops_jupyter.runs.service.RunsService`.
SERVICE_SETTING = "mlops_jupyter.runs_service"


class RunsBaseHandler(MLOpsHandler):
    """Reads runs through the server's runs service."""

    auth_resource = AUTH_RESOURCE
    service_setting = SERVICE_SETTING


class RunDetailHandler(RunsBaseHandler):
    """``GET /runs/{run_id}``: everything the Run view shows."""

    contract = {"get": Endpoint("One run: fields, tags, parent and children, metric "
                                "histories, source, error, git, environment, artifacts, "
                                "model versions, related jobs and checks",
                                response=RunDetail)}

    @web.authenticated
    @authorized("read")
    async def get(self, run_id: str) -> None:
        self.render(await asyncio.to_thread(self.service.run_detail, run_id))


class RunArtifactHandler(RunsBaseHandler):
    """``GET /runs/{run_id}/artifacts?path=P``: the artifact file's bytes."""

    contract = {"get": Endpoint("One artifact file of a run (at most 50 MB)",
                                query=ArtifactQuery, media_type="application/octet-stream")}

    @web.authenticated
    @authorized("read")
    async def get(self, run_id: str) -> None:
        query = self.query(ArtifactQuery)
        data, media_type, inline = await asyncio.to_thread(
            self.service.artifact, run_id, query.path)
        name = PurePosixPath(query.path).name or "artifact"
        self.set_header("Content-Type", media_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Disposition",
                        f"{'inline' if inline else 'attachment'}; "
                        f"filename*=UTF-8''{quote(name)}")
        # APIHandler.finish would label every reply as JSON.
        self.update_api_activity()
        JupyterHandler.finish(self, data)


class OpenNotebookHandler(RunsBaseHandler):
    """``POST /runs/{run_id}/open-notebook``: the notebook artifact, in the workspace."""

    contract = {"post": Endpoint("Copy a run's notebook artifact into the server root "
                                 "(.mlops/runs/<run id>/) and answer its path",
                                 body=OpenNotebookRequest, response=OpenNotebookReply)}

    @web.authenticated
    @authorized("write")
    async def post(self, run_id: str) -> None:
        body = self.body(OpenNotebookRequest)
        self.render(await asyncio.to_thread(self.service.open_notebook, run_id, body.path))


handlers = [
    (r"/runs/([^/]+)/?", RunDetailHandler),
    (r"/runs/([^/]+)/artifacts/?", RunArtifactHandler),
    (r"/runs/([^/]+)/open-notebook/?", OpenNotebookHandler),
]
