"""A real ``jupyter lab`` and a real Chromium for the sidebar tests.

Import explicitly (``from tests.ui.helpers import open_sidebar, save_screenshot``);
the fixtures ``start_lab`` and ``page`` are offered by tests/ui/conftest.py.
"""

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

    def __init__(self, workdir: Path, user_settings: dict[str, dict],
                 extra_args: list[str] | None = None):
        workdir.mkdir()
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.log_path = workdir / "jupyterlab.log"
        root = workdir / "notebooks"
        root.mkdir()
        self.root = root
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
            *(extra_args or []),
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

    def start(user_settings: dict[str, dict] | None = None,
              extra_args: list[str] | None = None) -> JupyterLab:
        lab = JupyterLab(tmp_path / f"lab-{len(labs)}", user_settings or {}, extra_args)
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


def open_sidebar(page, lab: JupyterLab, page_errors: list[str], widen: int = 80,
                 open_path: str | None = None):
    """Open JupyterLab (with the file ``open_path`` open) and the MLOps sidebar."""
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    tree = f"/tree/{open_path}" if open_path else ""
    page.goto(f"{lab.url}/lab{tree}?token={lab.token}")
    page.locator(SIDEBAR_TAB).click(timeout=60_000)
    sidebar = page.locator("#mlops-jupyter-sidebar")
    _widen_left_area(page, by=widen)
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
