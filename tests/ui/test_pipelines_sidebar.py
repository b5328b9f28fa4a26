"""The Pipelines section in a real JupyterLab and Chromium: a real background run."""

from __future__ import annotations

import pytest

from tests.magics.helpers import stop_flushers
from tests.pipelines.helpers import write_notebook, write_project
from tests.ui.helpers import open_sidebar, save_screenshot

pytestmark = pytest.mark.ui

RUN_TIMEOUT_MS = 120_000

# prepare → (square, cube) → report: three stages, two steps side by side.
PIPELINE_YAML = """\
name: numbers
experiment: numbers-pipeline
steps:
  - name: prepare
    notebook: prepare.ipynb
    parameters: {n: 4}
    outputs: {numbers: out/numbers.txt}
  - name: square
    notebook: power.ipynb
    parameters: {numbers_path: "${steps.prepare.outputs.numbers}", power: 2,
                 out_path: out/squares.txt}
    outputs: {values: out/squares.txt}
  - name: cube
    notebook: power.ipynb
    parameters: {numbers_path: "${steps.prepare.outputs.numbers}", power: 3,
                 out_path: out/cubes.txt}
    outputs: {values: out/cubes.txt}
  - name: report
    notebook: report.ipynb
    parameters: {squares_path: "${steps.square.outputs.values}",
                 cubes_path: "${steps.cube.outputs.values}"}
    outputs: {report: out/report.txt}
"""

PREPARE = """
from pathlib import Path
Path("out").mkdir(exist_ok=True)
Path("out/numbers.txt").write_text(" ".join(str(i) for i in range(n)))
"""
POWER = """
from pathlib import Path
numbers = [int(x) for x in Path(numbers_path).read_text().split()]
Path(out_path).write_text(" ".join(str(x ** power) for x in numbers))
"""
REPORT = """
from pathlib import Path
total = sum(int(x) for p in (squares_path, cubes_path) for x in Path(p).read_text().split())
report = Path("out/report.txt")
report.write_text(f"total {total}")
print(report.read_text())
"""
NOTEBOOKS = {
    "prepare.ipynb": ("n = 3", [PREPARE]),
    "power.ipynb": ("numbers_path = ''\npower = 1\nout_path = ''", [POWER]),
    "report.ipynb": ("squares_path = ''\ncubes_path = ''", [REPORT]),
}


@pytest.fixture
def home(mlops_home):
    """The test's home for the lab and its pipeline runs; no flusher left behind."""
    yield mlops_home
    if (mlops_home / "spool").is_dir():
        stop_flushers(mlops_home / "spool")


def step_badge(sidebar, name: str):
    return sidebar.locator(f'.jp-MLOps-step[data-step="{name}"] .jp-MLOps-badge')


