"""The server extension application: mounts every resource under ``/mlops-jupyter/``."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from traitlets import Bool, Float, Type, Unicode

from ..pipelines.launcher import PipelineLauncher
from ..pipelines.workspace import Workspace
from ..scheduling.host import SchedulerHost
from ..scheduling.schedule_service import ScheduleService
from . import dashboards, experiments, models, monitoring, pipelines, schedules

URL_NAMESPACE = "mlops-jupyter"


class MLOpsExtensionApp(ExtensionApp):
    """Serves the REST API the JupyterLab sidebar reads, and runs the scheduler.

    Configurable like any Jupyter server extension, e.g. in
    ``jupyter_server_config.py``::

        c.MLOpsExtensionApp.scheduler_enabled = True        # default
        c.MLOpsExtensionApp.scheduler_poll_interval = 2.0   # seconds
        c.MLOpsExtensionApp.job_retention_days = 30         # 0 keeps every job
        c.MLOpsExtensionApp.job_store_url = "postgresql://..."  # default: see config

    or on the command line: ``jupyter lab --MLOpsExtensionApp.scheduler_enabled=False``.
    """

    name = "mlops_jupyter"

    scheduler_enabled = Bool(
        True, config=True,
        help="""Run the schedule scheduler inside this Jupyter server (on by default).

        Several servers (or `mlops scheduler` processes) may share one job store:
        each tick is claimed in the database, so it fires exactly once. Turn this off
        when a standalone `mlops scheduler` serves the store; the REST API and the
        sidebar still list and edit schedules, but "Run now" answers 409.""")
    scheduler_poll_interval = Float(
        2.0, config=True,
        help="""Seconds between looks at the job store when nothing is due (schedules
        added by other processes are seen within this time; changes made through this
        server wake the scheduler at once).""")
    job_retention_days = Float(
        30.0, config=True,
        help="""Days an ended job, and its run folder of executed notebooks, is kept
        before the scheduler deletes it. 0 keeps every job.""")
    job_store_url = Unicode(
        "", config=True,
        help="""SQLAlchemy URL of the job store. Empty: $MLOPS_JOB_DB_URL, else
        sqlite:///<home>/jobs.db in the mlops-jupyter home directory.""")
    scheduler_host_class = Type(
        default_value=SchedulerHost, klass=SchedulerHost, config=True,
        help="""The job store and scheduler of this server (runs of the Pipelines
        section are its jobs too).""")
    pipeline_launcher_class = Type(
        default_value=PipelineLauncher, klass=PipelineLauncher, config=True,
        help="The service behind /mlops-jupyter/pipelines.")
    schedule_service_class = Type(
        default_value=ScheduleService, klass=ScheduleService, config=True,
        help="The service behind /mlops-jupyter/schedules and /jobs.")

    def initialize_settings(self) -> None:
        """Put one service per resource into the settings (the classes are the
        ``*_class`` traits), and start the scheduler in the background (a store that
        cannot be opened is logged, never fatal)."""
        retention = (timedelta(days=self.job_retention_days)
                     if self.job_retention_days > 0 else None)
        host = self.scheduler_host_class(
            self.job_store_url or None, enabled=self.scheduler_enabled,
            poll_interval=self.scheduler_poll_interval, retention=retention)
        workspace = Workspace(self.serverapp.root_dir)
        self.settings[pipelines.LAUNCHER_SETTING] = self.pipeline_launcher_class(
            workspace, host)
        self.settings[schedules.SERVICE_SETTING] = self.schedule_service_class(host, workspace)
        self._scheduler_host = host
        # The sidebar's sections make their first requests at once, each in a worker
        # thread; several threads importing MLflow's circular modules together can see
        # a half-initialised module. Import it once, here, before any request.
        import mlflow  # noqa: F401
        host.start_in_background()
        if not self.scheduler_enabled:
            self.log.info("mlops-jupyter: the scheduler is disabled in this server")

    def initialize_handlers(self) -> None:
        """Register each resource module's handlers under the URL namespace."""
        for module in (experiments, pipelines, schedules, models, monitoring, dashboards):
            for pattern, handler in module.handlers:
                self.handlers.append((url_path_join("/", URL_NAMESPACE, pattern), handler))

    async def stop_extension(self) -> None:
        """On server shutdown: stop the scheduler; its running jobs — runs of the
        Pipelines section included — are stopped and marked INTERRUPTED, truthfully."""
        host = getattr(self, "_scheduler_host", None)
        if host is not None:
            await asyncio.to_thread(host.stop)
