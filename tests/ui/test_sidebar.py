"""The MLOps sidebar in a real JupyterLab, driven with a real Chromium."""

from __future__ import annotations

import pytest

from tests.ui.helpers import open_sidebar, save_screenshot

pytestmark = pytest.mark.ui


def test_sidebar_shows_experiments_and_their_runs(start_lab, page, seed_runs):
    from playwright.sync_api import expect

    page_errors: list[str] = []
    lab = start_lab({"mlops-jupyter/sidebar": {"runsPageSize": 3}})
    sidebar = open_sidebar(page, lab, page_errors)

    experiments = sidebar.locator(".jp-MLOps-experimentName")
    # The server imports MLflow and opens the store on the first request.
    expect(experiments).to_have_text(["churn-model", "baseline", "Default"], timeout=60_000)
    sidebar.locator(".jp-MLOps-experimentHeader", has_text="churn-model").click()
    runs = sidebar.locator(".jp-MLOps-run")
    # A tree: the session at the top, its cells (in the order they ran) on expand.
    expect(runs.locator(".jp-MLOps-runName")).to_have_text(["session 2026-11-21 09:30"])
    runs.first.get_by_role("button", name="Show 4 child runs").click()
    expect(runs.locator(".jp-MLOps-runName")).to_have_text(
        ["session 2026-11-21 09:30", "load data", "train", "evaluate", "predict"]
    )

    cells = sidebar.locator(".jp-MLOps-runChildren .jp-MLOps-run")

    def run_named(name: str):
        return cells.filter(has=page.locator(".jp-MLOps-runName").get_by_text(name, exact=True))

    failed = run_named("evaluate")
    expect(failed.locator(".jp-MLOps-badge")).to_have_text("Failed")
    expect(failed.locator(".jp-MLOps-runError")).to_have_text("ZeroDivisionError: division by zero")
    expect(run_named("train").locator(".jp-MLOps-metric")).to_have_count(3)
    expect(run_named("predict").locator(".jp-MLOps-badge")).to_have_text("Running")
    save_screenshot(page, "runs-sidebar.png")

    sidebar.locator(".jp-MLOps-statusFilter select").select_option("FAILED")
    expect(runs.locator(".jp-MLOps-runName")).to_have_text(["evaluate"])

    assert [error for error in page_errors if "mlops" in error.lower()] == []


def test_sidebar_shows_the_server_error(start_lab, page, mlops_home, monkeypatch):
    from playwright.sync_api import expect

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "bogus://tracking-server")
    page_errors: list[str] = []
    sidebar = open_sidebar(page, start_lab(), page_errors)

    # Every section reading the store says so (Runs and Models); Runs is checked here.
    error = sidebar.locator('.jp-MLOps-section[data-section="runs"] .jp-MLOps-error')
    expect(error).to_contain_text("cannot open the tracking store", timeout=60_000)
    expect(error.get_by_role("button", name="Retry")).to_be_visible()
    save_screenshot(page, "runs-sidebar-error.png")
