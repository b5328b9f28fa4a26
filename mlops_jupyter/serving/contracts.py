"""The REST contract of deployments (running ``mlops serve`` endpoints).

Request :class:`StartDeploymentRequest`; replies of
:class:`mlops_jupyter.serving.service.DeploymentsService`: :class:`DeploymentList`,
:class:`StartedDeployment` (the only reply that ever holds a token, once) and
:class:`StoppedDeployment`. Times are epoch seconds.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictFloat, StrictInt

from ..contracts import Body, Name, Reply


class StartDeploymentRequest(Body):
    """``POST deployments``: serve ``model@alias`` on a loopback ``port`` (free one
    when absent), with a ``challenger`` answering ``split`` of the requests, or a
    ``shadow`` seeing a copy of each."""

    model: Name = Field(description="must be a model name")
    alias: Name | None = Field(None, description="must be an alias name")
    port: Annotated[StrictInt, Field(ge=1024, le=65535)] | None = Field(
        None, description="must be a port from 1024 to 65535")
    challenger: Name | None = Field(None, description="must be an alias name")
    split: Annotated[StrictInt | StrictFloat, Field(ge=0, le=1, allow_inf_nan=False)] | None \
        = Field(None, description="must be a number from 0 to 1")
    shadow: Name | None = Field(None, description="must be an alias name")


class ServedVersion(Reply):
    """The version a role (champion, challenger, shadow) serves, and since when."""

    alias: str | None = None
    version: str | int | None = None
    since: float | None = None


class VariantStats(Reply):
    """Counters over the last window: requests/s, error rate, latency quantiles."""

    requests: int = 0
    errors: int = 0
    rps: float | None = None
    error_rate: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None


class Swap(Reply):
    """One alias move the endpoint followed (``switched``) or refused."""

    time: float | None = None
    role: str | None = None
    alias: str | None = None
    from_version: str | int | None = None
    to_version: str | int | None = None
    outcome: str | None = None
    error: str | None = None


class Deployment(Reply):
    """A running endpoint: what it serves, where, and how it is doing (no token)."""

    id: str
    model: str | None = None
    alias: str | None = None
    challenger: str | None = None
    split: float = 0.0
    shadow: str | None = None
    url: str | None = None
    host: str | None = None
    port: int | None = None
    pid: int | None = None
    workers: int | None = None
    started: float | None = None
    running: bool = True
    versions: dict[str, ServedVersion] = {}
    stats: dict[str, VariantStats] = {}
    window_s: float | None = None
    swaps: list[Swap] = Field(default=[], description="the last ones, newest first")
    last_error: str | None = None
    ab: dict[str, Any] | None = Field(
        default=None, description="the live A/B verdict of champion vs challenger, or null")


class DeploymentList(Reply):
    """``GET deployments``."""

    deployments: list[Deployment]


class StartedDeployment(Reply):
    """``POST deployments``: the token is shown this once and stored nowhere."""

    id: str
    url: str
    token: str


class StoppedDeployment(Reply):
    """``POST deployments/{id}/stop``: ``stopped`` is false when it had already ended."""

    id: str
    stopped: bool


__all__ = [
    "Deployment", "DeploymentList", "ServedVersion", "StartDeploymentRequest",
    "StartedDeployment", "StoppedDeployment", "Swap", "VariantStats",
]
