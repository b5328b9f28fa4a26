"""Times as people read them: "in 4 minutes", "2 hours ago"."""

from __future__ import annotations

from datetime import datetime, timezone

_UNITS = ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))


def relative(moment: str | datetime, now: datetime | None = None) -> str:
    """``moment`` relative to ``now`` (default: the current time)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    now = now or datetime.now(timezone.utc)
    seconds = (moment - now).total_seconds()
    if abs(seconds) < 1:
        return "now"
    for size, unit in _UNITS:
        if abs(seconds) >= size:
            count = int(abs(seconds) // size)
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if seconds > 0 else f"{text} ago"
    return "now"
