"""The dashboards' data and views, in-process, on the seeded store."""

from __future__ import annotations

import pytest

from mlops_jupyter.dashboards import data, views
from mlops_jupyter.dashboards import html as h
from mlops_jupyter.exceptions import NotFoundError, UsageError
from tests.dashboards.conftest import GHOST, MODEL, PIPELINE
from tests.dashboards.seed import REPORT_MARKER


def widget_text(shown) -> str:
    """Everything a view shows: its HTML output, the HTML widgets and plotly figures."""
    if not hasattr(shown, "widget"):  # a message page: plain HTML output
        return shown.data
    parts = [shown._repr_mimebundle_()["text/html"]]
    stack = [shown.widget]
    while stack:
        item = stack.pop()
        parts.append(str(getattr(item, "value", "") or ""))
        for output in getattr(item, "outputs", ()) or ():
            parts.append(str(output.get("data", {}).get("application/vnd.plotly.v1+json", "")))
        stack.extend(getattr(item, "children", ()) or ())
    return "\n".join(parts)


def test_drift_checks_are_read_not_recomputed(dashboard_env):
    checks = data.drift_checks(MODEL)
    seeded = dashboard_env.checks
    assert [check["run_id"] for check in checks] == list(seeded.run_ids)  # oldest first
    latest = checks[-1]
    assert latest["dataset_drift"] is True and latest["current_rows"] == 1_000_000
    assert sorted(latest["drifted"]) == sorted(data.metric_column(c)
                                               for c in seeded.drifted_latest)

    result = data.drift_result(latest["run_id"])
    rows = data.feature_rows(checks, result)
    assert [row["column"] for row in rows][:len(seeded.drifted_latest)] == sorted(
        seeded.drifted_latest, key=str.lower)  # drifted first
    income = next(row for row in rows if row["column"] == "income (€)")  # sanitized key
    assert len(income["history"]) == 30 and income["drifted"] is True
    assert income["threshold"] == 0.1 and income["score_kind"] == "distance"
    assert data.drift_threshold(result) == 0.5
    assert REPORT_MARKER in data.drift_report_html(latest["run_id"])
    assert data.drift_report_html(checks[0]["run_id"]) is None  # only the latest has one

    assert len(data.filter_checks(checks, days=7)) == 7
    assert data.filter_checks(checks, version="9") == []
    kinds = [event["kind"] for event in data.events(checks)]
    assert kinds.count("alert") == 4 and kinds.count("retrain") == 1


def test_model_data(dashboard_env):
    overview = data.model_overview(MODEL)
    assert overview["holders"]["champion"]["version"] == "2"
    assert overview["holders"]["challenger"]["version"] == "3"
    trace = data.version_lineage(MODEL, "2")
    assert trace["pipeline"] == PIPELINE and trace["git"].startswith("4f2a9c1e0b")
    health = data.model_health(MODEL)
    assert health["pipeline"] == PIPELINE
    assert [run["run_id"] for run in health["pipeline_runs"]] == \
        list(reversed(dashboard_env.pipeline_run_ids))
    assert sorted(job["status"] for job in health["jobs"]) == ["FAILED", "SUCCEEDED",
                                                               "SUCCEEDED"]
    with pytest.raises(NotFoundError):
        data.drift_checks(GHOST)
    with pytest.raises(UsageError):
        data.model_overview("../etc")


@pytest.mark.parametrize("view, expected", [
    (views.drift, ["drift detected", "income (€)", 'sandbox="allow-scripts"',
                   "Share of drifted columns over time", "dataset drift at 50%"]),
    (views.overview, ["Champion vs challenger", "v2", "pipeline train-churn, step train",
                      "best accuracy on the holdout"]),
    (views.health, ["Pipeline runs", "nightly-train", "step train failed",
                    "trained by pipeline train-churn"]),
])
def test_views_show_the_stored_results(dashboard_env, view, expected):
    shown = view(MODEL)
    text = widget_text(shown)
    assert f'data-model="{MODEL}"' in text
    bundle = shown._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert f'data-model="{MODEL}"' in bundle["text/html"]
    assert "<iframe" not in bundle["text/html"]  # the report stays out of the copy
    for snippet in expected:
        assert h.esc(snippet) in text or snippet in text, snippet


def test_views_explain_instead_of_failing(dashboard_env):
    for view in (views.drift, views.overview, views.health):
        text = widget_text(view(GHOST))
        assert "This model is not in the registry" in text
        assert "no registered model named &#x27;ghost-model&#x27; (any more)" in text
    text = widget_text(views.drift("bad name!"))
    assert "cannot be shown" in text and "invalid model name" in text


def test_html_escapes_store_values():
    assert h.esc('<img src=x onerror="alert(1)">') == \
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    frame = h.sandboxed_report('<script>alert("x")</script>', "t")
    assert 'sandbox="allow-scripts"' in frame and "allow-same-origin" not in frame
    assert "<script>" not in frame  # only inside the escaped srcdoc attribute
    assert h.sparkline([]).startswith("<span")
    # A dot for each drifted point and for the latest one.
    assert h.sparkline([(1, 0.3, True), (2, 0.1, False), (3, 0.1, False)], 0.2
                       ).count("<circle") == 2


@pytest.mark.parametrize("template", ["drift", "overview", "health"])
def test_a_prefetched_first_view_needs_no_store(dashboard_env, template, tmp_path,
                                                monkeypatch):
    from mlops_jupyter.dashboards import prefetch

    monkeypatch.setenv(prefetch.DIR_ENV, str(tmp_path))
    path = prefetch.write(prefetch.collect(template, MODEL))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    # The kernel is pointed at a store that does not exist: everything must come from
    # the payload, which is consumed.
    shown = getattr(views, template)(MODEL, f"sqlite:///{tmp_path}/missing/none.db", str(path))
    assert hasattr(shown, "widget"), widget_text(shown)
    assert f'data-model="{MODEL}"' in shown._repr_mimebundle_()["text/html"]
    assert not path.exists()
    assert not (tmp_path / "missing").exists()


def test_the_model_selector_offers_published_models_only(dashboard_env, monkeypatch):
    monkeypatch.chdir(dashboard_env.dashboards)  # a page's kernel runs in its folder
    dashboard = views.OverviewDashboard(MODEL, data.Source())
    assert list(dashboard.model_select.options) == [MODEL, GHOST]  # not the registry
    dashboard.model_select.value = GHOST  # deleted since: one line, the page stays
    assert "no registered model named" in dashboard.status.value
    assert dashboard.model["name"] == MODEL
