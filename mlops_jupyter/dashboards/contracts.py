"""The REST contract of published dashboards: the listing, and publishing one.

Request :class:`DashboardRequest`; replies of
:class:`mlops_jupyter.dashboards.service.DashboardService`: :class:`DashboardList`
and :class:`PublishedDashboards`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictStr

from ..contracts import Body, Name, Reply


class DashboardRequest(Body):
    """``POST dashboards``: ``template`` is overview, drift, health, production or all
    (default drift)."""

    model: Name | None = Field(None, description="must be a string")
    template: Annotated[StrictStr, Field(max_length=32)] | None = Field(
        None, description="must be a string")


class Dashboard(Reply):
    """A published dashboard: its file in the home's dashboards folder and its page."""

    file: str
    model: str
    template: str
    published: str | None = None
    path: str = Field(description="relative to the mlops-jupyter home")
    url: str = Field(description="the page, rendered by Voila inside this server")


class DashboardList(Reply):
    """``GET dashboards``."""

    dashboards: list[Dashboard]
    folder: str
    templates: dict[str, str]
    voila: bool = Field(description="the Voila server extension is enabled, so the "
                                    "dashboards' URLs work")


class PublishedDashboards(Reply):
    """``POST dashboards``: the dashboards just published."""

    dashboards: list[Dashboard]


__all__ = ["Dashboard", "DashboardList", "DashboardRequest", "PublishedDashboards"]
