"""The runs workspace in a real JupyterLab and Chromium: the runs tree of a real
pipeline (cached and scheduled markers, the failed step's reason), search, and the
Run view (parameters, a metric charted over 4 steps) opened from the tree and from
a run link."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.runs.conftest import pipeline_home, pipeline_runs  # noqa: F401 - fixtures
from tests.ui.helpers import REPO_ROOT, SCREENSHOT_DIR, open_sidebar, save_screenshot

pytestmark = pytest.mark.ui

DOCS_IMAGES = REPO_ROOT / "docs" / "images"


def keep(name: str) -> None:
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SCREENSHOT_DIR / name, DOCS_IMAGES / name)


def test_runs_tree_search_and_run_view(start_lab, page, pipeline_home, own_build):  # noqa: F811
    from playwright.sync_api import expect

    page_errors: list[str] = []
    lab = start_lab()
    sidebar = open_sidebar(page, lab, page_errors, widen=60)
    sidebar.locator(".jp-MLOps-experimentHeader", has_text="runs-exp").click(timeout=60_000)

    runs = sidebar.locator(".jp-MLOps-run")
    expect(runs.locator(".jp-MLOps-runName")).to_have_text(["churn job-7", "churn " +
                                                            pipeline_home.first.run_id])
    scheduled = runs.first
    expect(scheduled.locator(".jp-mod-scheduled")).to_have_text("scheduled")
    # the MLflow UI (jupyter-server-proxy, this package's entry point) links every run
    expect(scheduled.locator(".jp-MLOps-runMlflow").first).to_have_attribute(
        "href", re.compile(r"/mlflow/#/experiments/\d+/runs/[0-9a-f]{32}$"))
    scheduled.get_by_role("button", name="Show 3 child runs").click()
    steps = scheduled.locator(".jp-MLOps-runChildren .jp-MLOps-run")
    expect(steps.locator(".jp-MLOps-runName")).to_have_count(3)
    names = steps.locator(".jp-MLOps-runName").all_inner_texts()
    assert names.index("prepare") < names.index("train_forest")  # the order they ran in

    def step(name: str):
        return steps.filter(has=page.locator(".jp-MLOps-runName").get_by_text(name, exact=True))

    expect(step("prepare").locator(".jp-MLOps-badge")).to_have_text("cached")
    expect(step("prepare").locator(".jp-MLOps-cachedFrom .jp-MLOps-runLink")).to_be_visible()
    expect(step("evaluate").locator(".jp-MLOps-badge")).to_have_text("Failed")
    expect(step("evaluate").locator(".jp-MLOps-runError")).to_have_text(
        "ValueError: threshold must be positive")
    # Names are whole at the default width, never cut to "tr…".
    name_box = step("train_forest").locator(".jp-MLOps-runName")
    assert name_box.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    save_screenshot(page, "runs-tree.png")
    keep("runs-tree.png")

    # Search in MLflow's filter syntax: flat matches; a syntax error is one line.
    search = sidebar.get_by_label("Search runs (MLflow filter)")
    search.fill("metrics.accuracy >= 0.6")
    search.press("Enter")
    expect(runs.locator(".jp-MLOps-runName")).to_have_text(["train_forest"])
    search.fill("metrics.accuracy >")
    search.press("Enter")
    expect(sidebar.locator(".jp-MLOps-error").first).to_contain_text("filter")
    search.fill("")
    expect(runs.locator(".jp-MLOps-runName").first).to_have_text("churn job-7")
    # Sorted by duration (the first run executed every step; job 7 mostly cached).
    sort = sidebar.locator(".jp-MLOps-runSort select")
    sort.select_option(label="Duration (loaded runs)")
    expect(runs.locator(".jp-MLOps-runName").first).to_have_text(
        "churn " + pipeline_home.first.run_id)
    sort.select_option(label="Newest first")
    expect(runs.locator(".jp-MLOps-runName").first).to_have_text("churn job-7")

    # The producer of a cached step, from its run link: a Run view tab.
    runs.first.get_by_role("button", name="Show 3 child runs").click()
    step("prepare").locator(".jp-MLOps-cachedFrom .jp-MLOps-runLink").click()
    view = page.locator(".jp-MLOps-runViewBody")
    expect(view.locator(".jp-MLOps-runViewTitle")).to_have_text("prepare")
    expect(view.locator('[data-section="Parameters"]')).to_contain_text("scale")
    chart = view.locator(".jp-MLOps-metricChart")
    expect(chart).to_have_attribute("aria-label", "Metrics over steps: loss")
    expect(chart.locator("canvas")).to_have_count(1)
    expect(view.locator('[data-section="Metrics"] td').nth(1)).to_have_text("4")
    page.wait_for_timeout(500)  # the chart's entry animation
    save_screenshot(page, "run-view.png")
    keep("run-view.png")

    # From the tree: the failed step's view shows the error and its traceback.
    step("evaluate").locator(".jp-MLOps-runName").click()
    failed = page.locator(".jp-MLOps-runViewBody").filter(has_text="threshold must be positive")
    expect(failed.locator(".jp-MLOps-traceback").first).to_contain_text("raise ValueError")
    expect(failed.get_by_role("button", name="Open executed notebook")).to_be_visible()

    assert [error for error in page_errors if "mlops" in error.lower()] == []
