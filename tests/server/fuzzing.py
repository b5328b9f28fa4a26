"""A real ``jupyter server`` subprocess for the schemathesis run (schemathesis needs an
HTTP base URL; pytest-jupyter's server lives inside the test process)."""

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

STARTUP_TIMEOUT_S = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class JupyterServer:
    """``jupyter server`` on 127.0.0.1 with a token, a root of its own and only our
    extension (scheduler off), inheriting this process's environment — so the
    ``MLFLOW_TRACKING_URI`` and home of ``mlops_home``. Stopped by its own pid."""

    def __init__(self, workdir: Path, root: Path):
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.log_path = workdir / "jupyter-server.log"
        config_dir = workdir / "jupyter-config"
        config_dir.mkdir(exist_ok=True)
        (config_dir / "jupyter_server_config.json").write_text(json.dumps({
            "ServerApp": {"jpserver_extensions": {"mlops_jupyter": True}},
            "MLOpsExtensionApp": {"scheduler_enabled": False},
        }))
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir),
               "JUPYTER_RUNTIME_DIR": str(workdir / "runtime")}
        command = [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
                   "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
                   "--ServerApp.allow_unauthenticated_access=False"]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, env=env, cwd=root, stdout=log,
                                            stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter server exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                request = urllib.request.Request(f"{self.url}/api/status", headers=self.headers)
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise RuntimeError(f"jupyter server did not answer in {STARTUP_TIMEOUT_S} s:\n"
                           f"{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
