"""The Models section in a real JupyterLab and Chromium: registered sklearn models
with their alias badges; a version promoted through the gate takes the champion
badge, a weaker one is refused, and the lineage tree is shown."""

from __future__ import annotations

import pytest

from mlops_jupyter.registry import common as registry_common
from mlops_jupyter.registry import set_alias
from tests.ui.helpers import open_sidebar, save_screenshot

pytestmark = pytest.mark.ui


def collapse(sidebar, section: str) -> None:
    sidebar.locator(f'.jp-MLOps-section[data-section="{section}"] .jp-MLOps-sectionHeader').click()


@pytest.fixture
def models(registered):
    registered("iris", metrics={"accuracy": 0.90, "f1": 0.88})
    registered("iris", metrics={"accuracy": 0.95, "f1": 0.93})
    registered("iris", metrics={"accuracy": 0.80, "f1": 0.75})
    registered("churn", metrics={"auc": 0.81}, alias="challenger")
    set_alias("iris", "champion", 1, reason="first release")


def test_promote_a_version_through_the_gate(start_lab, page, models):
    from playwright.sync_api import expect

    page_errors: list[str] = []
    lab = start_lab()
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

    # The lineage of the new champion, as an indented tree.
    v2.locator(".jp-MLOps-showLineage").click()
    tree = v2.locator(".jp-MLOps-lineageTree")
    expect(tree).to_contain_text("iris v2 [champion] (sklearn)", timeout=30_000)
    expect(tree).to_contain_text("└─ run ")
    page.wait_for_timeout(300)
    save_screenshot(page, "models-lineage.png")

    # Roll back: champion returns to v1.
    iris_item.locator('.jp-MLOps-rollback[data-alias="champion"]').click()
    expect(v1.locator(".jp-MLOps-aliasBadge")).to_have_text("champion", timeout=30_000)
    expect(history.first).to_have_attribute("data-action", "rollback")

    aliases = registry_common.get_registered_model("iris").aliases
    assert {k: str(v) for k, v in aliases.items()} == {"champion": "1"}
    assert [error for error in page_errors if "mlops" in error.lower()] == []
