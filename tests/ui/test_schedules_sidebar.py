"""The Schedules section in a real JupyterLab and Chromium: a schedule created from
the sidebar fires (the lab's in-server scheduler, a seconds cron) and its job
succeeds in the history."""

from __future__ import annotations

import re

import pytest

from mlops_jupyter.scheduling.store import JobStore
from tests.magics.helpers import stop_flushers
from tests.pipelines.helpers import write_notebook
from tests.ui.helpers import open_sidebar, save_screenshot

pytestmark = pytest.mark.ui

FIRE_TIMEOUT_MS = 120_000
EVERY_10_SECONDS = "* * * * * */10"  # croniter's 6th field: seconds

COUNT = """
from pathlib import Path
Path("out").mkdir(exist_ok=True)
Path("out/numbers.txt").write_text(" ".join(str(i) for i in range(n)))
"""


@pytest.fixture
def home(mlops_home):
    """The test's home: the lab's job store and runs; no flusher left behind."""
    yield mlops_home
    if (mlops_home / "spool").is_dir():
        stop_flushers(mlops_home / "spool")


def collapse(sidebar, section: str) -> None:
    sidebar.locator(f'.jp-MLOps-section[data-section="{section}"] .jp-MLOps-sectionHeader').click()


def test_create_a_schedule_and_see_it_fire(start_lab, page, home):
    from playwright.sync_api import expect

    page_errors: list[str] = []
    lab = start_lab()
    write_notebook(lab.root / "study" / "count.ipynb", "n = 3", [COUNT])
    sidebar = open_sidebar(page, lab, page_errors, widen=200, open_path="study/count.ipynb")
    expect(page.locator(".jp-mod-current .lm-TabBar-tabLabel")).to_have_text(
        "count.ipynb", timeout=60_000)
    collapse(sidebar, "runs")
    collapse(sidebar, "pipelines")
    section = sidebar.locator('.jp-MLOps-section[data-section="schedules"]')
    expect(section.locator(".jp-MLOps-emptyTitle")).to_have_text("No schedules yet",
                                                                 timeout=30_000)

    section.get_by_role("button", name="New schedule").click()
    form = section.get_by_role("form", name="New schedule")
    target = form.locator(".jp-MLOps-targetSelect")
    expect(target).to_have_value("study/count.ipynb")
    expect(target.locator("option:checked")).to_have_text("This notebook (study/count.ipynb)")
    # The time zone defaults to the browser's.
    browser_zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    expect(form.locator(".jp-MLOps-zoneInput")).to_have_value(browser_zone)

    # A preset fills the cron field and the preview lists the next five times.
    form.get_by_role("button", name="weekdays at 07:00").click()
    cron = form.locator(".jp-MLOps-cronInput")
    expect(cron).to_have_value("0 7 * * 1-5")
    times = form.locator(".jp-MLOps-previewTimes li")
    expect(times).to_have_count(5)
    expect(times.first.locator(".jp-MLOps-previewLocal")).to_contain_text("07:00:00")
    save_screenshot(page, "schedules-form.png")

    # An impossible date is explained inline, and nothing can be created.
    cron.fill("0 0 30 2 *")
    expect(form.locator(".jp-MLOps-previewError")).to_contain_text("never fires")
    expect(form.locator(".jp-MLOps-createSchedule")).to_be_disabled()
    form.locator(".jp-MLOps-zoneInput").fill("UTC")
    cron.fill(EVERY_10_SECONDS)
    expect(times).to_have_count(5)
    form.locator(".jp-MLOps-nameInput").fill("count-every-10s")
    form.locator(".jp-MLOps-paramsInput").fill("n=4")
    form.locator(".jp-MLOps-createSchedule").click()

    schedule = section.locator('.jp-MLOps-schedule[data-name="count-every-10s"]')
    expect(schedule.locator(".jp-MLOps-scheduleTarget")).to_have_text("study/count.ipynb",
                                                                      timeout=30_000)
    expect(schedule.locator(".jp-MLOps-cron")).to_have_text(EVERY_10_SECONDS)
    expect(schedule.locator(".jp-MLOps-zone")).to_have_text("UTC")
    expect(schedule.locator(".jp-MLOps-scheduleNext")).to_contain_text("in ")

    # The lab's scheduler fires it; the history follows the job to SUCCEEDED.
    succeeded = schedule.locator('.jp-MLOps-job[data-status="SUCCEEDED"]')
    expect(succeeded.first).to_be_visible(timeout=FIRE_TIMEOUT_MS)
    expect(succeeded.first.locator(".jp-MLOps-badge")).to_have_text("Succeeded")
    expect(succeeded.first.locator(".jp-MLOps-jobTitle")).to_contain_text("scheduled")
    expect(succeeded.first.locator(".jp-MLOps-mlflowRun")).to_contain_text("MLflow run ")
    # The job's MLflow run is a run chip (it opens the run view), not a copy button.
    expect(succeeded.first.locator(".jp-MLOps-mlflowRun .jp-MLOps-runLink")).to_have_attribute(
        "data-run-id", re.compile(r"^[0-9a-f]{32}$"))
    assert (lab.root / "study" / "out" / "numbers.txt").read_text() == "0 1 2 3"

    schedule.locator(".jp-MLOps-togglePause").click()
    expect(schedule.locator(".jp-MLOps-badge.jp-mod-paused")).to_have_text("Paused")
    expect(schedule.locator('.jp-MLOps-job[data-status="RUNNING"]')).to_have_count(
        0, timeout=FIRE_TIMEOUT_MS)

    # The executed notebook opens in JupyterLab.
    succeeded.first.locator(".jp-MLOps-outputLink").click()
    expect(page.locator('.lm-TabBar-tab.jp-mod-current[title*="Path: study/mlops-jobs/job-"]')
           ).to_be_visible(timeout=30_000)

    save_screenshot(page, "schedules-sidebar.png")

    store = JobStore()  # the lab used the test's home
    jobs = store.jobs(schedule="count-every-10s")
    store.close()
    assert any(job["status"] == "SUCCEEDED" for job in jobs)
    assert [error for error in page_errors if "mlops" in error.lower()] == []
