"""Monitoring as one service object with typed replies
(:mod:`mlops_jupyter.monitoring.contracts`), over :mod:`.overview`."""

from __future__ import annotations

from .contracts import MonitoringOverview


class MonitoringService:
    """Read-only access to the stored drift checks of the configured tracking store."""

    def overview(self) -> MonitoringOverview:
        """Every monitored model's latest verdict, drift history, alerts and retrains."""
        from .overview import overview

        return MonitoringOverview(models=overview())
