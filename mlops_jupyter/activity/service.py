"""The activity service behind ``GET status`` and ``GET events``."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from .contracts import EventList, EventsQuery, TrackingStatus
from .status import StoreProbe, mlflow_ui_location, tracking_status

log = logging.getLogger(__name__)


class ActivityService:
    """Tracking status and recent outcomes, read-only.

    Args:
        scheduler_host: the server's :class:`~mlops_jupyter.scheduling.host.SchedulerHost`
            (its job store holds the pipeline runs and scheduled jobs); None: no jobs.
        root_dir: the server root (job targets are shown relative to it).
        mlflow_ui_url: where this server proxies the MLflow UI (absolute path, e.g.
            ``/user/x/mlflow/``), or None when no proxy serves it.
    """

    def __init__(self, scheduler_host: Any = None, root_dir: str | Path | None = None,
                 mlflow_ui_url: str | None = None):
        self.scheduler_host = scheduler_host
        self.root = Path(root_dir).expanduser().absolute() if root_dir else None
        self.mlflow_ui_url = mlflow_ui_url
        self.probe = StoreProbe()

    def status(self) -> TrackingStatus:
        """The store (credentials hidden), whether it answers, and live sessions."""
        return tracking_status(self.probe, mlflow_ui_location(self.mlflow_ui_url))

    def events(self, query: EventsQuery) -> EventList:
        """Outcomes after ``query.since`` (default: the last 10 minutes), oldest first."""
        from . import events

        now = int(time.time() * 1000)
        since = query.since if query.since is not None else now - events.DEFAULT_WINDOW_MS
        if since >= now:  # nothing has ended in the future (a client learning `now`)
            return EventList(now=now, events=[])
        sources = []
        if self.scheduler_host is not None:
            def jobs():
                return events.job_events(self.scheduler_host.store, since, self.root)
            sources.append(jobs)

        def registry():
            from ..tracking import store

            return events.alias_events(store.client(), since)

        def drift():
            from ..tracking import store

            return events.drift_events(store.client(), since)

        sources += [registry, drift]
        return EventList(now=now, events=events.merge(sources, log.warning))
