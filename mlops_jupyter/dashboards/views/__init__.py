"""The dashboards as ipywidgets: what the notebook templates display.

Each public function takes the published parameters (model name, tracking URI, the
server's prefetched first view) and returns what the template displays: a
:class:`Dashboard` (the live widget plus a static HTML copy of its first view). A
problem a reader can understand (unknown model, store not reachable, nothing recorded
yet) becomes a friendly HTML page instead; anything else becomes a short "cannot be
shown" page while the traceback goes to the server's log, never to the page.

One module per dashboard (:mod:`.overview_page`, :mod:`.drift_page`,
:mod:`.health_page`, :mod:`.production_page`); what they share is in :mod:`.common`.
"""

from __future__ import annotations

from .common import PERIODS, Dashboard, figure_output, guarded, set_figure
from .drift_page import DriftDashboard
from .health_page import HealthDashboard
from .overview_page import KEY_METRICS, OverviewDashboard
from .production_page import ProductionDashboard

__all__ = ["KEY_METRICS", "PERIODS", "Dashboard", "DriftDashboard", "HealthDashboard",
           "OverviewDashboard", "ProductionDashboard", "drift", "figure_output", "health",
           "overview", "production", "set_figure"]


def overview(model: str, tracking_uri: str = "", prefetched: str = ""):
    """The model overview: champion and challenger, metrics, lineage, alias history.

    Args:
        model: Registered model name (the published parameter).
        tracking_uri: Store to read; empty for the configured one.
        prefetched: A payload file the server read for this page view
            (:mod:`..prefetch`); empty to read everything from the store.
    """
    return guarded(model, tracking_uri, prefetched, lambda source: Dashboard(
        OverviewDashboard(model, source).widget, model, "overview"))


def drift(model: str, tracking_uri: str = "", prefetched: str = ""):
    """Drift: share of drifted columns over time, per-feature verdicts with their
    history, alerts and retrains, and the latest Evidently report (arguments as
    :func:`overview`)."""
    return guarded(model, tracking_uri, prefetched, lambda source: Dashboard(
        DriftDashboard(model, source).widget, model, "drift"))


def health(model: str, tracking_uri: str = "", prefetched: str = ""):
    """Pipeline and job health: drift checks, pipeline runs and scheduled jobs
    (arguments as :func:`overview`)."""
    return guarded(model, tracking_uri, prefetched, lambda source: Dashboard(
        HealthDashboard(model, source).widget, model, "health"))


def production(model: str, tracking_uri: str = "", prefetched: str = ""):
    """Production: the serving endpoint's traffic, latency, errors, live accuracy and
    A/B comparison from the inference log, alias moves marked (arguments as
    :func:`overview`)."""
    return guarded(model, tracking_uri, prefetched, lambda source: Dashboard(
        ProductionDashboard(model, source).widget, model, "production"))
