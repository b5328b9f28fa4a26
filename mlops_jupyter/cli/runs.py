"""``mlops runs``: tracked runs (the runs part adds ``list`` and ``show`` here)."""

from __future__ import annotations

from . import run_comparison
from .common import add_group


def add_commands(commands) -> None:
    """Add the ``runs`` group to the ``mlops`` subparsers ``commands``."""
    runs_commands = add_group(commands, "runs", "tracked runs: compare, diff")
    run_comparison.add_commands(runs_commands)
