"""The production dashboard, in-process: logged traffic of two versions and a challenger
(written with the inference log's own writer), feedback labels, and an alias swap in
the registry's history; and a model that never served a request."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.dashboards import data, publish, views
from mlops_jupyter.dashboards.views import production_page as page
from mlops_jupyter.inference.log import RequestRecord, write_records
from mlops_jupyter.registry import aliases
from tests.dashboards.test_data import widget_text

MODEL = "iris"


def traffic(now: float, *, seed: int = 0) -> tuple[list[RequestRecord], list[tuple]]:
    """v1 answered the last 20 minutes before ``now``, v2 after it; a challenger (v3)
    answered every fifth request; some requests failed, a third were labelled
    (v1 right half the time, v2 and the challenger always)."""
    rng = np.random.default_rng(seed)
    records, feedback = [], []
    for index in range(240):
        stamp = now - 1200 + index * 5 if index < 200 else now + (index - 200) * 0.05
        challenger = index % 5 == 0
        version = "3" if challenger else ("1" if index < 200 else "2")
        failed = index % 41 == 7
        inputs = pd.DataFrame({"sepal length (cm)": [5.1, 6.2],
                               "petal width (cm)": [0.2, np.nan]})
        prediction = [index % 2, index % 2]
        records.append(RequestRecord(
            request_id=f"req-{index}", timestamp=stamp, model=MODEL,
            alias="challenger" if challenger else "champion", version=version,
            variant="challenger" if challenger else "champion",
            latency_ms=float(rng.gamma(2.0, 3.0)), status=500 if failed else 200,
            error="model raised ValueError" if failed else None, inputs=inputs,
            predictions=None if failed else prediction))
        if index % 3 == 0 and not failed:
            right = version != "1" or index % 2 == 0
            feedback.append((f"req-{index}", index % 2 if right else 1 - index % 2))
    return records, feedback


@pytest.fixture
def served(registered, registry_home, tmp_path):
    """``iris`` v1 champion → v2 (a swap in the alias history), v3 challenger, with
    logged traffic around the swap."""
    for _ in range(3):
        registered(MODEL)
    aliases.set_alias(MODEL, "champion", "1", reason="first release")
    aliases.set_alias(MODEL, "challenger", "3", reason="candidate")
    swap = aliases.set_alias(MODEL, "champion", "2", reason="gate passed")
    now = time.time()
    records, feedback = traffic(now)
    assert write_records(MODEL, records, feedback=feedback) > 0
    return swap


def test_the_page_shows_traffic_versions_and_the_swap(served):
    shown = views.production(MODEL)
    assert hasattr(shown, "widget"), widget_text(shown)
    text = widget_text(shown)
    bundle = shown._repr_mimebundle_()
    assert f'data-model="{MODEL}"' in bundle["text/html"]
    assert 'data-mlops-dashboard="production"' in text
    for snippet in ("Traffic", "Latency", "Error rate", "Live accuracy", "A/B comparison",
                    "requests / min", "latency (ms)", "Alias moves", "gate passed"):
        assert snippet in text, snippet
    # The swap is marked on every time chart with the version it moved to.
    figures = [json.loads(json.dumps(output["data"]["application/vnd.plotly.v1+json"]))
               for chart in shown.widget.children if hasattr(chart, "outputs")
               for output in chart.outputs]
    assert len(figures) == 4
    for figure in figures:
        labels = [note["text"] for note in figure["layout"].get("annotations", [])]
        assert "champion → v2" in labels, labels
        assert any(shape["type"] == "line" for shape in figure["layout"]["shapes"])
        assert {trace["name"].split()[0] for trace in figure["data"]} == {"champion",
                                                                          "challenger"}
    # The A/B table: per-variant requests and versions (both versions of the champion).
    dashboard = page.ProductionDashboard(MODEL, data.Source())
    assert "v1, v2" in dashboard.ab.value and "v3" in dashboard.ab.value
    assert "192" in dashboard.ab.value and "48" in dashboard.ab.value
    assert "verdict: " in dashboard.ab.value  # serving.ab.compare's, on this window
    assert "Traceback" not in text


def test_series_and_rolling_accuracy(served):
    from mlops_jupyter.inference import logbook

    frame = logbook.read_window(MODEL, last=logbook.parse_duration("1h"))
    requests = page.per_request(frame)
    assert len(requests) == 240  # per request, not per row
    series = page.time_series(requests, 60)
    assert series["requests"].sum() == 240
    assert series["errors"].sum() == requests["failed"].sum() > 0
    # Over the whole window: the quiet first 40 minutes are 0 requests, not a gap.
    end = requests["timestamp"].max()
    full = page.time_series(requests, 60, end - pd.Timedelta(hours=1), end)
    assert full["requests"].sum() == 240 and len(full) > len(series)
    quiet = full[full["timestamp"] < end - pd.Timedelta(minutes=25)]
    assert len(quiet) > 0 and (quiet["per_minute"] == 0).all()
    assert quiet["p95"].isna().all() and quiet["error_rate"].isna().all()
    rolling, kind = page.rolling_accuracy(frame, window=1000)
    assert kind == "accuracy"
    challenger = rolling[rolling["variant"] == "challenger"]
    assert challenger["value"].iloc[-1] == 1.0  # always right
    champion = rolling[rolling["variant"] == "champion"]
    assert 0.5 < champion["value"].iloc[-1] < 1.0  # v1 half right, v2 always
    assert page.bucket_seconds(3600) == 60 and page.bucket_seconds(30 * 86400) == 7200


def test_without_traffic_it_says_so(registered, registry_home):
    registered("quiet")
    text = widget_text(views.production("quiet"))
    assert "No traffic logged for &#x27;quiet&#x27; in the last 24 hours" in text
    assert "Traceback" not in text and "cannot be shown" not in text


def test_unknown_model_explains(registry_home):
    assert "This model is not in the registry" in widget_text(views.production("ghost"))


def test_published_like_the_others(registered, registry_home, tmp_path):
    registered(MODEL)
    path = publish.publish(MODEL, "production", tmp_path)
    assert path.name == f"{MODEL}-production.ipynb"
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    assert "views.production(model, tracking_uri, prefetched)" in notebook.cells[-1].source
    assert [item["template"] for item in publish.list_dashboards(tmp_path)] == ["production"]


def _records(model: str, predictions: list, now: float) -> list[RequestRecord]:
    return [RequestRecord(request_id=f"{model}-{index}", timestamp=now - 60 + index,
                          model=model, alias="champion", version="1", variant="champion",
                          latency_ms=2.0 + index % 3, status=200, error=None,
                          inputs=pd.DataFrame({"x": [float(index)]}), predictions=[value])
            for index, value in enumerate(predictions)]


def test_a_regressor_shows_its_error_and_class_names_their_accuracy(registered,
                                                                    registry_home):
    registered("prices")
    now = time.time()
    write_records("prices", _records("prices", [10.5, 20.25, 30.75, 41.5], now),
                  feedback=[("prices-0", 11.5), ("prices-1", 20.25), ("prices-3", 40.5)])
    shown = views.production("prices")
    text = widget_text(shown)
    assert "Live MAE" in text and "Live error (MAE)" in text and "MAE (last 100" in text
    from mlops_jupyter.inference import logbook

    rolling, kind = page.rolling_accuracy(logbook.read_window("prices"))
    assert kind == "mae" and rolling["value"].iloc[-1] == pytest.approx(2 / 3)

    registered("species")
    write_records("species", _records("species", ["setosa", "virginica", "setosa"], now),
                  feedback=[("species-0", "setosa"), ("species-1", "setosa")])
    rolling, kind = page.rolling_accuracy(logbook.read_window("species"))
    assert kind == "accuracy" and rolling["value"].tolist() == [1.0, 0.5]
    text = widget_text(views.production("species"))
    assert "Live accuracy" in text and "50%" in text
