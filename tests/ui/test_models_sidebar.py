"""The Models section in a real JupyterLab and Chromium: registered sklearn models
with their alias badges; a version promoted through the gate takes the champion
badge, a weaker one is refused, the lineage is drawn as a graph whose run node opens
the run, and a rollback asks for a reason."""

from __future__ import annotations

import pytest

from mlops_jupyter.registry import alias_history, set_alias
from mlops_jupyter.registry import common as registry_common
from tests.ui.command_spy import (
    EXPOSE_APP,
    click_chart_point,
    executed,
    install_command_spy,
    wait_for_command,
)
from tests.ui.helpers import open_sidebar, save_screenshot

pytestmark = pytest.mark.ui


def collapse(sidebar, section: str) -> None:
    sidebar.locator(f'.jp-MLOps-section[data-section="{section}"] .jp-MLOps-sectionHeader').click()


OPEN_RUN = "mlops:open-run"
#: The lineage graph's insets (labextension/src/sidebar/models/LineageView.tsx).
GRAPH_INSETS = {"left": 48, "right": 48, "top": 40, "bottom": 36}


def spy_commands(page) -> None:
    install_command_spy(page, OPEN_RUN)


@pytest.fixture
def models(registered):
    registered("iris", metrics={"accuracy": 0.90, "f1": 0.88})
    v2 = registered("iris", metrics={"accuracy": 0.95, "f1": 0.93})
    registered("iris", metrics={"accuracy": 0.80, "f1": 0.75})
    registered("churn", metrics={"auc": 0.81}, alias="challenger")
    set_alias("iris", "champion", 1, reason="first release")
    # v2's run read a data file from a notebook, at a git commit: its lineage has them.
    client = registry_common.client()
    run_id = v2["run_id"]
    for key, value in {"mlops.notebook": "train.ipynb",
                       "mlops.data.training": "sha256:9f2c41aa",
                       "mlops.step.inputs": '{"data/iris.csv": "sha256:77ab02"}',
                       "mlops.git.commit": "4be8d1c0ffee"}.items():
        client.set_tag(run_id, key, value)
    return {"v2_run": run_id}


