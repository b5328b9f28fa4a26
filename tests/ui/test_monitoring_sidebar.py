"""The Monitoring section in a real JupyterLab and Chromium: real drift checks of a
registered model — one clean, two drifted with an alert — show the latest verdict,
the drift share over time (a chart whose points open the check's run), the links of
the latest check, and "Check now" running the model's monitor.yaml as a job."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.ui.command_spy import (
    EXPOSE_APP,
    click_chart_point,
    executed,
    install_command_spy,
    wait_for_command,
)
from tests.ui.helpers import open_sidebar, save_screenshot

pytestmark = pytest.mark.ui

OPEN_RUN = "mlops:open-run"
#: The drift chart's insets (labextension/src/sidebar/monitoring/DriftChart.tsx).
DRIFT_INSETS = {"left": 64, "right": 18, "top": 16, "bottom": 44}


@pytest.fixture
def checks(monitored_iris):
    return [monitored_iris(drifted=False), monitored_iris(drifted=True),
            monitored_iris(drifted=True)]


def _monitoring(page, lab):
    page_errors: list[str] = []
    sidebar = open_sidebar(page, lab, page_errors, widen=240)
    for section in ("runs", "pipelines", "schedules", "models"):
        sidebar.locator(f'.jp-MLOps-section[data-section="{section}"] '
                        ".jp-MLOps-sectionHeader").click()
    section = sidebar.locator('.jp-MLOps-section[data-section="monitoring"]')
    return section, section.locator('.jp-MLOps-monitoredModel[data-model="iris"]'), page_errors


def test_monitoring_shows_drift_over_time_and_links(start_lab, page, checks):
    from playwright.sync_api import expect

    lab = start_lab(extra_args=EXPOSE_APP)
    section, model, page_errors = _monitoring(page, lab)
    install_command_spy(page, OPEN_RUN)
    expect(model.locator(".jp-MLOps-verdictBadge")).to_have_text("drift", timeout=60_000)
    expect(section.locator(".jp-MLOps-alertBadge")).to_have_text("1 drifting")
    expect(model.locator(".jp-MLOps-driftSummary")).to_contain_text("3/4 columns drifted (75%)")
    points = model.locator(".jp-MLOps-driftPoint")
    expect(points).to_have_count(3)
    expect(model.locator('.jp-MLOps-driftPoint[data-drift="true"]')).to_have_count(2)
    expect(model.locator(".jp-MLOps-alert")).to_have_count(2)
    expect(model.locator(".jp-MLOps-alert").first).to_contain_text("75% of columns drifted")
    # The latest check's run, its Evidently report and the chart.
    links = model.locator(".jp-MLOps-checkLinks")
    expect(links.locator(".jp-MLOps-runLink")).to_have_attribute("data-run-id",
                                                                  checks[-1]["run_id"])
    expect(links.locator(".jp-MLOps-noReport")).to_have_text("no Evidently report kept")
    chart = model.locator(".jp-MLOps-driftChart")
    expect(chart.locator("canvas")).to_have_count(1)
    page.wait_for_timeout(300)
    save_screenshot(page, "monitoring.png")

    # A click on the first (clean) check's point opens that check's run.
    first = points.first
    click_chart_point(page, chart, float(first.get_attribute("data-x")),
                      float(first.get_attribute("data-y")), DRIFT_INSETS)
    wait_for_command(page, OPEN_RUN)
    assert executed(page, OPEN_RUN) == [{"runId": checks[0]["run_id"]}]
    assert page_errors == []


def test_check_now_runs_the_monitor_and_shows_the_outcome(start_lab, page, checks, iris):
    from playwright.sync_api import expect

    lab = start_lab()
    features, _ = iris
    features.to_csv(lab.root / "current.csv", index=False)
    (lab.root / "monitor.yaml").write_text(
        "monitor:\n  model: iris@champion\n  current: current.csv\n")
    request = urllib.request.Request(
        f"{lab.url}/mlops-jupyter/schedules", method="POST",
        data=json.dumps({"target": "monitor.yaml", "cron": "0 0 1 1 *",
                         "name": "watch-iris"}).encode(),
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.status == 201

    _section, model, page_errors = _monitoring(page, lab)
    expect(model.locator(".jp-MLOps-driftPoint")).to_have_count(3, timeout=60_000)
    model.locator(".jp-MLOps-checkNow").click()
    outcome = model.locator('.jp-MLOps-checkNowStatus[data-status]')
    expect(outcome).to_have_attribute("data-status", "SUCCEEDED", timeout=180_000)
    expect(outcome).to_contain_text("Check finished")
    expect(outcome.locator(".jp-MLOps-runLink")).to_have_count(1)
    # The section reloads: the new check is the fourth point, and clean.
    expect(model.locator(".jp-MLOps-driftPoint")).to_have_count(4, timeout=30_000)
    expect(model.locator(".jp-MLOps-verdictBadge")).to_have_text("no drift")
    # The new check kept its Evidently report: served sandboxed, with this login.
    report = model.locator(".jp-MLOps-checkLinks .jp-MLOps-reportLink")
    href = report.get_attribute("href")
    assert href == (f"{lab.url}/mlops-jupyter/monitoring/checks/"
                    f"{outcome.locator('.jp-MLOps-runLink').get_attribute('data-run-id')}/report")
    answer = page.request.get(href)
    assert answer.status == 200 and answer.headers["content-security-policy"].startswith(
        "sandbox allow-scripts;")
    page.wait_for_timeout(300)
    save_screenshot(page, "monitoring-check-now.png")
    assert page_errors == []
