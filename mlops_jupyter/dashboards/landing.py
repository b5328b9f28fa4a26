"""The home page of ``mlops dashboard serve``: the published dashboards by model and
kind, with when each was published and a link to it — instead of Voila's bare list
of notebook files.

HTML built from :func:`~.publish.list_dashboards` (signed dashboards only) and
:func:`freshness` (when each model and its drift checks last changed, read from the
store); the handler that serves it is in :mod:`.voila_app`, behind the same token as
every dashboard. The page shows model names, kinds, file names and times only: never the
token, the folder's path or anything else from the server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from ..exceptions import MLOpsError, NotFoundError
from ..wording import plural
from . import html as h
from .publish import TEMPLATES

log = logging.getLogger("mlops_jupyter.dashboards")

TITLE = "Model dashboards"
LANDING_STYLE = """
<style>
body { margin: 0; background: #f8fafc; }
.mlops-landing { padding: 28px 32px 48px; }
.mlops-landing table.mlops-table { border: 1px solid #e5e7eb; border-radius: 10px;
  border-collapse: separate; border-spacing: 0; overflow: hidden; }
.mlops-landing table.mlops-table th { background: #f8fafc; vertical-align: bottom; }
.mlops-landing th .mlops-kind-note { display: block; font-weight: 400; font-size: 12px;
  color: #6b7280; white-space: normal; max-width: 230px; line-height: 1.35; margin-top: 2px; }
.mlops-landing td { vertical-align: top; padding: 10px; }
.mlops-landing td.mlops-model { white-space: nowrap; }
.mlops-landing td.mlops-model [data-model] { font-size: 15px; font-weight: 650;
  color: #111827; }
.mlops-landing a.mlops-open { display: inline-block; font-weight: 600; color: #1d4ed8;
  text-decoration: none; padding: 3px 10px; border: 1px solid #bfdbfe; border-radius: 6px;
  background: #eff6ff; }
.mlops-landing a.mlops-open:hover, .mlops-landing a.mlops-open:focus {
  background: #dbeafe; text-decoration: underline; }
.mlops-landing .mlops-when { display: block; font-size: 12px; color: #6b7280; margin-top: 4px; }
</style>
"""


def _published(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def freshness(models: Iterable[str]) -> dict[str, dict[str, Any]]:
    """When each model last changed in the registry and when its latest drift check
    ran: ``{model: {"updated": ms | None, "checked": ms | None, "missing": bool}}``.
    A model the store cannot answer for is left out (the page shows no time for it)."""
    from ..monitoring import records
    from ..registry import common

    found: dict[str, dict[str, Any]] = {}
    for model in models:
        try:
            registered = common.get_registered_model(model)
        except NotFoundError:
            found[model] = {"updated": None, "checked": None, "missing": True}
            continue
        except MLOpsError:
            continue
        except Exception:  # the list is shown without its times
            log.warning("landing page: cannot read %r", model, exc_info=True)
            continue
        try:
            checks = records.search_checks(common.client(), model, max_results=1)
        except Exception:  # noqa: BLE001
            checks = []
        found[model] = {"updated": registered.last_updated_timestamp,
                        "checked": checks[0]["time"] if checks else None, "missing": False}
    return found


def _model_cell(model: str, fresh: dict[str, Any] | None, now_ms: int | None) -> str:
    lines = [f'<span data-model="{h.esc(model)}">{h.esc(model)}</span>']
    if fresh and fresh.get("missing"):
        lines.append('<span class="mlops-when">no longer in the registry</span>')
    elif fresh:
        lines.append(f'<span class="mlops-when">model updated '
                     f'{h.esc(h.fmt_ago(fresh.get("updated"), now_ms))}</span>')
        checked = (f"last drift check {h.fmt_ago(fresh['checked'], now_ms)}"
                   if fresh.get("checked") else "no drift check yet")
        lines.append(f'<span class="mlops-when">{h.esc(checked)}</span>')
    return "".join(lines)


def landing_rows(dashboards: Sequence[dict[str, Any]]) -> list[tuple[str, dict[str, dict]]]:
    """``[(model, {kind: dashboard})]`` sorted by model name (case-insensitive)."""
    by_model: dict[str, dict[str, dict]] = {}
    for item in dashboards:
        by_model.setdefault(str(item["model"]), {})[str(item["template"])] = item
    return sorted(by_model.items(), key=lambda pair: pair[0].lower())


def landing_html(dashboards: Sequence[dict[str, Any]], link: Callable[[str], str],
                 *, fresh: dict[str, dict[str, Any]] | None = None,
                 now_ms: int | None = None) -> str:
    """The whole landing page.

    Args:
        dashboards: :func:`~.publish.list_dashboards` entries (``file, model,
            template, published``).
        link: The URL of a dashboard file (the caller knows the base URL).
        fresh: :func:`freshness` of the models (times left out when None).
        now_ms: "Now" for the relative times (tests).
    """
    rows = landing_rows(dashboards)
    kinds = [kind for kind in TEMPLATES if any(kind in found for _, found in rows)]
    if not rows:
        body = h.message_page("No dashboard is published here yet", [
            ("Publish one with `mlops dashboard publish MODEL` (or from the MLOps sidebar "
             "in JupyterLab); it is listed here at once.")])
    else:
        head = ["Model", *kinds]
        cells = []
        for model, found in rows:
            line = [_model_cell(model, (fresh or {}).get(model), now_ms)]
            for kind in kinds:
                item = found.get(kind)
                if item is None:
                    line.append('<span class="mlops-empty">not published</span>')
                    continue
                moment = _published(item.get("published"))
                when = ("" if moment is None else
                        f'<time class="mlops-when" datetime="{h.esc(moment.isoformat())}" '
                        f'title="{h.esc(moment.strftime("%Y-%m-%d %H:%M UTC"))}">published '
                        f'{h.esc(h.fmt_ago(int(moment.timestamp() * 1000), now_ms))}</time>')
                line.append(f'<a class="mlops-open" data-kind="{h.esc(kind)}" '
                            f'href="{h.esc(link(item["file"]))}">{h.esc(kind.capitalize())}'
                            f"</a>{when}")
            cells.append(line)
        table = _table(head, cells)
        body = (f'<h1>{h.esc(TITLE)}</h1><div class="mlops-sub">'
                f"{h.esc(plural(len(rows), 'model'))} · "
                f"{h.esc(plural(len(dashboards), 'dashboard'))} · each reads the model "
                "store when it is opened</div>" + table)
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="referrer" content="no-referrer">'
            f"<title>{h.esc(TITLE)}</title>{h.STYLE}{LANDING_STYLE}</head>"
            f'<body><div class="mlops-dash mlops-landing" data-mlops-landing="true">{body}'
            "</div></body></html>")


def _table(head: list[str], rows: list[list[str]]) -> str:
    headers = ["<th>Model</th>"] + [
        f'<th scope="col">{h.esc(kind.capitalize())}'
        f'<span class="mlops-kind-note">{h.esc(TEMPLATES[kind])}</span></th>'
        for kind in head[1:]]
    body = "".join(
        f'<tr><td class="mlops-model">{row[0]}</td>'
        + "".join(f"<td>{cell}</td>" for cell in row[1:]) + "</tr>" for row in rows)
    return (f'<table class="mlops-table mlops-landing-table"><thead><tr>{"".join(headers)}'
            f"</tr></thead><tbody>{body}</tbody></table>")


__all__ = ["TITLE", "landing_html", "landing_rows"]