def test_promote_a_version_through_the_gate(start_lab, page, models):
    from playwright.sync_api import expect

    page_errors: list[str] = []
    lab = start_lab(extra_args=EXPOSE_APP)
    sidebar = open_sidebar(page, lab, page_errors, widen=240)
    for section in ("runs", "pipelines", "schedules"):
        collapse(sidebar, section)
    section = sidebar.locator('.jp-MLOps-section[data-section="models"]')

    iris_item = section.locator('.jp-MLOps-model[data-name="iris"]')
    churn_item = section.locator('.jp-MLOps-model[data-name="churn"]')
    expect(iris_item.locator(".jp-MLOps-modelHeader .jp-MLOps-aliasBadge.jp-mod-champion")
           ).to_have_text("champion v1", timeout=60_000)
    expect(churn_item.locator(".jp-MLOps-aliasBadge.jp-mod-challenger")).to_have_text(
        "challenger v1")

    iris_item.locator(".jp-MLOps-modelHeader").click()
    versions = iris_item.locator(".jp-MLOps-modelVersion")
    expect(versions).to_have_count(3)
    v1 = iris_item.locator('.jp-MLOps-modelVersion[data-version="1"]')
    v2 = iris_item.locator('.jp-MLOps-modelVersion[data-version="2"]')
    v3 = iris_item.locator('.jp-MLOps-modelVersion[data-version="3"]')
    expect(v1.locator(".jp-MLOps-aliasBadge")).to_have_text("champion")
    expect(v2.locator(".jp-MLOps-aliasBadge")).to_have_count(0)
    expect(v2.locator('.jp-MLOps-metric[data-metric="accuracy"] .jp-MLOps-metricValue')
           ).to_have_text("0.95")
    history = iris_item.locator(".jp-MLOps-historyEntry")
    expect(history).to_have_count(1)
    expect(history.first).to_have_attribute("data-action", "set")

    # v3 is weaker: the preview already says no, and the promotion is refused.
    v3.locator(".jp-MLOps-promote").click()
    form3 = v3.get_by_role("form", name="Promote version 3")
    form3.locator(".jp-MLOps-thresholdsInput").fill("accuracy >= 0.9")
    expect(form3.locator(".jp-MLOps-gatePreview .jp-MLOps-verdict")).to_have_attribute(
        "data-passed", "false", timeout=30_000)
    expect(form3.locator(".jp-MLOps-gatePreview .jp-MLOps-check.jp-mod-failed").first
           ).to_contain_text("accuracy = 0.8 fails")
    form3.locator(".jp-MLOps-confirmPromote").click()
    expect(form3.locator(".jp-MLOps-promoteResult")).to_have_attribute(
        "data-promoted", "false", timeout=30_000)
    expect(form3.locator(".jp-MLOps-promoteOutcome")).to_have_text(
        "Refused: @champion stays on v1")
    # Forcing needs a reason.
    form3.locator(".jp-MLOps-forceInput").check()
    expect(form3.locator(".jp-MLOps-confirmPromote")).to_be_disabled()
    form3.get_by_role("button", name="Close").click()

    # v2 passes the gate: before, after, and the champion badge moves.
    v2.locator(".jp-MLOps-promote").click()
    form = v2.get_by_role("form", name="Promote version 2")
    form.locator(".jp-MLOps-thresholdsInput").fill("accuracy >= 0.9\nf1 >= 0.9")
    form.locator(".jp-MLOps-marginInput").fill("0.01")
    preview = form.locator(".jp-MLOps-gatePreview .jp-MLOps-verdict")
    expect(preview).to_have_attribute("data-passed", "true", timeout=30_000)
    expect(preview.locator(".jp-MLOps-check")).to_have_count(3)
    expect(preview.locator(".jp-MLOps-check").nth(2)).to_contain_text(
        "vs champion (version 1)")
    form.locator(".jp-MLOps-confirmPromote").click()
    expect(form.locator(".jp-MLOps-promoteOutcome")).to_have_text(
        "Promoted: @champion → v2", timeout=30_000)
    expect(v2.locator(".jp-MLOps-aliasBadge")).to_have_text("champion", timeout=30_000)
    expect(v1.locator(".jp-MLOps-aliasBadge")).to_have_count(0)
    expect(iris_item.locator(".jp-MLOps-modelHeader .jp-MLOps-aliasBadge.jp-mod-champion")
           ).to_have_text("champion v2")
    expect(history).to_have_count(3)
    expect(history.first).to_have_attribute("data-action", "set")
    expect(history.nth(1)).to_have_attribute("data-action", "refused")
    expect(form.locator(".jp-MLOps-confirmPromote")).to_be_disabled()
    page.wait_for_timeout(300)
    save_screenshot(page, "models-sidebar.png")
    form.get_by_role("button", name="Close").click()

    # The lineage of the new champion, drawn as a graph: data → run → version.
    spy_commands(page)
    v2.locator(".jp-MLOps-showLineage").click()
    graph = v2.locator(".jp-MLOps-lineageGraph")
    expect(graph.locator("canvas")).to_have_count(1, timeout=30_000)
    nodes = v2.locator(".jp-MLOps-lineageNode")
    expect(nodes.first).to_be_attached()
    kinds = sorted(set(nodes.evaluate_all("els => els.map(e => e.dataset.kind)")))
    assert kinds == ["code", "data", "model", "run"], kinds
    assert _canvas_is_drawn(graph)
    page.wait_for_timeout(300)
    save_screenshot(page, "lineage-graph.png")
    # A click on the run node (on the canvas) opens its run view.
    run_node = v2.locator('.jp-MLOps-lineageNode[data-kind="run"]')
    click_chart_point(page, graph, float(run_node.get_attribute("data-x")),
                      float(run_node.get_attribute("data-y")), GRAPH_INSETS)
    wait_for_command(page, OPEN_RUN)
    assert executed(page, OPEN_RUN) == [{"runId": models["v2_run"]}]

    # Roll back: a dialog asks for a reason; champion returns to v1, the reason is kept.
    iris_item.locator('.jp-MLOps-rollback[data-alias="champion"]').click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Roll back @champion of iris?")
    expect(dialog).to_contain_text("moves from version 2 back to version 1")
    dialog.locator(".jp-mod-accept").click()  # no reason yet: asked again
    expect(dialog).to_contain_text("A reason is required.")
    dialog.locator("input").fill("v2 mislabels new customers")
    page.wait_for_timeout(200)
    save_screenshot(page, "models-rollback-dialog.png")
    dialog.locator(".jp-mod-accept").click()
    expect(v1.locator(".jp-MLOps-aliasBadge")).to_have_text("champion", timeout=30_000)
    expect(history.first).to_have_attribute("data-action", "rollback")
    expect(history.first.locator(".jp-MLOps-historyReason")).to_have_text(
        "Reason: v2 mislabels new customers")
    expect(history.first.locator(".jp-MLOps-historyWhat")).to_have_text(
        "@champion: version 2 → version 1")

    aliases = registry_common.get_registered_model("iris").aliases
    assert {k: str(v) for k, v in aliases.items()} == {"champion": "1"}
    entry = alias_history("iris", "champion")[-1]
    assert (entry["action"], entry["reason"]) == ("rollback", "v2 mislabels new customers")
    assert [error for error in page_errors if "mlops" in error.lower()] == []


def test_rollback_dialog_cancelled_changes_nothing(start_lab, page, models):
    from playwright.sync_api import expect

    set_alias("iris", "champion", 2, reason="second release")
    page_errors: list[str] = []
    lab = start_lab()
    sidebar = open_sidebar(page, lab, page_errors, widen=240)
    for section in ("runs", "pipelines", "schedules"):
        collapse(sidebar, section)
    iris_item = sidebar.locator('.jp-MLOps-model[data-name="iris"]')
    iris_item.locator(".jp-MLOps-modelHeader").click(timeout=60_000)
    # Every version links to its run (run view) and names it.
    v2 = iris_item.locator('.jp-MLOps-modelVersion[data-version="2"]')
    expect(v2.locator(".jp-MLOps-versionRun .jp-MLOps-runLink")).to_have_attribute(
        "data-run-id", models["v2_run"])
    iris_item.locator('.jp-MLOps-rollback[data-alias="champion"]').click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_be_visible()
    dialog.locator(".jp-mod-reject").click()
    expect(dialog).to_have_count(0)
    assert len(alias_history("iris", "champion")) == 2
    assert str(registry_common.get_registered_model("iris").aliases["champion"]) == "2"


def _canvas_is_drawn(chart) -> bool:
    """Whether the chart's canvas has coloured (non-background) pixels."""
    return chart.locator("canvas").first.evaluate("""canvas => {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (a > 0 && (Math.abs(r - g) > 40 || Math.abs(g - b) > 40)) { coloured++; }
      }
      return coloured > 200;
    }""")
