"""Tracking status in the status bar and a notification when a pipeline fails, in a
real JupyterLab (with its in-server scheduler) and a real Chromium."""

from __future__ import annotations

import json
import urllib.request

import pytest

from mlops_jupyter.tracking.session import TrackingSession
from tests.magics.helpers import stop_flushers
from tests.pipelines.helpers import write_project
from tests.ui.helpers import save_screenshot

pytestmark = pytest.mark.ui

FAILING_PIPELINE = """\
name: churn
experiment: churn-pipeline
steps:
  - name: prepare
    notebook: prepare.ipynb
  - name: train
    notebook: train.ipynb
"""
NOTEBOOKS = {
    "prepare.ipynb": ("rows = 10", ["print(rows)"]),
    "train.ipynb": ("rows = 0", ["raise ValueError('no training rows after the filter')"]),
}
STATUS_ITEM = ".jp-MLOps-statusItem"
TOAST = ".Toastify__toast"


@pytest.fixture
def home(mlops_home):
    yield mlops_home
    if (mlops_home / "spool").is_dir():
        stop_flushers(mlops_home / "spool")


def post(lab, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{lab.url}/mlops-jupyter/{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


@pytest.mark.usefixtures("own_build")
def test_status_bar_and_a_notification_when_a_pipeline_fails(start_lab, page, home, seed_runs):
    from playwright.sync_api import expect

    lab = start_lab()
    write_project(lab.root / "churn", FAILING_PIPELINE, NOTEBOOKS)
    notebook = lab.root / "analysis.ipynb"
    notebook.write_text("{}")
    session = TrackingSession()  # a live tracking session on the same home and store
    try:
        session.start("churn-analysis", notebook)
        assert session.flush(60)
        run_id = session.status().session_run_id

        page_errors: list[str] = []
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        page.goto(f"{lab.url}/lab?token={lab.token}")

        item = page.locator(STATUS_ITEM)
        expect(item).to_have_text(f"MLflow: sqlite · {run_id[:8]} · 0 pending · 0 spooled",
                                  timeout=60_000)
        assert "Store: sqlite:///…/mlflow.db (reachable)" in item.get_attribute("title")
        assert "churn-analysis · analysis.ipynb" in item.get_attribute("title")
        expect(item).not_to_have_class("jp-MLOps-statusItem jp-mod-error")
        save_clip(page, "statusbar.png", page.locator("#jp-main-statusbar"), width=560)

        started = post(lab, "pipelines/runs", {"path": "churn/pipeline.yaml"})
        assert started["run_id"]

        toast = page.locator(TOAST, has_text="Pipeline churn/pipeline.yaml failed")
        expect(toast).to_be_visible(timeout=180_000)
        expect(toast).to_contain_text("no training rows after the filter")
        # No MLflow UI in this lab (no proxy entry) and no run view on this branch:
        # the action shows the sidebar; with the run view it is "Open run".
        button = toast.get_by_role("button", name="Open run")
        if button.count() == 0:
            button = toast.get_by_role("button", name="Show sidebar")
        expect(button).to_be_visible()
        page.wait_for_timeout(1500)  # the toast's slide-in animation, for the picture only
        save_screenshot(page, "notification.png")
        if "sidebar" in (button.text_content() or ""):
            button.click()
            expect(page.locator("#mlops-jupyter-sidebar")).to_be_visible()

        item.click()
        expect(page.locator(TOAST, has_text="Store: sqlite")).to_be_visible()
        assert page_errors == []
    finally:
        session.shutdown()


def save_clip(page, name: str, locator, width: int) -> None:
    """The left ``width`` pixels of ``locator`` (where our item is)."""
    from tests.ui.helpers import SCREENSHOT_DIR

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    box = locator.bounding_box()
    page.screenshot(path=str(SCREENSHOT_DIR / name),
                    clip={"x": box["x"], "y": box["y"], "width": width, "height": box["height"]})
