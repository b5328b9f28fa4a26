"""``/mlops-jupyter/schedules`` and ``/mlops-jupyter/jobs``: cron schedules and their jobs.

Thin handlers over :class:`~mlops_jupyter.scheduling.schedule_service.ScheduleService`,
which the app puts in the settings under :data:`SERVICE_SETTING` (contracts in
:mod:`mlops_jupyter.scheduling.contracts`); every service call
runs in a worker thread (the job store is SQL). Errors: 400 bad input, 404 unknown
schedule or job, 409 a duplicate name / a finished job / a disabled scheduler,
503 a locked or unavailable job store.

================================  ===========================================
``GET schedules``                 schedules (``next``, ``next_human``,
                                  ``last_job``), ``presets``, ``scheduler``
``POST schedules``                {target, cron, timezone?, params?, missed?,
                                  name?} → 201 schedule
``GET schedules/presets``         the cron presets
``POST schedules/preview``        {cron, timezone?} → {next, local, human}
``GET|DELETE schedules/{name}``   one schedule / remove it (204)
``POST schedules/{name}/pause``   stop firing (``resume`` starts again)
``POST schedules/{name}/run``     "Run now" → 202 job (executes: not fuzzed)
``GET jobs?schedule=&status=&limit=``  jobs, newest first
``GET jobs/{id}``                 one job
``POST jobs/{id}/cancel``         stop a queued or running job
================================  ===========================================

Authorization: resource ``mlops_schedules`` (:data:`AUTH_RESOURCE`); listings, presets
and previews are ``read``; creating, pausing, resuming and removing a schedule are
``write``; "Run now" and cancelling a job are ``execute``.
"""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..scheduling.contracts import (
    CronPreview,
    Job,
    JobList,
    JobsQuery,
    PresetList,
    PreviewRequest,
    Schedule,
    ScheduleList,
    ScheduleRequest,
    TargetList,
)
from ..scheduling.schedule_service import ScheduleService
from .base import Endpoint, MLOpsHandler

#: The settings key of the :class:`~mlops_jupyter.scheduling.schedule_service.ScheduleService`.
SERVICE_SETTING = "mlops_jupyter_schedule_service"
AUTH_RESOURCE = "mlops_schedules"
DEFAULT_JOB_LIMIT = 50


class SchedulesBaseHandler(MLOpsHandler):
    """Runs schedule service calls in a worker thread (the job store is SQL);
    authorizes against ``mlops_schedules``."""

    auth_resource = AUTH_RESOURCE
    service_setting = SERVICE_SETTING
    service: ScheduleService

    async def call(self, function, *args, **kwargs):
        return await asyncio.to_thread(function, *args, **kwargs)


class SchedulesHandler(SchedulesBaseHandler):
    """``GET /schedules`` and ``POST /schedules``."""

    contract = {
        "get": Endpoint("Every schedule, the cron presets and the scheduler's state",
                        response=ScheduleList),
        "post": Endpoint("Create a schedule", body=ScheduleRequest, response=Schedule,
                         status=201),
    }

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.render(await self.call(self.service.list_schedules))

    @web.authenticated
    @authorized("write")
    async def post(self) -> None:
        body = self.body(ScheduleRequest)
        self.render(await self.call(self.service.create, body.model_dump()), 201)


class PresetsHandler(SchedulesBaseHandler):
    """``GET /schedules/presets``: named cron expressions for the cron helper."""

    contract = {"get": Endpoint("Named cron expressions for the cron helper",
                                response=PresetList)}

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.render(self.service.presets())


class TargetsHandler(SchedulesBaseHandler):
    """``GET /schedules/targets``: pipeline and monitor files a schedule can run."""

    contract = {"get": Endpoint("The pipeline and monitor files a schedule can run",
                                response=TargetList)}

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.render(await self.call(self.service.targets))


class PreviewHandler(SchedulesBaseHandler):
    """``POST /schedules/preview`` {cron, timezone}: the next five fire times."""

    contract = {"post": Endpoint("The next fire times of a cron expression",
                                 body=PreviewRequest, response=CronPreview)}

    @web.authenticated
    @authorized("read")
    async def post(self) -> None:
        body = self.body(PreviewRequest)
        self.render(await self.call(self.service.preview, body.cron, body.timezone))


class ScheduleHandler(SchedulesBaseHandler):
    """``GET /schedules/{name}`` and ``DELETE /schedules/{name}`` (jobs are kept)."""

    contract = {
        "get": Endpoint("One schedule with its next fire time and last job",
                        response=Schedule),
        "delete": Endpoint("Remove a schedule (its jobs are kept)", status=204),
    }

    @web.authenticated
    @authorized("read")
    async def get(self, name: str) -> None:
        self.render(await self.call(self.service.get_schedule, name))

    @web.authenticated
    @authorized("write")
    async def delete(self, name: str) -> None:
        await self.call(self.service.remove, name)
        self.set_status(204)
        self.finish()


class ScheduleActionHandler(SchedulesBaseHandler):
    """``POST /schedules/{name}/pause|resume``: stop or start firing."""

    contract = {"post": Endpoint("Pause or resume a schedule", response=Schedule)}

    @web.authenticated
    @authorized("write")
    async def post(self, name: str, action: str) -> None:
        self.render(await self.call(self.service.set_enabled, name, action == "resume"))


class ScheduleRunHandler(SchedulesBaseHandler):
    """``POST /schedules/{name}/run``: "Run now" → 202 job."""

    contract = {"post": Endpoint("Start a job of a schedule now", response=Job, status=202,
                                 executes=True)}

    @web.authenticated
    @authorized("execute")
    async def post(self, name: str) -> None:
        self.render(await self.call(self.service.run_now, name), 202)


class JobsHandler(SchedulesBaseHandler):
    """``GET /jobs?schedule=NAME&status=STATUS&limit=N``: jobs, newest first."""

    contract = {"get": Endpoint("Jobs, newest first", query=JobsQuery, response=JobList)}

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        query = self.query(JobsQuery)
        limit = DEFAULT_JOB_LIMIT if query.limit is None else query.limit
        self.render(await self.call(self.service.jobs, query.schedule, query.status, limit))


class JobHandler(SchedulesBaseHandler):
    """``GET /jobs/{id}``."""

    contract = {"get": Endpoint("One job", response=Job)}

    @web.authenticated
    @authorized("read")
    async def get(self, job_id: str) -> None:
        self.render(await self.call(self.service.job, job_id))


class JobCancelHandler(SchedulesBaseHandler):
    """``POST /jobs/{id}/cancel``: stop its processes; 409 when it already ended."""

    contract = {"post": Endpoint("Stop a queued or running job", response=Job)}

    @web.authenticated
    @authorized("execute")
    async def post(self, job_id: str) -> None:
        self.render(await self.call(self.service.cancel, job_id))


handlers = [
    (r"/schedules/?", SchedulesHandler),
    (r"/schedules/presets/?", PresetsHandler),
    (r"/schedules/preview/?", PreviewHandler),
    (r"/schedules/targets/?", TargetsHandler),
    (r"/schedules/([^/]+)/?", ScheduleHandler),
    (r"/schedules/([^/]+)/run/?", ScheduleRunHandler),
    (r"/schedules/([^/]+)/(pause|resume)/?", ScheduleActionHandler),
    (r"/jobs/?", JobsHandler),
    (r"/jobs/([^/]+)/?", JobHandler),
    (r"/jobs/([^/]+)/cancel/?", JobCancelHandler),
]
