"""The Schedules section at the sidebar's default width: an out-of-range cron field
is named inline, a monitor file (a drift check) is a target, a schedule shows its
parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.magics.helpers import stop_flushers
from tests.pipelines.helpers import write_notebook
from tests.ui.helpers import SCREENSHOT_DIR, open_sidebar, save_screenshot

pytestmark = pytest.mark.ui

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
PIPELINE_YAML = """\
name: nightly-counting
steps:
  - name: count
    notebook: count.ipynb
"""
MONITOR_YAML = """\
monitor:
  model: breast-cancer@champion
  current: data/current.csv
  rules:
    - name: data-drift
      drift_share_above: 0.3
"""


@pytest.fixture
def home(mlops_home):
    yield mlops_home
    if (mlops_home / "spool").is_dir():
        stop_flushers(mlops_home / "spool")


def collapse(sidebar, section: str) -> None:
    sidebar.locator(f'.jp-MLOps-section[data-section="{section}"] .jp-MLOps-sectionHeader').click()


def test_monitor_target_parameters_and_cron_ranges(start_lab, page, home, own_build):
    from playwright.sync_api import expect

    page_errors: list[str] = []
    lab = start_lab()
    write_notebook(lab.root / "proj" / "count.ipynb", "n = 3", ["print(n)"])
    (lab.root / "proj" / "pipeline.yaml").write_text(PIPELINE_YAML)
    (lab.root / "proj" / "monitor.yaml").write_text(MONITOR_YAML)
    sidebar = open_sidebar(page, lab, page_errors, widen=0)  # the default width
    collapse(sidebar, "runs")
    collapse(sidebar, "pipelines")
    section = sidebar.locator('.jp-MLOps-section[data-section="schedules"]')
    expect(section.locator(".jp-MLOps-emptyTitle")).to_have_text("No schedules yet",
                                                                 timeout=60_000)

    section.get_by_role("button", name="New schedule").click()
    form = section.get_by_role("form", name="New schedule")
    target = form.locator(".jp-MLOps-targetSelect")
    expect(target.locator("option")).to_have_text([
        "nightly-counting (proj/pipeline.yaml)",
        "Drift check breast-cancer@champion (proj/monitor.yaml)"])

    # Each bad field is named with its range, on one line; nothing can be created.
    cron = form.locator(".jp-MLOps-cronInput")
    error = form.locator(".jp-MLOps-previewError")
    for expression, message in [("61 * * * *", "minute 61 is out of range 0–59"),
                                ("0 24 * * *", "hour 24 is out of range 0–23"),
                                ("0 0 * 13 *", "month 13 is out of range 1–12")]:
        cron.fill(expression)
        expect(error).to_have_text(f"invalid cron expression '{expression}': {message}")
        expect(form.locator(".jp-MLOps-createSchedule")).to_be_disabled()

    # A monitor file: a drift check on a schedule, which takes no parameters.
    target.select_option("proj/monitor.yaml")
    expect(form.locator(".jp-MLOps-paramsInput")).to_have_count(0)
    expect(form.locator(".jp-MLOps-monitorNote")).to_contain_text("no parameters")
    cron.fill("0 * * * *")
    form.locator(".jp-MLOps-nameInput").fill("drift-hourly")
    form.locator(".jp-MLOps-createSchedule").click()
    drift = section.locator('.jp-MLOps-schedule[data-name="drift-hourly"]')
    expect(drift.locator(".jp-MLOps-scheduleTarget")).to_have_text("proj/monitor.yaml",
                                                                    timeout=30_000)
    expect(drift.locator(".jp-MLOps-scheduleKind")).to_have_text("drift check")

    # A pipeline with a parameter: shown on the schedule.
    section.get_by_role("button", name="New schedule").click()
    form = section.get_by_role("form", name="New schedule")
    form.locator(".jp-MLOps-targetSelect").select_option("proj/pipeline.yaml")
    form.locator(".jp-MLOps-nameInput").fill("nightly-counting-with-a-long-name")
    form.locator(".jp-MLOps-cronInput").fill("0 2 * * *")
    form.locator(".jp-MLOps-paramsInput").fill("count.n=5")
    form.locator(".jp-MLOps-createSchedule").click()
    nightly = section.locator(
        '.jp-MLOps-schedule[data-name="nightly-counting-with-a-long-name"]')
    expect(nightly.locator(".jp-MLOps-scheduleParam")).to_have_text(["count.n=5"],
                                                                     timeout=30_000)
    name = nightly.locator(".jp-MLOps-scheduleName")
    assert name.evaluate("e => e.scrollWidth <= e.clientWidth + 1")  # not cut

    save_screenshot(page, "schedules.png")
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    (DOCS_IMAGES / "schedules.png").write_bytes((SCREENSHOT_DIR / "schedules.png").read_bytes())
    assert [error for error in page_errors if "mlops" in error.lower()] == []
