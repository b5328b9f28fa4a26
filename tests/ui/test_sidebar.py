"""The MLOps sidebar in a real JupyterLab, driven with a real Chromium."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from jupyter_core.paths import jupyter_path

pytestmark = pytest.mark.ui

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "ui"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIDEBAR_TAB = '.jp-SideBar .lm-TabBar-tab[data-id="mlops-jupyter-sidebar"]'
STARTUP_TIMEOUT_S = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _require_built_extension() -> None:
    if not any(
        Path(d, "mlops-jupyter", "package.json").is_file() for d in jupyter_path("labextensions")
    ):
        pytest.fail(
            "the mlops-jupyter lab extension is not installed: run `pip install -e .` first"
        )


def _write_user_settings(settings_dir: Path, settings: dict[str, dict]) -> None:
    """Write JupyterLab user settings, keyed by ``<package>/<plugin>``."""
    for plugin, values in settings.items():
        target = settings_dir / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))


# No news or update toasts over the sidebar, and no requests to the internet.
QUIET_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    }
}


class JupyterLab:
    """A ``jupyter lab`` subprocess on 127.0.0.1, stopped by its own pid."""

    def __init__(self, workdir: Path, user_settings: dict[str, dict]):
        workdir.mkdir()
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.log_path = workdir / "jupyterlab.log"
        root = workdir / "notebooks"
        root.mkdir()
        _write_user_settings(workdir / "lab-settings", {**QUIET_SETTINGS, **user_settings})
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(workdir / "jupyter-config"),
            "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(workdir / "lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(workdir / "workspaces"),
        }
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.allow_unauthenticated_access=False",
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"jupyter lab exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                request = urllib.request.Request(
                    f"{self.url}/api/status", headers={"Authorization": f"token {self.token}"}
                )
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        pytest.fail(f"jupyter lab did not answer in {STARTUP_TIMEOUT_S} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture
def start_lab(tmp_path):
    """Start ``jupyter lab`` with the test's environment; stopped when the test ends."""
    _require_built_extension()
    labs: list[JupyterLab] = []

    def start(user_settings: dict[str, dict] | None = None) -> JupyterLab:
        lab = JupyterLab(tmp_path / f"lab-{len(labs)}", user_settings or {})
        labs.append(lab)
        lab.wait_until_ready()
        return lab

    yield start
    for lab in labs:
        lab.stop()


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def open_sidebar(page, lab: JupyterLab, page_errors: list[str]):
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.goto(f"{lab.url}/lab?token={lab.token}")
    page.locator(SIDEBAR_TAB).click(timeout=60_000)
    sidebar = page.locator("#mlops-jupyter-sidebar")
    _widen_left_area(page, by=80)
    return sidebar


def _widen_left_area(page, by: int) -> None:
    """Drag the left area's splitter, as a user would to give the runs more room."""
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + by, y, steps=5)
    page.mouse.up()


def save_screenshot(page, name: str) -> None:
    page.mouse.move(1000, 700)  # no hover highlight in the picture
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / name))


def test_sidebar_shows_experiments_and_their_runs(start_lab, page, seed_runs):
    from playwright.sync_api import expect

    page_errors: list[str] = []
    lab = start_lab({"mlops-jupyter/sidebar": {"runsPageSize": 3}})
    sidebar = open_sidebar(page, lab, page_errors)

    experiments = sidebar.locator(".jp-MLOps-experimentName")
    # The server imports MLflow and opens the store on the first request.
    expect(experiments).to_have_text(["churn-model", "baseline", "Default"], timeout=60_000)
    sidebar.locator(".jp-MLOps-experimentHeader", has_text="churn-model").click()
    runs = sidebar.locator(".jp-MLOps-run")
    expect(runs.locator(".jp-MLOps-runName")).to_have_text(["predict", "evaluate", "train"])
    load_more = sidebar.get_by_role("button", name="Load more")
    load_more.click()
    expect(runs.locator(".jp-MLOps-runName")).to_have_text(
        ["predict", "evaluate", "train", "load data", "session 2026-11-21 09:30"]
    )
    expect(load_more).to_have_count(0)

    def run_named(name: str):
        return runs.filter(has=page.locator(".jp-MLOps-runName").get_by_text(name, exact=True))

    failed = run_named("evaluate")
    expect(failed.locator(".jp-MLOps-badge")).to_have_text("Failed")
    expect(failed.locator(".jp-MLOps-runError")).to_have_text("ZeroDivisionError: division by zero")
    expect(run_named("train").locator(".jp-MLOps-metric")).to_have_count(3)
    expect(run_named("predict").locator(".jp-MLOps-badge")).to_have_text("Running")
    save_screenshot(page, "runs-sidebar.png")

    sidebar.locator(".jp-MLOps-statusFilter select").select_option("FAILED")
    expect(runs.locator(".jp-MLOps-runName")).to_have_text(["evaluate"])

    assert [error for error in page_errors if "mlops" in error.lower()] == []


def test_sidebar_shows_the_server_error(start_lab, page, mlops_home, monkeypatch):
    from playwright.sync_api import expect

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "bogus://tracking-server")
    page_errors: list[str] = []
    sidebar = open_sidebar(page, start_lab(), page_errors)

    error = sidebar.locator(".jp-MLOps-error")
    expect(error).to_contain_text("cannot open the tracking store", timeout=60_000)
    expect(error.get_by_role("button", name="Retry")).to_be_visible()
    save_screenshot(page, "runs-sidebar-error.png")
