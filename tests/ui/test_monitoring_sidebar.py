"""The Monitoring section in a real JupyterLab and Chromium: real drift checks of a
registered model — one clean, two drifted with an alert — show the latest verdict,
the drift-share chart and the alerts."""

from __future__ import annotations

import pytest

from tests.ui.helpers import open_sidebar, save_screenshot

pytestmark = pytest.mark.ui


@pytest.fixture
def checks(monitored_iris):
    monitored_iris(drifted=False)
    monitored_iris(drifted=True)
    return monitored_iris(drifted=True)


def test_monitoring_shows_verdicts_history_and_alerts(start_lab, page, checks):
    from playwright.sync_api import expect

    page_errors: list[str] = []
    lab = start_lab()
    sidebar = open_sidebar(page, lab, page_errors, widen=240)
    for section in ("runs", "pipelines", "schedules", "models"):
        sidebar.locator(f'.jp-MLOps-section[data-section="{section}"] '
                        ".jp-MLOps-sectionHeader").click()
    section = sidebar.locator('.jp-MLOps-section[data-section="monitoring"]')
    model = section.locator('.jp-MLOps-monitoredModel[data-model="iris"]')
    expect(model.locator(".jp-MLOps-verdictBadge")).to_have_text("drift", timeout=60_000)
    expect(section.locator(".jp-MLOps-alertBadge")).to_have_text("1 drifting")
    expect(model.locator(".jp-MLOps-driftSummary")).to_contain_text("3/4 columns drifted (75%)")
    expect(model.locator(".jp-MLOps-driftPoint")).to_have_count(3)
    expect(model.locator(".jp-MLOps-driftPoint.jp-mod-drift")).to_have_count(2)
    expect(model.locator(".jp-MLOps-alert")).to_have_count(2)
    expect(model.locator(".jp-MLOps-alert").first).to_contain_text("75% of columns drifted")
    save_screenshot(page, "monitoring-sidebar.png")
    assert page_errors == []
