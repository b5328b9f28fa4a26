"""Compare and Diff views in a real JupyterLab and Chromium: three runs compared
through the command (differing params highlighted, charts drawn), and two runs of
the same notebook diffed after a cell was edited (that cell shown changed)."""

from __future__ import annotations

import shutil

import pytest

from tests.runs.helpers import log_notebook, make_run, notebook_json
from tests.ui.helpers import REPO_ROOT, save_screenshot

pytestmark = pytest.mark.ui

DOCS_IMAGES = REPO_ROOT / "docs" / "images"
LAB_ARGS = ["--LabApp.expose_app_in_browser=True"]


@pytest.fixture(autouse=True)
def _this_worktrees_extension(tmp_path, monkeypatch):
    """Serve the lab extension built in this checkout (first on JUPYTER_PATH), not a
    copy installed into the environment earlier."""
    built = REPO_ROOT / "mlops_jupyter" / "labextension"
    if not (built / "package.json").is_file():
        pytest.fail("the lab extension is not built: run `jlpm build` first")
    data = tmp_path / "jupyter-data"
    (data / "labextensions").mkdir(parents=True)
    (data / "labextensions" / "mlops-jupyter").symlink_to(built)
    monkeypatch.setenv("JUPYTER_PATH", str(data))


def open_lab(page, lab):
    from playwright.sync_api import expect

    page.goto(f"{lab.url}/lab?token={lab.token}")
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=60_000)
    page.wait_for_function("window.jupyterapp && window.jupyterapp.commands"
                           ".hasCommand('mlops:compare-runs')", timeout=60_000)


def keep(page, name: str) -> None:
    save_screenshot(page, name)
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "test-artifacts" / "ui" / name, DOCS_IMAGES / name)


def test_compare_three_runs(start_lab, page, mlops_home):
    from playwright.sync_api import expect

    runs = []
    for model, lr, seed, accuracy in (("forest", "0.1", "1", 0.91), ("boost", "0.1", "1", 0.94),
                                      ("boost", "0.3", "2", 0.89)):
        runs.append(make_run(
            name=f"{model} lr={lr}", params={"model": model, "lr": lr, "seed": seed,
                                             "data": "churn-v3", "folds": "5"},
            metrics={"accuracy": accuracy, "rmse": 1.2 - accuracy},
            histories={"loss": [1.0 - i * accuracy / 12 for i in range(10)]}))
    lab = start_lab(extra_args=LAB_ARGS)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    open_lab(page, lab)

    page.evaluate("ids => window.jupyterapp.commands.execute('mlops:compare-runs', "
                  "{runIds: ids})", runs)

    view = page.locator(".jp-MLOps-compare")
    expect(view).to_have_attribute("data-painted", "true", timeout=60_000)
    params = view.locator('table[aria-label="Params"]')
    differing = params.locator("tr.jp-MLOps-compare-differs th")
    expect(differing).to_have_text(["lr", "model", "seed"])
    expect(view.locator(".jp-MLOps-compare-identical")).to_have_text("2 identical (show)")
    header = params.locator("thead .jp-MLOps-runLink")
    expect(header).to_have_text(["forest lr=0.1", "boost lr=0.1", "boost lr=0.3"])
    accuracy = view.locator('table[aria-label="Metrics"] tr', has_text="accuracy")
    expect(accuracy.locator("td.jp-MLOps-compare-best")).to_contain_text("0.94")
    expect(accuracy.locator(".jp-MLOps-compare-better")).to_have_text("+0.03")
    expect(view.locator('[aria-label="Parallel coordinates of params and metrics"] canvas')
           ).to_have_count(1)
    expect(view.locator('[aria-label="loss over steps"] canvas')).to_have_count(1)

    view.locator('select[aria-label="Group mode"]').select_option("except")
    view.locator('select[aria-label="Group params"]').select_option(["seed"])
    groups = view.locator('table[aria-label="Groups"] tbody tr')
    expect(groups).to_have_count(3)

    view.locator('select[aria-label="Baseline run"]').select_option(runs[1])
    expect(accuracy.locator(".jp-MLOps-compare-worse").first).to_have_text("-0.03")
    page.wait_for_timeout(300)
    keep(page, "compare.png")
    view.locator('[aria-label="Parallel coordinates of params and metrics"]').evaluate(
        "element => element.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    keep(page, "compare-charts.png")
    assert not page_errors, page_errors


def test_diff_two_runs_of_the_same_notebook(start_lab, page, mlops_home, tmp_path):
    from playwright.sync_api import expect

    cells = ["import pandas as pd", "df = pd.read_csv('churn.csv')", ("markdown", "## Train"),
             "model = train(df, depth=4)\nscore = evaluate(model)", "report(score)"]
    edited = list(cells)
    edited[3] = "model = train(df, depth=8)\nscore = evaluate(model)"
    edited.insert(4, "plot(model)")
    first = make_run(name="session 09:30", params={"depth": "4", "data": "v3"},
                     metrics={"accuracy": 0.91},
                     tags={"mlops.kind": "session", "mlops.env.numpy": "1.26.4",
                           "mlops.data.df": '{"rows":1000,"sha":"ab12"}'})
    second = make_run(name="session 11:02", params={"depth": "8", "data": "v3"},
                      metrics={"accuracy": 0.93},
                      tags={"mlops.kind": "session", "mlops.env.numpy": "2.0.1",
                            "mlops.data.df": '{"rows":1200,"sha":"cd34"}'})
    log_notebook(first, notebook_json(cells), tmp_path / "first")
    log_notebook(second, notebook_json(edited), tmp_path / "second")
    lab = start_lab(extra_args=LAB_ARGS)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    open_lab(page, lab)

    page.evaluate("([a, b]) => window.jupyterapp.commands.execute('mlops:diff-runs', "
                  "{runA: a, runB: b})", [first, second])

    view = page.locator(".jp-MLOps-diff")
    expect(view).to_have_attribute("data-painted", "true", timeout=60_000)
    expect(page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
           ).to_have_text(
        f"Diff {first[:8]}… ↔ {second[:8]}…")
    changed = view.locator('.jp-MLOps-diff-cell[data-status="changed"]')
    expect(changed).to_have_count(1)
    expect(changed.locator(".jp-MLOps-diff-del")).to_have_text("-model = train(df, depth=4)")
    expect(changed.locator(".jp-MLOps-diff-add")).to_have_text("+model = train(df, depth=8)")
    expect(view.locator('.jp-MLOps-diff-cell[data-status="added"]')).to_contain_text(
        "plot(model)")
    expect(view.locator(".jp-MLOps-diff-collapsed").first).to_have_text("3 unchanged cells")
    expect(view.locator('table[aria-label="Param differences"] tbody tr')).to_have_count(1)
    expect(view.locator('table[aria-label="Environment differences"]')).to_contain_text(
        "2.0.1")
    expect(view.locator('table[aria-label="Data fingerprints"]')).to_contain_text("changed")
    expect(view.locator('table[aria-label="Metric deltas"]')).to_contain_text("+0.02")
    keep(page, "diff.png")
    assert not page_errors, page_errors
