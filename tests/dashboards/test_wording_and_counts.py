"""One plural rule, one column-count rule and one column order for every reader of a
drift check (pages, chart, CLI, stored metrics); one drift colour; the report frame's
sizing script. Pure functions and real views on a real check (no browser)."""

from __future__ import annotations

import re

import pytest

from mlops_jupyter import palette
from mlops_jupyter.dashboards import charts, data
from mlops_jupyter.dashboards import html as h
from mlops_jupyter.monitoring import render
from mlops_jupyter.monitoring.checks import _metric_values
from mlops_jupyter.monitoring.columns import ColumnCounts, column_counts, drifted_first
from mlops_jupyter.wording import noun, plural


@pytest.mark.parametrize("count, word, expected", [
    (0, "column", "0 columns"), (1, "column", "1 column"), (2, "column", "2 columns"),
    (1, "alert", "1 alert"), (3, "alert", "3 alerts"), (1, "drift check", "1 drift check"),
    (2, "drift check", "2 drift checks"), (2, "entry", "2 entries"), (2, "day", "2 days"),
    (1_000_000, "row", "1,000,000 rows"), (1.0, "row", "1 row"), (None, "alert", "0 alerts"),
    (2, "labelled row", "2 labelled rows"),
])
def test_plural(count, word, expected):
    assert plural(count, word) == expected
    assert h.plural(count, word) == expected  # the dashboards' helper is the same one


def test_noun_and_irregular_forms():
    assert noun(1, "column") == "column" and noun(5, "column") == "columns"
    assert plural(2, "person", "people") == "2 people"


# A check as `DriftResult.to_dict()` writes it: four features (one drifted, one with
# no usable values: skipped) and the prediction column (computed, drifted).
RESULT = {
    "dataset_drift": False, "drift_share": 0.5, "number_of_columns": 4,
    "number_of_drifted_columns": 2, "share_of_drifted_columns": 0.5,
    "columns": {
        "age": {"column": "age", "role": "feature", "kind": "numerical",
                "status": "computed", "drifted": False, "score": 0.4, "threshold": 0.05,
                "method": "ks", "score_kind": "p_value"},
        "Zip": {"column": "Zip", "role": "feature", "kind": "categorical",
                "status": "computed", "drifted": True, "score": 0.001, "threshold": 0.05,
                "method": "chisquare", "score_kind": "p_value"},
        "blank": {"column": "blank", "role": "feature", "kind": "numerical",
                  "status": "skipped", "drifted": False, "score": None, "threshold": None,
                  "reason": "no non-null values in the current data"},
        "income": {"column": "income", "role": "feature", "kind": "numerical",
                   "status": "computed", "drifted": False, "score": 0.2, "threshold": 0.05,
                   "method": "ks", "score_kind": "p_value"},
        "prediction": {"column": "prediction", "role": "prediction", "kind": "categorical",
                       "status": "computed", "drifted": True, "score": 0.0,
                       "threshold": 0.05, "method": "z", "score_kind": "p_value"},
    },
    "prediction": None, "excluded_columns": {}, "ignored_columns": [],
}


def test_one_counting_rule_for_results_summaries_and_stored_metrics():
    counts = column_counts(RESULT)
    # computed verdicts, the prediction column included; the skipped one apart
    assert counts == ColumnCounts(drifted=2, checked=4, skipped=1)
    assert counts.share == 0.5 == RESULT["share_of_drifted_columns"]
    assert counts.text() == "2 of 4 columns drifted, 1 skipped"
    assert counts.short() == "2/4 columns drifted"
    assert ColumnCounts(1, 1).text() == "1 of 1 column drifted"
    # what a check run stores (and the sidebar shows) is counted by the same rule ...
    stored = _metric_values(RESULT, {})
    assert (stored["drifted_columns"], stored["checked_columns"]) == (2, 4)
    # ... and reads back to the same counts
    summary = {"drifted_columns": 2, "checked_columns": 4}
    assert column_counts(summary) == ColumnCounts(2, 4)
    assert column_counts(None) == ColumnCounts(0, 0)


def test_cli_and_magic_summaries_use_the_rule_and_the_order():
    check = {"model": "m", "version": "1", "current": "x.csv", "run_id": "r" * 32,
             "result": RESULT}
    lines = render.drift_lines(check)
    assert "2/4 columns drifted" in lines[0]
    names = [line.split()[0] for line in lines[1:6]]
    assert names == ["prediction", "Zip", "age", "income", "blank"]
    page = render.drift_html(check)
    assert "2 of 4 columns drifted, 1 skipped" in page
    assert page.index(">prediction<") < page.index(">Zip<") < page.index(">age<") \
        < page.index(">blank<")
    assert palette.DRIFT in page


def test_drifted_first_then_computed_then_skipped_by_name():
    ordered = drifted_first(RESULT["columns"].values())
    assert [c["column"] for c in ordered] == ["prediction", "Zip", "age", "income", "blank"]
    rows = data.feature_rows([], RESULT)
    assert [row["column"] for row in rows] == ["prediction", "Zip", "age", "income", "blank"]
    assert rows[0]["role"] == "prediction"


def test_one_drift_colour_on_every_page_piece():
    assert h.COLORS["bad"] == palette.DRIFT == h.COLORS["drift"]
    assert palette.DRIFT in h.STYLE and palette.DRIFT_BACKGROUND in h.STYLE
    assert palette.DRIFT in h.sparkline([(1, 0.3, True), (2, 0.1, False)], 0.2)
    check = {"time": 1_700_000_000_000, "version": "1", "drifted_columns": 2,
             "checked_columns": 4, "current_rows": 10, "dataset_drift": True,
             "drift_share": 0.5, "alerts": [{"rule": "r"}], "status": "FINISHED"}
    share = charts.drift_share_figure([check], 0.5)
    assert share.data[0].marker.color[0] == palette.DRIFT
    assert "2 of 4 columns drifted" in share.data[0].text[0]
    assert "1 alert" in share.data[0].text[0] and "(s)" not in share.data[0].text[0]
    timeline = charts.health_timeline_figure([check], [], [])
    drift_trace = next(trace for trace in timeline.data if trace.name == "drift")
    assert drift_trace.marker.color == palette.DRIFT
    used = set(re.findall(r"#[0-9a-fA-F]{6}", h.STYLE))
    reds = {"#dc2626", "#c62828", "#ef4444", "#b91c1c"}
    assert used & reds <= {palette.DRIFT}  # no second red for drift


def test_the_report_frame_is_sized_by_its_document():
    frame = h.sandboxed_report("<html><head><title>r</title></head><body>x</body></html>", "t")
    assert 'sandbox="allow-scripts"' in frame and "allow-same-origin" not in frame
    assert 'onload="' in frame and "mlopsReportSizer" in frame  # the page's listener
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame).group(1)
    assert "mlopsReportHeight" in srcdoc and "ResizeObserver" in srcdoc  # the report's side
    assert srcdoc.index("mlopsReportHeight") < srcdoc.index("&lt;title&gt;")  # first script
    assert "drawDashboard" in srcdoc  # Evidently's tables reordered before drawing
    assert h.framed_report_document("<p>no head</p>").endswith("<p>no head</p>")
