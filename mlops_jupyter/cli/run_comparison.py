"""``mlops runs compare|diff``: added to the ``runs`` group by :mod:`.runs`.

Placeholder of the runs part: the comparison part replaces :func:`add_commands`.
"""

from __future__ import annotations


def add_commands(runs_commands) -> None:
    """Add ``compare`` and ``diff`` to the ``mlops runs`` subparsers (none yet)."""
