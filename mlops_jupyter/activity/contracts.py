"""The REST contract of ``GET status`` and ``GET events``.

:class:`TrackingStatus` and :class:`EventList` are what
:class:`~mlops_jupyter.activity.service.ActivityService` returns and the handlers of
:mod:`mlops_jupyter.server.activity` render.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..contracts import MAX_INT, Query, Reply

EventKind = Literal["pipeline", "job", "drift", "retrain", "promotion", "rollback"]
EventOutcome = Literal["succeeded", "failed", "alert", "interrupted"]
LinkKind = Literal["run", "job", "model", "dashboard", "file"]
#: The most events one answer holds (the newest).
MAX_EVENTS = 50


class SessionStatus(Reply):
    """One live tracking session (a kernel running ``%mlops track``)."""

    pid: int
    run_id: str | None = Field(description="the session run, once the store created it")
    experiment: str | None
    notebook: str | None = Field(description="the notebook's file name")
    pending: int = Field(description="events not yet written to the store")
    spooled: int = Field(description="of those, events kept on disk in the spool")
    last_error: str | None = Field(description="the store's last error, one line")
    updated_at: int | None = Field(description="epoch ms of the last heartbeat")


class MlflowUi(Reply):
    """Where the MLflow UI of this store is."""

    url: str | None = Field(description="absolute path (proxied) or the tracking "
                                        "server's URL without credentials; null: none")
    proxied: bool = Field(description="served by this Jupyter server's proxy")


class TrackingStatus(Reply):
    """``GET status``: the store, its reachability, and the live tracking sessions."""

    store: str = Field(description="the tracking URI for display (credentials and "
                                   "home folder hidden)")
    store_kind: str = Field(description="sqlite, file, http, https, postgresql, ...")
    reachable: bool
    last_store_error: str | None
    spooled_events: int = Field(description="events spooled by kernels that have exited")
    sessions: list[SessionStatus]
    mlflow_ui: MlflowUi


class EventLink(Reply):
    """What an event's action opens."""

    kind: LinkKind
    target: str
    label: str


class Event(Reply):
    """One outcome: a job that ended, an alias that moved, a drift check that alerted."""

    id: str = Field(description="stable: the same outcome always has the same id")
    time: int = Field(description="epoch ms when it happened")
    kind: EventKind
    outcome: EventOutcome
    title: str
    message: str
    link: EventLink | None


class EventList(Reply):
    """``GET events``: outcomes after ``since``, oldest first (the newest
    :data:`MAX_EVENTS`)."""

    now: int = Field(description="epoch ms of this answer: pass it as the next `since`")
    events: list[Event]


class EventsQuery(Query):
    """``GET events?since=<epoch ms>``."""

    since: int | None = Field(None, ge=0, le=MAX_INT,
                              description="epoch ms; only events after it (default: "
                                          "the last 10 minutes)")
