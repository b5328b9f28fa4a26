"""The landing page of ``mlops dashboard serve`` (two models × two kinds, behind the
token), and what real drift checks look like on the pages: one column count on
every page, drifted columns first, the Evidently report's frame as tall as its
content — in a real Voila and a real Chromium. Screenshots kept in docs/images/."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops_jupyter import config
from tests.dashboards.conftest import DashboardHome, start_voila
from tests.dashboards.helpers import get
from tests.dashboards.test_browser import assert_not_blank
from tests.dashboards.test_data import widget_text
from tests.ui.helpers import CHROMIUM, CHROMIUM_ARGS, REPO_ROOT

MODELS = ("fraud-scorer", "churn-predictor")
KINDS = ("overview", "drift")
IMAGES = REPO_ROOT / "docs" / "images"


def _frames(seed: int, drifted: bool):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = 400
    reference = pd.DataFrame({
        "amount": rng.normal(50, 10, rows), "age": rng.normal(40, 8, rows),
        "tenure": rng.normal(5, 2, rows), "prediction": rng.integers(0, 2, rows),
        "label": rng.integers(0, 2, rows)})
    current = pd.DataFrame({
        "amount": rng.normal(80 if drifted else 50, 10, rows), "age": rng.normal(40, 8, rows),
        "tenure": rng.normal(9 if drifted else 5, 2, rows),  # no label yet: skipped
        "prediction": rng.choice([0, 1], rows, p=[0.1, 0.9] if drifted else [0.5, 0.5])})
    return reference, current


@dataclass(frozen=True)
class TwoModels:
    home: DashboardHome
    checks: dict[str, dict]


@pytest.fixture(scope="module")
def two_models(tmp_path_factory, _empty_store, iris_model) -> TwoModels:
    """Two registered models, each with a reference profile (with a prediction
    column) and a real drift check (a real Evidently report), and their overview and
    drift dashboards published."""
    from mlops_jupyter.dashboards.publish import publish
    from mlops_jupyter.monitoring import checks as drift_checks
    from mlops_jupyter.monitoring.references import save_reference
    from mlops_jupyter.registry import register_model

    home = tmp_path_factory.mktemp("landing-home")
    shutil.copyfile(_empty_store, home / "mlflow.db")
    found = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config.HOME_ENV, str(home))
        patch.delenv(config.TRACKING_URI_ENV, raising=False)
        for index, name in enumerate(MODELS):
            register_model(iris_model, name)
            reference, current = _frames(index, drifted=index == 0)
            save_reference(name, 1, reference, prediction_column="prediction",
                           target_column="label")
            found[name] = drift_checks.check(f"{name}/1", current, report=True)
            for kind in KINDS:
                publish(name, kind)
    return TwoModels(DashboardHome(home=home, dashboards=home / "dashboards", checks=None,
                                   pipeline_run_ids=()), found)


@pytest.fixture(scope="module")
def landing_voila(two_models, tmp_path_factory):
    log = tmp_path_factory.mktemp("landing-voila") / "voila.log"
    server = start_voila(two_models.home, log, max_kernels=3, idle_timeout=60)
    yield server
    server.stop()


def test_the_checks_count_the_prediction_column_and_skip_the_absent_label(two_models):
    from mlops_jupyter.monitoring.columns import column_counts

    result = two_models.checks[MODELS[0]]["result"]
    assert result["columns"]["prediction"]["role"] == "prediction"
    assert result["columns"]["label"]["status"] == "skipped"
    counts = column_counts(result)
    assert (counts.checked, counts.skipped) == (4, 1)  # amount, age, tenure, prediction
    assert counts.drifted == result["number_of_drifted_columns"] >= 2


def test_every_page_shows_the_same_column_count(two_models, monkeypatch):
    from mlops_jupyter.dashboards import views
    from mlops_jupyter.monitoring import render
    from mlops_jupyter.monitoring.columns import column_counts

    monkeypatch.setenv(config.HOME_ENV, str(two_models.home.home))
    monkeypatch.delenv(config.TRACKING_URI_ENV, raising=False)
    for name, check in two_models.checks.items():
        counts = column_counts(check["result"])
        phrase = f"{counts.drifted} of {counts.checked} columns drifted"
        drift = widget_text(views.drift(name))
        overview = widget_text(views.overview(name))
        for page in (drift, overview):
            assert phrase in page, name
            other = {match for match in re.findall(r"(\d+) of (\d+) columns? drifted", page)}
            assert other == {(str(counts.drifted), str(counts.checked))}, (name, other)
        assert counts.short() in render.drift_lines(check)[0]
        # the stored summary (what the sidebar's Monitoring section shows) agrees
        from mlops_jupyter.dashboards import data

        summary = data.drift_checks(name)[-1]
        assert column_counts(summary) == type(counts)(counts.drifted, counts.checked)
        # drifted columns first in the page's column table; the prediction column marked
        table = drift[drift.index("mlops-features"):]
        names = re.findall(r"<tr[^>]*><td><strong>([^<]+)</strong>", table)
        verdicts = [bool(row["drifted"]) for row in sorted(
            check["result"]["columns"].values(), key=lambda c: names.index(c["column"]))]
        assert verdicts == sorted(verdicts, reverse=True), names
        assert names[-1] == "label"  # skipped last
        assert re.search(r"<td>\w+ · prediction</td>", table)  # the prediction column marked
        own = re.sub(r"<iframe.*?</iframe>", "", drift + overview, flags=re.DOTALL)
        assert "(s)" not in own  # plural forms, not "check(s)" (Evidently's code aside)
    assert "1 drift check stored" in widget_text(views.drift(MODELS[0]))


def test_the_landing_page_lists_models_and_kinds_behind_the_token(landing_voila, two_models):
    anonymous = get(landing_voila, "/", token=None)
    assert anonymous.status in (302, 403)
    for name in MODELS:
        assert name not in anonymous.body
    wrong = get(landing_voila, "/", token="wrong-token-0123456789")
    assert wrong.status in (302, 403) and MODELS[0] not in wrong.body

    page = get(landing_voila, "/")
    assert page.status == 200 and 'data-mlops-landing="true"' in page.body
    links = re.findall(r'<a class="mlops-open" data-kind="(\w+)" href="([^"]+)"', page.body)
    assert sorted(links) == sorted((kind, f"/voila/render/{name}-{kind}.ipynb")
                                   for name in MODELS for kind in KINDS)
    assert "2 models · 4 dashboards" in page.body
    assert page.body.index(MODELS[1]) < page.body.index(MODELS[0])  # sorted by name
    assert "published" in page.body and "<time" in page.body
    # when the data last changed: the model in the registry, its latest drift check
    assert page.body.count("model updated just now") == 2
    assert page.body.count("last drift check just now") == 2
    # never the token, the folder or the home
    assert landing_voila.token not in page.body
    assert str(two_models.home.home) not in page.body and "/tmp" not in page.body
    assert "Select items to open with Voil" not in page.body  # not Voila's file list
    assert get(landing_voila, "/voila/tree").body == page.body or \
        'data-mlops-landing="true"' in get(landing_voila, "/voila/tree").body
    # each link is a dashboard that renders
    rendered = get(landing_voila, links[0][1])
    assert rendered.status == 200 and "dashboard of" in rendered.body


@pytest.fixture
def chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900})
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def _screenshot(page, name: str, locator=None) -> Path:
    IMAGES.mkdir(parents=True, exist_ok=True)
    path = IMAGES / name
    page.mouse.move(5, 5)
    (locator or page).screenshot(path=str(path))
    assert_not_blank(path)
    return path


@pytest.mark.ui
def test_landing_links_open_the_dashboards_in_chromium(landing_voila, chromium):
    from playwright.sync_api import expect

    page = chromium
    page.goto(f"{landing_voila.url}?token={landing_voila.token}")
    table = page.locator("table.mlops-landing-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("a.mlops-open")).to_have_count(4)
    assert landing_voila.token not in page.content()
    page.set_viewport_size({"width": 1100, "height": 420})
    _screenshot(page, "dashboard-landing.png")
    # The links carry no token: the login cookie set by the first visit opens them.
    row = table.locator("tbody tr").filter(has_text=MODELS[0])
    row.get_by_role("link", name="Drift").click()
    expect(page.locator('[data-mlops-dashboard="drift"]').first).to_be_visible(timeout=90_000)


@pytest.mark.ui
def test_the_report_frame_is_as_tall_as_the_report_in_chromium(landing_voila, chromium,
                                                                 two_models):
    from playwright.sync_api import expect

    page = chromium
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(f"{landing_voila.url}voila/render/{MODELS[0]}-drift.ipynb"
              f"?token={landing_voila.token}")
    expect(page.locator('[data-mlops-dashboard="drift"]').first).to_be_visible(timeout=90_000)
    frame_element = page.locator("iframe.mlops-report")
    frame_element.scroll_into_view_if_needed()
    expect(frame_element).to_have_attribute("data-sized", "true", timeout=60_000)
    report = page.frame_locator("iframe.mlops-report")
    expect(report.locator("text=Dataset Drift").first).to_be_visible(timeout=60_000)
    page.wait_for_timeout(1500)  # let Evidently finish drawing (the frame follows)
    inner = next(frame for frame in page.frames if frame != page.main_frame)
    content, viewport = inner.evaluate(
        "() => [document.documentElement.scrollHeight, window.innerHeight]")
    # No scroll inside the scroll: the frame shows the whole document ...
    assert content <= viewport + 1, (content, viewport)
    # ... and is not a fixed 900 px box: it follows the report's own height.
    box = frame_element.bounding_box()
    assert abs(box["height"] - 2 - viewport) <= 2 and viewport > 900, (box, viewport)
    # A narrower window reflows the report: the frame follows (no inner scroll either).
    page.set_viewport_size({"width": 760, "height": 1000})
    page.wait_for_timeout(2000)
    narrow, narrow_viewport = inner.evaluate(
        "() => [document.documentElement.scrollHeight, window.innerHeight]")
    assert narrow <= narrow_viewport + 1, (narrow, narrow_viewport)
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.wait_for_timeout(1500)
    # Evidently's column table lists the drifted columns first.
    verdicts = report.locator("table tbody tr td:nth-child(6)")
    expect(verdicts.first).to_have_text("Detected", timeout=30_000)
    texts = [text.strip() for text in verdicts.all_inner_texts() if text.strip()]
    assert texts == sorted(texts, key=lambda text: text != "Detected"), texts
    # The page's own column table too, with the same count as the verdict card.
    card = page.locator(".mlops-card").filter(has_text="Latest verdict")
    match = re.search(r"(\d+) of (\d+) columns drifted", card.inner_text())
    heading = page.locator(".mlops-h2").filter(has_text="Columns in the latest check")
    expect(heading).to_contain_text(f"{match.group(1)} of {match.group(2)} columns drifted")
    rows = page.locator("table.mlops-features tbody tr")
    drifted = rows.filter(has=page.locator(".mlops-badge.bad"))
    assert drifted.count() == int(match.group(1))
    first_stable = next(index for index in range(rows.count())
                        if rows.nth(index).locator(".mlops-badge.bad").count() == 0)
    assert first_stable == drifted.count()
    # The whole page at once: the report shown in full, inside no scroll box of its own.
    tall = page.evaluate("""() => Math.max(document.documentElement.scrollHeight, ...[
        ...document.querySelectorAll('body *')].filter(element =>
        element.scrollHeight > element.clientHeight + 5
        && getComputedStyle(element).overflowY !== 'visible').map(e => e.scrollHeight))""")
    page.set_viewport_size({"width": 1280, "height": min(int(tall) + 40, 6000)})
    page.wait_for_timeout(1500)
    _screenshot(page, "dashboard-drift.png")
    # Opening a column's details in the report makes it taller: the frame grows with it.
    page.set_viewport_size({"width": 1280, "height": 1000})
    report.locator("table tbody tr").first.locator("button").first.click()
    page.wait_for_timeout(2500)
    opened, opened_viewport = inner.evaluate(
        "() => [document.documentElement.scrollHeight, window.innerHeight]")
    assert opened <= opened_viewport + 1 and opened_viewport > viewport + 100, (
        opened, opened_viewport, viewport)


def test_the_landing_page_without_dashboards_or_store():
    from mlops_jupyter.dashboards.landing import landing_html

    empty = landing_html([], lambda file: file)
    assert "No dashboard is published here yet" in empty and "<table" not in empty
    listed = [{"file": "a-drift.ipynb", "model": "a", "template": "drift",
               "published": "2026-01-02T03:04:05+00:00"},
              {"file": "gone-drift.ipynb", "model": "gone", "template": "drift",
               "published": None}]
    page = landing_html(listed, lambda file: f"/voila/render/{file}",
                        fresh={"gone": {"missing": True}})
    assert "1 dashboard" not in page and "2 models · 2 dashboards" in page
    assert "no longer in the registry" in page
    assert 'datetime="2026-01-02T03:04:05+00:00"' in page
    assert page.count('class="mlops-open"') == 2
