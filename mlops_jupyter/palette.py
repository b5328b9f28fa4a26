"""The colours of drift and verdicts, in one place: every dashboard page, chart, table,
badge and sparkline (and ``%mlops drift``'s HTML) reads them from here, so drift
looks the same wherever it is shown.

:data:`DRIFT` is *the* drift colour (a drifted column, a check with dataset drift,
the drift threshold); :data:`NO_DRIFT` the colour of a stable column or check.
Failures use the same red (``COLORS["bad"]``), but never alone: a failed run is drawn with its
own marker and label, so a reader tells it from drift without the colour.
"""

from __future__ import annotations

DRIFT = "#dc2626"
DRIFT_BACKGROUND = "#fee2e2"  # a drift badge's fill
DRIFT_TEXT = "#991b1b"  # a drift badge's text (contrast ≥ 4.5 on DRIFT_BACKGROUND)
NO_DRIFT = "#15803d"
NO_DRIFT_BACKGROUND = "#dcfce7"
NO_DRIFT_TEXT = "#166534"
WARN = "#d97706"
NEUTRAL = "#6b7280"
CHAMPION = "#2563eb"
CHALLENGER = "#ea580c"
SHADOW = "#7c3aed"
LINE = "#475569"
GRID = "#e5e7eb"

#: Tones by name (badges, cards, charts): ``bad`` is drift's colour.
COLORS = {
    "ok": NO_DRIFT, "bad": DRIFT, "drift": DRIFT, "warn": WARN, "neutral": NEUTRAL,
    "champion": CHAMPION, "challenger": CHALLENGER, "line": LINE, "grid": GRID,
}

__all__ = ["CHALLENGER", "CHAMPION", "COLORS", "DRIFT", "DRIFT_BACKGROUND", "DRIFT_TEXT",
           "GRID", "LINE", "NEUTRAL", "NO_DRIFT", "NO_DRIFT_BACKGROUND", "NO_DRIFT_TEXT",
           "SHADOW", "WARN"]
