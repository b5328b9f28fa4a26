"""Shared serving test helpers: a registered model, a running ``mlops serve``.

Everything is real: models are registered in a real SQLite store with
:func:`mlops_jupyter.registry.register_model`, endpoints are ``mlops serve``
subprocesses on loopback answering real HTTP, stopped by their pid.

Other parts may ADD helpers at the end of this file, clearly marked.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

TOKEN = "test-serving-token-0123456789abcdef"
READY_TIMEOUT_S = 60.0


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def register(model, name: str, frame, *, alias: str | None = "champion") -> str:
    """Register a fitted estimator with ``frame[:5]`` as its input example; returns
    the new version (as a string). Uses the environment's store."""
    from mlops_jupyter.registry import register_model

    return register_model(model, name, input_example=frame.head(5), alias=alias)["version"]


def move_alias(name: str, alias: str, version) -> None:
    """Point ``alias`` at ``version`` (recorded in the alias history)."""
    from mlops_jupyter.registry.aliases import set_alias

    set_alias(name, alias, str(version), reason="test")


def payload_split(frame) -> dict:
    """``{"dataframe_split": ...}`` of a frame (JSON-safe values)."""
    return {"dataframe_split": {"columns": list(frame.columns),
                                "data": frame.astype(object).values.tolist()}}


class Endpoint:
    """One ``mlops serve`` subprocess.

    Args:
        reference: ``MODEL`` or ``MODEL@ALIAS``.
        args: more ``mlops serve`` arguments (``--challenger``, ``--workers`` ...).
        token: put in ``$MLOPS_SERVE_TOKEN`` (None: let the command generate one;
            it is then read from its output).
        env: extra environment (the test process's environment is inherited, so the
            home and tracking store set by the fixtures are used).
        folder: where the output file goes.
    """

    def __init__(self, reference: str, *args: str, token: str | None = TOKEN,
                 env: dict | None = None, folder: Path | None = None,
                 port: int | None = None):
        self.port = port or free_port()
        self.reference = reference
        self.args = list(args)
        self.token = token
        environment = {**os.environ, **(env or {})}
        environment.pop("MLOPS_SERVE_TOKEN", None)
        if token is not None:
            environment["MLOPS_SERVE_TOKEN"] = token
        self.env = environment
        folder = Path(folder or os.environ.get("TMPDIR", "/tmp"))
        self.output_path = folder / f"serve-{self.port}.out"
        self.process: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self.ready_line = ""

    def start(self, *, wait: bool = True) -> Endpoint:
        """Start the command (and wait until it announced itself ready)."""
        command = [sys.executable, "-m", "mlops_jupyter.cli", "serve", self.reference,
                   "--port", str(self.port), *self.args]
        with open(self.output_path, "wb") as output:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                            env=self.env, start_new_session=True)
        if wait:
            self.wait_ready()
        return self

    @property
    def output(self) -> str:
        """Everything the command printed so far (stdout and stderr)."""
        try:
            return self.output_path.read_text(errors="replace")
        except OSError:
            return ""

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> str:
        """Wait for the ``serving ... at URL`` line; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.output.splitlines():
                if line.startswith("serving "):
                    self.ready_line = line
                    if self.token is None:
                        self.token = next(item.split(": ", 1)[1] for item in
                                          self.output.splitlines()
                                          if item.startswith("token: "))
                    return line
            if self.process.poll() is not None:
                raise AssertionError(f"mlops serve exited {self.process.returncode}:\n"
                                     f"{self.output[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(f"mlops serve not ready in {timeout} s:\n{self.output[-3000:]}")

    @property
    def headers(self) -> dict[str, str]:
        """The authorization header."""
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, **kwargs) -> httpx.Client:
        """An HTTP client of this endpoint, with the token."""
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=30, **kwargs)

    def request(self, method: str, path: str, *, auth: bool = True, **kwargs) -> httpx.Response:
        """One request (with the token unless ``auth`` is False)."""
        headers = {**(self.headers if auth else {}), **kwargs.pop("headers", {})}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def invoke(self, payload, **kwargs) -> httpx.Response:
        """``POST /invocations`` with a JSON payload."""
        return self.request("POST", "/invocations", json=payload, **kwargs)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        """Signal the command by its pid and wait; SIGKILL (its group) after
        ``timeout``. Returns its exit code."""
        process = self.process
        if process is None or process.poll() is not None:
            return process.returncode if process else None
        try:
            os.kill(process.pid, sig)
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait(timeout=10)
        except ProcessLookupError:
            return process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL the command's process group (its workers too)."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)

    def __enter__(self) -> Endpoint:  # noqa: PYI034
        return self.start()

    def __exit__(self, *exc) -> None:
        try:
            self.stop()
        finally:
            self.kill()


def run_serve(*args: str, env: dict | None = None, timeout: float = 60) \
        -> subprocess.CompletedProcess:
    """Run ``mlops serve ARGS`` expecting it to exit by itself (bad input)."""
    environment = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "mlops_jupyter.cli", "serve", *args],
                          capture_output=True, text=True, env=environment, timeout=timeout,
                          check=False)
