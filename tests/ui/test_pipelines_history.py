"""Run history, the Run dialog and readable names in the Pipelines section, at the
sidebar's default width: two real runs (one fails and says why), a parameter and
``--only`` chosen in the dialog, bad input refused inline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.magics.helpers import stop_flushers
from tests.pipelines.helpers import write_project
from tests.ui.helpers import SCREENSHOT_DIR, open_sidebar, save_screenshot

pytestmark = pytest.mark.ui

RUN_TIMEOUT_MS = 120_000
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"

PIPELINE_YAML = """\
name: customer-churn-training-pipeline
experiment: churn-history
steps:
  - name: prepare_training_data
    notebook: prepare.ipynb
    parameters: {rows: 2}
    outputs: {table: out/rows.txt}
  - name: train_and_evaluate_model
    notebook: train.ipynb
    needs: [prepare_training_data]
    parameters: {table_path: "${steps.prepare_training_data.outputs.table}"}
"""
PREPARE = """
from pathlib import Path
Path("out").mkdir(exist_ok=True)
Path("out/rows.txt").write_text(" ".join(str(i) for i in range(rows)))
"""
TRAIN = """
from pathlib import Path
values = Path(table_path).read_text().split()
if len(values) < 3:
    raise ValueError(f"need at least 3 rows to train, got {len(values)}")
"""
NOTEBOOKS = {
    "prepare.ipynb": ("rows = 10", [PREPARE]),
    "train.ipynb": ("table_path = ''", [TRAIN]),
}


@pytest.fixture
def home(mlops_home):
    yield mlops_home
    if (mlops_home / "spool").is_dir():
        stop_flushers(mlops_home / "spool")


def keep(name: str) -> None:
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    (DOCS_IMAGES / name).write_bytes((SCREENSHOT_DIR / name).read_bytes())


def not_cut(locator) -> bool:
    """The element shows its whole text (no ellipsis, nothing hidden)."""
    return locator.evaluate("e => e.scrollWidth <= e.clientWidth + 1")


def test_run_history_and_run_dialog(start_lab, page, home, own_build):
    from playwright.sync_api import expect

    page_errors: list[str] = []
    lab = start_lab()
    write_project(lab.root / "churn", PIPELINE_YAML, NOTEBOOKS)
    sidebar = open_sidebar(page, lab, page_errors, widen=0)  # the default width
    sidebar.locator('.jp-MLOps-section[data-section="runs"] .jp-MLOps-sectionHeader').click()

    pipeline = sidebar.locator('.jp-MLOps-pipeline[data-path="churn/pipeline.yaml"]')
    name = pipeline.locator(".jp-MLOps-pipelineName")
    expect(name).to_have_text("customer-churn-training-pipeline", timeout=60_000)
    pipeline.locator(".jp-MLOps-pipelineHeader").click()
    expect(pipeline.locator(".jp-MLOps-step")).to_have_count(2, timeout=30_000)
    history = pipeline.get_by_role("region", name="Run history")
    expect(history).to_contain_text("No runs yet.")
    # Long names wrap at the default sidebar width: nothing is cut to "tr…".
    assert not_cut(name)
    for step in pipeline.locator(".jp-MLOps-step .jp-MLOps-stepName").all():
        assert not_cut(step)

    # 1. A plain run: 2 rows are too few, the training step fails and says why.
    pipeline.get_by_role("button", name="Run", exact=True).click()
    runs = history.locator(".jp-MLOps-historyRun")
    expect(runs).to_have_count(1, timeout=RUN_TIMEOUT_MS)
    failed = runs.first
    expect(failed).to_have_attribute("data-status", "FAILED", timeout=RUN_TIMEOUT_MS)
    expect(failed.locator(".jp-MLOps-trigger")).to_have_text("manual")
    expect(failed.locator(".jp-MLOps-historyCounts")).to_have_text("1 ok · 1 failed")
    expect(failed.locator(".jp-MLOps-runError")).to_contain_text(
        "step train_and_evaluate_model failed: ValueError: need at least 3 rows to train, "
        "got 2")
    # "started … ago" moves on its own (no reload).
    when = failed.locator("time")
    shown = when.inner_text()
    assert re.fullmatch(r"just now|\d+ s ago", shown), shown
    expect(when).not_to_have_text(shown)

    # 2. The Run dialog: a parameter (typed check on the server) and --only.
    pipeline.get_by_role("button", name="Run with options…").click()
    dialog = pipeline.get_by_role("form", name="Run customer-churn-training-pipeline")
    rows = dialog.get_by_label("prepare_training_data.rows")
    expect(rows).to_have_value("2")  # the spec's value (the notebook says 10)
    rows.fill('"many"')
    dialog.get_by_role("button", name="Start run").click()
    expect(dialog.locator(".jp-MLOps-runError")).to_contain_text("rows")
    expect(dialog.locator(".jp-MLOps-runError")).to_contain_text("int")
    expect(runs).to_have_count(1)  # nothing started

    dialog.get_by_label("Only these steps").check()
    dialog.get_by_role("button", name="Start run").click()
    expect(dialog.locator(".jp-MLOps-runError")).to_have_text(
        "Choose at least one step to run, or run all steps.")
    dialog.get_by_role("group", name="Only").get_by_label("prepare_training_data").check()
    rows.fill("5")
    save_screenshot(page, "pipelines-run-dialog.png")
    dialog.get_by_role("button", name="Start run").click()
    expect(dialog).to_have_count(0)  # started: the dialog closes

    expect(runs).to_have_count(2, timeout=RUN_TIMEOUT_MS)
    newest = runs.first
    expect(newest).to_have_attribute("data-status", "FINISHED", timeout=RUN_TIMEOUT_MS)
    expect(newest.locator(".jp-MLOps-historyCounts")).to_have_text("1 ok · 1 not selected")
    assert (lab.root / "churn" / "out" / "rows.txt").read_text() == "0 1 2 3 4"

    # 3. The failed run expands to its steps: the reason in full, the MLflow runs.
    older = runs.nth(1)
    older.locator(".jp-MLOps-historyHeader").click()
    step = older.locator('.jp-MLOps-historyStep[data-step="train_and_evaluate_model"]')
    expect(step.locator(".jp-MLOps-runError")).to_contain_text(
        "ValueError: need at least 3 rows to train, got 2 (cell ")
    expect(step.locator(".jp-MLOps-runLink")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(older.locator('.jp-MLOps-historyStep[data-step="prepare_training_data"]'
                         ' .jp-MLOps-badge')).to_have_text("Finished")
    assert not_cut(step.locator(".jp-MLOps-historyStepName"))

    sidebar.evaluate("e => e.querySelector('.jp-MLOps-history').scrollIntoView()")
    save_screenshot(page, "pipelines-history.png")
    keep("pipelines-history.png")
    assert [error for error in page_errors if "mlops" in error.lower()] == []
