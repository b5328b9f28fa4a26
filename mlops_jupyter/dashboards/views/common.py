"""What the three dashboards share: the :class:`Dashboard` a template displays, the
guard that turns failures into a friendly page, widget and figure helpers, periods,
headers and verdicts."""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Any

from ...exceptions import MLOpsError, NotFoundError, StoreUnavailableError, UsageError
from .. import data
from .. import html as h

PERIODS = (("7 days", 7), ("30 days", 30), ("90 days", 90), ("All", None))
log = logging.getLogger("mlops_jupyter.dashboards")


class Dashboard:
    """What a template displays: the live widget, plus a static HTML copy of its
    first view in the same output.

    The browser shows the widget (its renderer outranks HTML); the copy keeps the
    page's own source meaningful for clients without a widget manager (``curl``, a
    link preview, a test) and costs no second query. Charts and the Evidently report
    are left out of the copy.
    """

    def __init__(self, widget, model: str, kind: str):
        self.widget = widget
        self.model = model
        self.kind = kind

    def snapshot(self) -> str:
        """The HTML of every HTML widget of the first view, in page order."""
        import ipywidgets as widgets

        parts, stack = [], [self.widget]
        while stack:
            item = stack.pop(0)
            if getattr(item, "_no_snapshot", False):
                continue
            children = getattr(item, "children", None)
            if children is not None:
                stack[:0] = list(children)
            elif isinstance(item, widgets.HTML):
                parts.append(item.value)
        return f'<div class="mlops-dash mlops-snapshot">{"".join(parts)}</div>'

    def _repr_mimebundle_(self, **kwargs):
        data = dict(self.widget._repr_mimebundle_(**kwargs))
        data["text/plain"] = f"mlops-jupyter {self.kind} dashboard of {self.model}"
        data["text/html"] = self.snapshot()
        return data


