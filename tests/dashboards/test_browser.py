"""The dashboards in a real Chromium: rendered, interactive, the Evidently report
sandboxed; screenshots saved to test-artifacts/dashboards/ and checked not blank."""

from __future__ import annotations

import pytest

from tests.dashboards.conftest import MODEL
from tests.ui.helpers import CHROMIUM, CHROMIUM_ARGS, REPO_ROOT

pytestmark = pytest.mark.ui
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "dashboards"


@pytest.fixture
def browser_page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 1700})
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def assert_not_blank(path) -> None:
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert pixels.std() > 12, f"{path.name} looks blank (std {pixels.std():.1f})"
    assert (pixels < 128).mean() > 0.01, f"{path.name} has almost no dark pixels"


def screenshot(page, name: str):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.mouse.move(5, 5)
    page.screenshot(path=str(path))
    assert_not_blank(path)
    return path


def open_dashboard(page, voila, template: str):
    from playwright.sync_api import expect

    page.goto(voila.dashboard_url(f"{MODEL}-{template}.ipynb", with_token=True))
    root = page.locator(f'[data-mlops-dashboard="{template}"]').first
    expect(root).to_be_visible(timeout=90_000)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=60_000)
    return root


def test_drift_dashboard_renders_and_reacts(voila, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    root = open_dashboard(page, voila, "drift")
    cards = page.locator(".mlops-card")
    expect(cards.filter(has_text="Latest verdict")).to_contain_text("drift detected")
    expect(cards.filter(has_text="Rows checked")).to_contain_text("1,000,000")
    features = page.locator("table.mlops-features tbody tr")
    expect(features).to_have_count(8)
    expect(features.first.locator("svg.mlops-spark")).to_be_visible()

    # The Evidently report runs in a sandboxed frame: its script cannot reach the page.
    frame_element = page.locator("iframe.mlops-report")
    expect(frame_element).to_have_attribute("sandbox", "allow-scripts")
    frame_element.scroll_into_view_if_needed()
    expect(page.frame_locator("iframe.mlops-report").locator("#escape")).to_have_text(
        "contained", timeout=30_000)
    assert page.locator("body[data-pwned]").count() == 0
    root.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    screenshot(page, "drift.png")

    # The period selector re-reads the stored checks in the kernel.
    checks = cards.filter(has_text="Checks in period")
    expect(checks).to_contain_text("30")
    page.get_by_role("button", name="7 days", exact=True).click()
    expect(checks.locator(".mlops-value")).to_have_text("7", timeout=30_000)
    assert not [error for error in errors if "mlops" in error.lower()]


@pytest.mark.parametrize("template", ["overview", "health"])
def test_overview_and_health_render(voila, browser_page, template):
    from playwright.sync_api import expect

    page = browser_page
    open_dashboard(page, voila, template)
    if template == "overview":
        expect(page.locator(".mlops-card").filter(has_text="Champion")).to_contain_text("v2")
        expect(page.locator(".mlops-kv")).to_contain_text("pipeline train-churn, step train")
    else:
        expect(page.locator(".mlops-card").filter(has_text="Pipeline runs")).to_contain_text(
            "1 failed")
        expect(page.locator("table.mlops-table").first).to_be_visible()
    page.wait_for_timeout(500)
    screenshot(page, f"{template}.png")
