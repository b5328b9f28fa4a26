"""The Dashboards section in a real JupyterLab and Chromium: one click publishes a
model's dashboards into the home's folder (the one ``mlops dashboard list|serve`` use),
and the link opens them in a new tab, rendered by Voila inside JupyterLab's server,
behind its own login."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.dashboards.seed import seed_checks
from tests.dashboards.test_browser import SCREENSHOTS, assert_not_blank
from tests.ui.helpers import open_sidebar, save_screenshot

pytestmark = pytest.mark.ui


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def anonymous_get(url: str) -> tuple[int, str | None, str]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=60) as response:
            return response.status, None, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location"), error.read().decode(errors="replace")


def test_publish_from_the_sidebar_and_open_in_a_new_tab(start_lab, page, registered,
                                                        registry_home):
    from playwright.sync_api import expect

    registered("iris", metrics={"accuracy": 0.93, "f1": 0.91})
    seed_checks("iris", days=6, columns=4, rows=25_000, retrain_on_day=None,
                failed_on_day=None)
    lab = start_lab()
    errors: list[str] = []
    sidebar = open_sidebar(page, lab, errors, widen=200)
    for name in ("runs", "pipelines", "schedules", "models", "monitoring"):
        header = sidebar.locator(f'.jp-MLOps-section[data-section="{name}"] '
                                 '.jp-MLOps-sectionHeader')
        if header.count():
            header.click()
    section = sidebar.locator('.jp-MLOps-section[data-section="dashboards"]')
    item = section.locator('.jp-MLOps-dashboardModel[data-model="iris"]')
    try:
        expect(item.locator(".jp-MLOps-dashboardNone")).to_have_text("not published yet",
                                                                     timeout=60_000)
    except AssertionError:  # say what the section shows instead
        pytest.fail(f"Dashboards section: {section.inner_text()!r}\n{lab.log_tail()}")

    item.locator(".jp-MLOps-publish").click()  # one click: every template
    links = item.locator(".jp-MLOps-dashboardLink")
    expect(links).to_have_count(4, timeout=60_000)
    expect(item.locator(".jp-MLOps-dashboardMessage")).to_have_text(
        "Published overview, drift, health, production")
    drift_link = item.locator('li[data-template="drift"] a')
    expect(drift_link).to_have_attribute(
        "href", "/mlops-jupyter/dashboards/render/iris-drift.ipynb")
    expect(drift_link).to_have_attribute("target", "_blank")
    assert (registry_home / "dashboards" / "iris-drift.ipynb").is_file()
    assert not (lab.root / "dashboards").exists()
    page.wait_for_timeout(300)
    save_screenshot(page, "dashboards-sidebar.png")

    with page.context.expect_page() as opened:
        drift_link.click()
    tab = opened.value
    expect(tab.locator('[data-mlops-dashboard="drift"]').first).to_be_visible(timeout=90_000)
    expect(tab.locator(".mlops-card").filter(has_text="Rows checked")).to_contain_text("25,000")
    expect(tab.locator(".js-plotly-plot").first).to_be_visible(timeout=60_000)
    tab.wait_for_timeout(500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "jupyterlab-voila-drift.png"))
    assert_not_blank(SCREENSHOTS / "jupyterlab-voila-drift.png")
    tab.close()

    # The same page without JupyterLab's token: the login page, no dashboard.
    status, location, body = anonymous_get(
        f"{lab.url}/mlops-jupyter/dashboards/render/iris-drift.ipynb")
    assert status in (302, 403)
    assert status == 403 or "/login" in (location or "")
    assert "iris" not in body and "mlops-dash" not in body
    assert not [error for error in errors if "mlops" in error.lower()]