def test_run_a_pipeline_then_rerun_it_from_the_cache(start_lab, page, home):
    from playwright.sync_api import expect

    page_errors: list[str] = []
    # Executed notebooks live in <project>/mlops-runs/<id>/, a visible folder that
    # Jupyter Server serves with its default settings.
    lab = start_lab()
    write_project(lab.root / "numbers", PIPELINE_YAML, NOTEBOOKS)
    sidebar = open_sidebar(page, lab, page_errors, widen=180)
    sidebar.locator('.jp-MLOps-section[data-section="runs"] .jp-MLOps-sectionHeader').click()

    pipeline = sidebar.locator('.jp-MLOps-pipeline[data-path="numbers/pipeline.yaml"]')
    expect(pipeline.locator(".jp-MLOps-pipelineName")).to_have_text("numbers", timeout=60_000)
    pipeline.locator(".jp-MLOps-pipelineHeader").click()
    steps = pipeline.locator(".jp-MLOps-step")
    expect(steps).to_have_count(4, timeout=30_000)
    # The DAG: three stages, square and cube side by side after prepare.
    stages = pipeline.locator(".jp-MLOps-stage")
    expect(stages).to_have_count(3)
    expect(stages.nth(1).locator(".jp-MLOps-stepName")).to_have_text(["square", "cube"])
    expect(pipeline.locator('.jp-MLOps-step[data-step="report"] .jp-MLOps-needs')).to_have_text(
        "← square, cube")
    expect(pipeline.locator(".jp-MLOps-cache")).to_have_text(["will run"] * 4)
    expect(pipeline.locator(".jp-MLOps-runSummary")).to_contain_text("Never run")

    pipeline.get_by_role("button", name="Run", exact=True).click()

    expect(pipeline.get_by_role("button", name="Run", exact=True)).to_be_disabled()
    for name in ("prepare", "square", "cube", "report"):
        expect(step_badge(pipeline, name)).to_have_text("Finished", timeout=RUN_TIMEOUT_MS)
    summary = pipeline.locator(".jp-MLOps-runSummary")
    expect(summary.locator(".jp-MLOps-badge")).to_have_text("Finished")
    expect(summary).to_contain_text("4 finished")
    expect(pipeline.locator(".jp-MLOps-cache")).to_have_text(["cached"] * 4)
    expect(pipeline.locator('.jp-MLOps-step[data-step="report"] .jp-MLOps-mlflow')).to_have_text(
        "MLflow: numbers-pipeline › report")
    assert (lab.root / "numbers" / "out" / "report.txt").read_text() == "total 50"

    # The output notebook opens in JupyterLab.
    pipeline.locator('.jp-MLOps-step[data-step="report"]').get_by_role(
        "button", name="Output notebook").click()
    expect(page.locator(".jp-mod-current .lm-TabBar-tabLabel")).to_have_text(
        "report.ipynb", timeout=30_000)

    pipeline.get_by_role("button", name="Run", exact=True).click()

    for name in ("prepare", "square", "cube", "report"):
        expect(step_badge(pipeline, name)).to_have_text("Cached", timeout=RUN_TIMEOUT_MS)
    expect(summary).to_contain_text("4 cached")
    expect(pipeline.locator(".jp-MLOps-cache")).to_have_count(0)  # the badges say it
    expect(sidebar.locator(
        '.jp-MLOps-pipeline[data-path="numbers/pipeline.yaml"] .jp-MLOps-pipelineHeader '
        '.jp-MLOps-badge')).to_have_text("Finished")
    save_screenshot(page, "pipelines-sidebar.png")

    assert [error for error in page_errors if "mlops" in error.lower()] == []


def test_create_a_pipeline_from_the_open_notebook(start_lab, page, home):
    from playwright.sync_api import expect

    page_errors: list[str] = []
    lab = start_lab()
    write_notebook(lab.root / "study" / "train.ipynb", "alpha = 0.5", ["print(alpha)"])
    sidebar = open_sidebar(page, lab, page_errors, widen=180, open_path="study/train.ipynb")
    expect(page.locator(".jp-mod-current .lm-TabBar-tabLabel")).to_have_text(
        "train.ipynb", timeout=60_000)
    create = sidebar.get_by_role("button", name="Create pipeline from this notebook")
    expect(create).to_be_enabled(timeout=30_000)  # the section noticed the open notebook
    create.click()

    pipeline = sidebar.locator('.jp-MLOps-pipeline[data-path="study/pipeline.yaml"]')
    expect(pipeline.locator(".jp-MLOps-step")).to_have_count(1, timeout=30_000)
    expect(pipeline.locator(".jp-MLOps-stepName")).to_have_text("train")
    assert "notebook: train.ipynb" in (lab.root / "study" / "pipeline.yaml").read_text()
    # The new file is opened for editing.
    expect(page.locator(".jp-mod-current .lm-TabBar-tabLabel")).to_have_text(
        "pipeline.yaml", timeout=30_000)

    # Again: the file exists, so the section shows it instead of failing.
    page.locator(".lm-TabBar-tab", has_text="train.ipynb").click()
    expect(page.locator(".jp-mod-current .lm-TabBar-tabLabel")).to_have_text(
        "train.ipynb", timeout=30_000)
    expect(create).to_be_enabled(timeout=30_000)
    create.click()
    expect(pipeline.locator(".jp-MLOps-step")).to_have_count(1, timeout=30_000)
    expect(sidebar.locator(".jp-MLOps-error")).to_have_count(0)

    assert [error for error in page_errors if "mlops" in error.lower()] == []
