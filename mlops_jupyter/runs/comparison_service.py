"""Run comparison and run diff as one service object with typed replies
(:mod:`mlops_jupyter.runs.comparison_contracts`)."""

from __future__ import annotations

from . import compare, diff
from .comparison_contracts import CompareRequest, Comparison, DiffQuery, RunDiff


class ComparisonService:
    """Compares runs of the configured tracking store (read-only)."""

    def compare(self, request: CompareRequest) -> Comparison:
        """Runs side by side (see :func:`mlops_jupyter.runs.compare.compare`).

        Raises:
            UsageError: bad ids or grouping; NotFoundError: an unknown run.
        """
        return compare.compare(request)

    def diff(self, query: DiffQuery) -> RunDiff:
        """What differs between runs a and b (see :func:`mlops_jupyter.runs.diff.diff`).

        Raises:
            UsageError: a malformed id; NotFoundError: an unknown run.
        """
        return diff.diff(query.a, query.b)
