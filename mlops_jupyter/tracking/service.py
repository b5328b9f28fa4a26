"""Experiments and their runs as one service object with typed replies
(:mod:`mlops_jupyter.tracking.contracts`), over :mod:`mlops_jupyter.tracking.queries`."""

from __future__ import annotations

from . import queries
from .contracts import ExperimentList, RunsPage, RunsQuery


class ExperimentsService:
    """Read-only access to the configured tracking store's experiments and runs."""

    def list_experiments(self) -> ExperimentList:
        """The active experiments, most recently updated first."""
        return ExperimentList(experiments=queries.list_experiments())

    def list_runs(self, experiment_id: str, query: RunsQuery) -> RunsPage:
        """One page of an experiment's runs: top level, a run's children or a filter's
        matches (see :func:`queries.list_runs`).

        Raises:
            UsageError: a malformed argument; NotFoundError: no such active experiment.
        """
        page = queries.list_runs(
            experiment_id, status=query.status or None,
            max_results=(queries.DEFAULT_MAX_RESULTS if query.max_results is None
                         else query.max_results),
            page_token=query.page_token or None, filter_string=query.filter or None,
            order_by=query.order_by or None, parent=query.parent or None)
        return RunsPage.model_validate(page)