# -------------------------------------------------------------------------- guard
def _quiet_kernel() -> None:
    """Nothing but the dashboard may reach the page: library warnings and log lines
    would show up as text under it."""
    warnings.simplefilter("ignore")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "ERROR")
    for name in ("mlflow", "alembic", "sqlalchemy", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if not log.handlers:  # tracebacks to the server's terminal, not to the page
        handler = logging.StreamHandler(sys.__stderr__)
        handler.setFormatter(logging.Formatter("[mlops dashboard] %(message)s"))
        log.addHandler(handler)
        log.propagate = False


def guarded(model: str, tracking_uri: str, prefetched: str,
            build: Callable[[data.Source], Any]):
    """``build(source)`` for the published parameters, or a friendly page when it fails
    (the traceback of an unexpected failure goes to the server's log)."""
    from IPython.display import HTML

    from ..prefetch import load

    _quiet_kernel()
    try:
        data.use_tracking_uri(tracking_uri)
        return build(data.Source(load(prefetched)))
    except NotFoundError as exc:
        unknown = str(exc.message).startswith("no registered model")
        return HTML(h.message_page("This model is not in the registry", [
            f"There is no registered model named {model!r} (any more)." if unknown
            else exc.message,
            ("Ask the model's owner to publish this dashboard again for an existing "
             "model; the list of dashboards is on this server's home page.")]))
    except UsageError as exc:
        return HTML(h.message_page("This dashboard cannot be shown", [exc.message]))
    except StoreUnavailableError:
        return HTML(h.message_page("The model store is not reachable right now", [
            "The dashboard reads the tracking store, which did not answer.",
            "Please reload the page in a minute."]))
    except MLOpsError as exc:
        return HTML(h.message_page("This dashboard cannot be shown", [exc.message]))
    except Exception as exc:  # noqa: BLE001 - a reader never gets a traceback
        log.error("dashboard for %r failed:\n%s", model, traceback.format_exc())
        return HTML(h.message_page("This dashboard cannot be shown", [
            f"An internal error occurred ({type(exc).__name__}).",
            "The server's log has the details."]))


def safe_callback(status, function: Callable[..., None]) -> Callable[..., None]:
    """A widget callback whose failures are shown in ``status`` in one line."""

    def run(*args: Any) -> None:
        try:
            function(*args)
            status.value = ""
        except MLOpsError as exc:
            status.value = h.empty(exc.message)
        except Exception:  # noqa: BLE001
            log.error("dashboard update failed:\n%s", traceback.format_exc())
            status.value = h.empty("This view could not be updated (see the server log).")

    return run


# ------------------------------------------------------------------------ helpers
def figure_output(fig):
    """An Output widget holding a plotly figure (as JSON, drawn by the browser)."""
    import ipywidgets as widgets
    import plotly.io as pio

    from ..charts import CONFIG

    out = widgets.Output(layout={"width": "100%"})
    out.outputs = (_figure_bundle(fig, pio, CONFIG),)
    return out


def set_figure(out, fig) -> None:
    """Replace the figure shown by a :func:`figure_output`."""
    import plotly.io as pio

    from ..charts import CONFIG

    out.outputs = (_figure_bundle(fig, pio, CONFIG),)


def _figure_bundle(fig, pio, config: dict[str, Any]) -> dict[str, Any]:
    spec = json.loads(pio.to_json(fig, validate=False))
    spec["config"] = config
    return {"output_type": "display_data", "metadata": {},
            "data": {"application/vnd.plotly.v1+json": spec,
                     "text/plain": "<plotly figure>"}}


def html_widget(value: str = ""):
    """A full-width HTML widget showing ``value``."""
    import ipywidgets as widgets

    return widgets.HTML(value=value, layout={"width": "100%"})


def header_html(kind: str, model: dict[str, Any], subtitle: str) -> str:
    """A dashboard's title: the model, the dashboard kind, ``subtitle`` and alias badges."""
    badges = " ".join(h.badge(f"{alias} v{version}",
                              alias if alias in ("champion", "challenger") else "neutral")
                      for alias, version in sorted(model["aliases"].items()))
    description = f'<div class="mlops-desc">{h.esc(model["description"])}</div>' \
        if model.get("description") else ""
    return (f'{h.STYLE}<div data-mlops-dashboard="{h.esc(kind)}" '
            f'data-model="{h.esc(model["name"])}"><h1>{h.esc(model["name"])} '
            f'<span style="font-weight:400;color:#6b7280">· {h.esc(kind)}</span></h1>'
            f'<div class="mlops-sub">{h.esc(subtitle)} {badges}</div>{description}</div>')


def drift_verdict(check: dict[str, Any] | None) -> tuple[str, str]:
    """A drift check's verdict in words and its badge tone."""
    if check is None:
        return "not checked", "neutral"
    if check.get("status") == "FAILED":
        return "check failed", "warn"
    if check.get("dataset_drift") is None:
        return "unknown", "neutral"
    return ("drift detected", "bad") if check["dataset_drift"] else ("no drift", "ok")


def replace_options(select, options: list, value: Any) -> None:
    """New options and value for a Dropdown without its observers reacting to the
    intermediate states (the caller draws for the new value itself)."""
    select._replacing = True
    try:
        select.options = options
        select.value = value
    finally:
        select._replacing = False


def period_buttons(default: str):
    """The period selector (:data:`PERIODS`), ``default`` selected."""
    import ipywidgets as widgets

    return widgets.ToggleButtons(options=[label for label, _ in PERIODS], value=default,
                                 description="Period",
                                 style={"button_width": "74px", "description_width": "initial"})


def default_period(checks: list[dict[str, Any]]) -> str:
    """90 days when a check falls in them, else all."""
    recent = data.filter_checks(checks, days=90)
    return "90 days" if recent else "All"


def period_days(label: str) -> int | None:
    """The days of a period's label (None: all)."""
    return dict(PERIODS)[label]


def events_html(checks) -> str:
    """The alerts and retrains of ``checks`` as a table, newest first (at most 20)."""
    found = data.events(checks)[:20]
    if not found:
        return h.heading("Alerts and retrains") + h.empty(
            "No alert fired and no retrain started in this period.")
    tones = {"started": "warn", "succeeded": "ok", "promoted": "ok", "failed": "bad",
             "skipped": "neutral"}
    rows = [(h.esc(h.fmt_time(event["time"])),
             h.badge(event["kind"], "warn" if event["kind"] == "alert" else "champion"),
             h.badge(event["status"], tones.get(str(event["status"]).lower(), "neutral")),
             h.esc(f"v{event['version']}" if event.get("version") else "–"),
             h.esc(event["text"])) for event in found]
    return h.heading("Alerts and retrains", "newest first") + h.table(
        ("When", "What", "Status", "Model version", "Details"), rows)
