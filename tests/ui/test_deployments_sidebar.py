"""The Deployments section in a real JupyterLab and Chromium: a running endpoint
(a stand-in process describing itself in the endpoint state files with live counters,
see tests/server/standin_endpoint.py) shows its versions per role, requests/s,
latency, error rate, A/B split, swaps and last error; Stop (confirmed) ends it; the
Models section marks the deployed versions. With ``mlops serve`` present, a real
endpoint started from the form shows its token once and its stats after requests."""

from __future__ import annotations

import importlib.util
import json
import urllib.request

import pytest

from tests.server.standin_endpoint import start_standin, stop_standin
from tests.ui.helpers import open_sidebar, save_screenshot

pytestmark = pytest.mark.ui
HAS_SERVE = importlib.util.find_spec("mlops_jupyter.cli.serving") is not None
OTHER_SECTIONS = ("runs", "pipelines", "schedules", "monitoring", "dashboards")


@pytest.fixture
def deployed_iris(registered):
    for _ in range(3):
        registered("iris")
    process, identifier = start_standin("iris", version="3")
    yield process, identifier
    stop_standin(process)


def _collapse_others(sidebar) -> None:
    for section in OTHER_SECTIONS:
        sidebar.locator(f'.jp-MLOps-section[data-section="{section}"] '
                        ".jp-MLOps-sectionHeader").click()


def test_deployments_show_versions_stats_and_stop(own_build, start_lab, page,
                                                  deployed_iris):
    from playwright.sync_api import expect

    process, identifier = deployed_iris
    page_errors: list[str] = []
    lab = start_lab()
    sidebar = open_sidebar(page, lab, page_errors, widen=240)
    _collapse_others(sidebar)
    section = sidebar.locator('.jp-MLOps-section[data-section="deployments"]')
    item = section.locator(f'.jp-MLOps-deployment[data-id="{identifier}"]')
    expect(item.locator('[data-role="champion"] .jp-MLOps-servedVersion')).to_have_text(
        "@champion v3", timeout=60_000)
    expect(item.locator('.jp-MLOps-deploymentRole[data-role="challenger"]')).to_contain_text("@challenger v2")
    expect(item.locator('.jp-MLOps-deploymentRole[data-role="challenger"]')).to_contain_text("20% of traffic")
    expect(item.locator('[data-stat="req/s"] .jp-MLOps-statValue')).to_have_text("2.2")
    expect(item.locator('[data-stat="errors"] .jp-MLOps-statValue')).to_have_text("0.77%")
    expect(item.locator('.jp-MLOps-variantTable tr[data-role="challenger"]')).to_be_visible()
    expect(item.locator(".jp-MLOps-swap").first).to_contain_text("v3 switched")
    expect(item.locator(".jp-MLOps-deploymentError")).to_have_text("model raised: boom")
    models = sidebar.locator('.jp-MLOps-section[data-section="models"]')
    header = models.locator('.jp-MLOps-model[data-name="iris"] .jp-MLOps-modelHeader')
    expect(header).to_be_visible()
    if header.get_attribute("aria-expanded") != "true":  # a lone model opens by itself
        header.click()
    badges = models.locator(".jp-MLOps-deployedBadge")
    expect(badges).to_have_count(2)
    assert "Served as champion by endpoint" in badges.first.get_attribute("title")
    save_screenshot(page, "deployments-sidebar.png")

    item.locator(".jp-MLOps-stopDeployment").click()
    page.locator(".jp-Dialog button.jp-mod-warn").click()
    expect(item).to_have_count(0, timeout=30_000)
    assert process.wait(timeout=20) is not None
    expect(section.locator(".jp-MLOps-empty")).to_contain_text("No running endpoints")
    assert page_errors == []


@pytest.mark.skipif(not HAS_SERVE, reason="needs the mlops serve command (p13-server)")
def test_start_form_shows_the_token_once_and_live_stats(own_build, start_lab, page,
                                                        registered, iris):
    from playwright.sync_api import expect

    registered("iris", alias="champion", input_example=iris[0].head(5))
    page_errors: list[str] = []
    lab = start_lab()
    sidebar = open_sidebar(page, lab, page_errors, widen=240)
    _collapse_others(sidebar)
    section = sidebar.locator('.jp-MLOps-section[data-section="deployments"]')
    section.locator(".jp-MLOps-newDeployment").click()
    section.locator(".jp-MLOps-startModel").select_option("iris")
    section.locator(".jp-MLOps-startSubmit").click()
    token_box = section.locator(".jp-MLOps-token")
    expect(token_box).to_be_visible(timeout=60_000)
    token = token_box.input_value()
    expect(section.locator(".jp-MLOps-curl")).to_contain_text(f"Bearer {token}")
    save_screenshot(page, "deployments-token.png")
    identifier = section.locator(".jp-MLOps-tokenNotice").get_attribute("data-id")
    item = section.locator(f'.jp-MLOps-deployment[data-id="{identifier}"]')
    try:
        url = item.locator(".jp-MLOps-deploymentUrl").inner_text(timeout=30_000)
        features, _ = iris
        body = json.dumps({"dataframe_split": json.loads(
            features.head(3).to_json(orient="split", index=False))}).encode()
        for _ in range(20):
            request = urllib.request.Request(
                f"{url}/invocations", data=body, method="POST",
                headers={"Authorization": f"Bearer {token}",
                         "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as reply:
                assert reply.status == 200
        expect(item.locator('[data-role="champion"] .jp-MLOps-servedVersion')).to_have_text(
            "@champion v1")
        expect(item.locator('[data-stat="p50"] .jp-MLOps-statValue')).not_to_have_text(
            "–", timeout=30_000)
        section.locator(".jp-MLOps-dismissToken").click()
        expect(section.locator(".jp-MLOps-token")).to_have_count(0)
        assert token not in page.content()
        save_screenshot(page, "deployments-started.png")
    finally:
        from mlops_jupyter.serving import deployments

        deployments.stop(identifier)
    assert page_errors == []
