"""The MLflow UI through jupyter-server-proxy in a real JupyterLab and Chromium: opened
with the "Open MLflow UI" command, it shows the same store's runs; without the
Jupyter login it is refused."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.ui.helpers import SCREENSHOT_DIR

pytestmark = pytest.mark.ui

CONFIG = """\
from mlops_jupyter.mlflow_ui import server_process
c.ServerProxy.servers = {"mlflow": server_process()}
"""


def _entry_point_installed() -> bool:
    """Whether this environment registers the pyproject entry point (``make test``
    installs the checkout); then the lab has the MLflow UI without any configuration,
    and configuring it again would show two launcher tiles."""
    from importlib.metadata import entry_points

    return any(point.name == "mlflow" and point.value.startswith("mlops_jupyter.")
               for point in entry_points(group="jupyter_serverproxy_servers"))


@pytest.fixture
def ui_processes():
    """Stop the MLflow UI the lab started (by pid), even if the lab is killed."""

    found: list[int] = []
    yield found
    import os
    import signal

    for pid in found:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


@pytest.mark.usefixtures("own_build")
def test_open_the_mlflow_ui_of_the_same_store(start_lab, page, seed_runs, tmp_path,
                                              ui_processes):
    from playwright.sync_api import expect

    from tests.server.test_mlflow_ui import _children

    extra_args = []
    if not _entry_point_installed():
        config = tmp_path / "proxy_config.py"
        config.write_text(CONFIG)
        extra_args.append(f"--config={config}")
    lab = start_lab(extra_args=extra_args)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.add_init_script("""window.__opened = [];
        const open = window.open.bind(window);
        window.open = (url, target, features) => {
          window.__opened.push([String(url), target]);
          return open(url, target, features);
        };""")
    page.goto(f"{lab.url}/lab?token={lab.token}")
    expect(page.locator(".jp-MLOps-statusItem")).to_contain_text("MLflow: sqlite",
                                                                 timeout=60_000)
    expect(page.locator(".jp-LauncherCard", has_text="MLflow UI")).to_be_visible()

    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill("Open MLflow UI")
    page.locator(".lm-CommandPalette-item", has_text="Open MLflow UI").click()
    # This headless Chromium opens no second window (neither for jupyter-server-proxy's
    # own launcher tile): the page records what window.open was asked (init script).
    page.wait_for_function("window.__opened.length > 0")
    assert page.evaluate("window.__opened") == [["/mlflow/", "_blank"]]
    ui = page.context.new_page()
    ui.goto(f"{lab.url}/mlflow/", timeout=120_000)  # started on demand: MLflow boots
    expect(ui).to_have_title("MLflow")
    ui_processes.extend(_children(lab.process.pid))

    run_name = "train"
    ui.goto(f"{lab.url}/mlflow/#/experiments/{seed_runs.experiment_id}/runs/"
            f"{seed_runs.cell_run_ids[1]}")
    expect(ui.get_by_text(run_name).first).to_be_visible(timeout=90_000)
    expect(ui.get_by_text("accuracy").first).to_be_visible()
    ui.wait_for_timeout(1500)  # charts settle, for the picture only
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    ui.screenshot(path=str(SCREENSHOT_DIR / "mlflow-ui.png"))

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    anonymous = urllib.request.build_opener(NoRedirect)
    for path in ("/mlflow/", "/mlflow/ajax-api/2.0/mlflow/experiments/search"):
        with pytest.raises(urllib.error.HTTPError) as caught:
            anonymous.open(f"{lab.url}{path}", timeout=30)  # no token, no cookie
        assert caught.value.code in (302, 403)
        if caught.value.code == 302:
            assert "/login" in caught.value.headers["Location"]
    assert page_errors == []
