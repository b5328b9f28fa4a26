"""Read a dashboard's first view in the (warm) Voila server, before its kernel starts.

A page view's kernel is a fresh Python process, and importing MLflow in it costs more
than everything else of the first render together. ``mlops dashboard serve`` therefore
reads what the first view shows in the Voila process itself, where MLflow is imported
once (:func:`warm_up`), while the request is prepared (:mod:`.hooks`); the payload
goes to the kernel as a private JSON file named in an injected ``prefetched``
parameter. The kernel builds the dashboard from it and needs MLflow only when a
reader asks for something it does not hold (another model, an older report).

Still nothing is recomputed: the payload holds the same stored summaries the kernel
would read. Dashboards opened elsewhere (JupyterLab's Voila) read the store themselves.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .data import Source

DIR_ENV = "MLOPS_DASHBOARD_PREFETCH_DIR"
PARAMETER = "prefetched"


def collect(template: str, model: str) -> dict[str, Any]:
    """The payload of ``template``'s first view of ``model`` (see :class:`~.data.Source`).

    Raises:
        MLOpsError: unknown model, store unavailable (the kernel then shows the page
            explaining it, reading the store itself).
    """
    source = Source(record=True)
    overview = source.overview(model)
    if template == "drift":
        checks = source.checks(model)
        if checks:
            source.result(checks[-1]["run_id"])
            source.report(checks[-1]["run_id"])
    elif template == "overview":
        source.latest_check(model)
        chosen = overview["holders"].get("champion") or (
            overview["versions"][0] if overview["versions"] else None)
        if chosen:
            source.lineage(model, chosen["version"])
    elif template == "health":
        source.health(model)
    return source.payload


def folder() -> Path:
    """Where payloads are written: ``$MLOPS_DASHBOARD_PREFETCH_DIR`` (the server's
    private folder) or a new private temporary folder."""
    configured = os.environ.get(DIR_ENV)
    if configured:
        return Path(configured)
    created = Path(tempfile.mkdtemp(prefix="mlops-prefetch-"))
    os.environ[DIR_ENV] = str(created)
    return created


def write(payload: dict[str, Any]) -> Path:
    """Write a payload to a new private (0600) file; its path."""
    descriptor, name = tempfile.mkstemp(prefix="prefetch-", suffix=".json", dir=folder())
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        json.dump(payload, stream, separators=(",", ":"))
    return Path(name)


def load(path: str) -> dict[str, Any]:
    """Read a payload and delete its file (each is used once); {} when it is gone."""
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as stream:
            payload = json.load(stream)
    except (OSError, ValueError):
        return {}
    finally:
        Path(path).unlink(missing_ok=True)
    return payload if isinstance(payload, dict) else {}


def warm_up() -> None:
    """Import MLflow and open the store now (at server start), so that no page view
    waits for it; a store that cannot be opened is left for the page to explain."""
    try:
        from ..tracking import store

        store.client()
    except Exception:  # noqa: BLE001, S110 - the first page view will say why
        pass
