"""``mlops dashboard serve``: Voila, locked down for stakeholders.

Voila's standalone server has no authentication by default and lets any reader pick
another template or theme with ``?template=`` / ``?theme=`` (voila#642,
GHSA-2q59-h24c-w6fg). :class:`VoilaServer` starts Voila
(:mod:`.voila_app`: ``python -m voila`` with two handlers fixed) as a subprocess with:

* **token authentication required** — a configured token, or one generated with
  :func:`secrets.token_urlsafe` and printed once. It reaches Voila through a
  private (0600) config file, never the command line (visible in ``ps``);
* ``allow_template_override`` / ``allow_theme_override`` = ``NO``: the query
  arguments are ignored;
* **no files** under ``/voila/files/`` (Voila serves that route without
  authentication, so the allow-list is empty and the deny-list matches all);
  notebooks and hidden files are never listed; tracebacks are not shown;
* an **execution timeout** per cell, **idle kernel culling** (also of kernels whose
  tab is still open) and a **cap on concurrent kernels**
  (:class:`~.kernels.CappedKernelManager`: 503 beyond it); no pre-heated kernels;
* only the JupyterLab front-end extensions a dashboard needs (widgets, plotly);
  ``Referrer-Policy: no-referrer`` so the token in a URL never leaks to links;
* a prelaunch hook (:mod:`.hooks`) that runs **signed** dashboards only (written by
  ``mlops dashboard publish``, :mod:`.trust`; 403 otherwise) and reads each first
  view in the warm server process (:mod:`.prefetch`);
* 404 (not Voila's 500) for malformed ``/voila/templates/...`` paths, and a page's
  kernel websocket closed when its kernel is culled (:mod:`.voila_app`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..exceptions import ConfigurationError, MLOpsError, UsageError
from .prefetch import DIR_ENV as PREFETCH_DIR_ENV
from .publish import validate_directory

DEFAULT_PORT = 8866
DEFAULT_HOST = "127.0.0.1"
MIN_TOKEN_LENGTH = 16
_HOST = re.compile(r"^[A-Za-z0-9.:\-\[\]]{1,253}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_\-.~+/=]+$")
_BASE_URL = re.compile(r"^/([A-Za-z0-9._~\-]+/)*$")
KERNEL_MANAGER = "mlops_jupyter.dashboards.kernels.CappedKernelManager"
VOILA_APP = "mlops_jupyter.dashboards.voila_app"
# Voila's own widget manager, ipywidgets' controls and plotly's renderer; not the
# JupyterLab sidebar or anything else installed in the environment.
FRONTEND_EXTENSIONS = ["@voila-dashboards/widgets-manager8", "@voila-dashboards/widgets-manager7",
                       "@jupyter-widgets/jupyterlab-manager", "jupyterlab-plotly"]
TOKEN_ENV = "MLOPS_DASHBOARD_TOKEN"


@dataclass
class ServeOptions:
    """How to serve a folder of dashboards.

    Attributes:
        directory: The folder of published dashboards (Voila's root).
        host: Interface to listen on; loopback by default (put a reverse proxy with
            TLS in front for a team).
        port: TCP port; 0 picks a free one.
        token: Required token; None generates one (``$MLOPS_DASHBOARD_TOKEN`` is
            used when set).
        max_kernels: Page views shown at once (one kernel each); 503 beyond.
        idle_timeout: Seconds without activity after which a kernel is culled.
        execution_timeout: Seconds a dashboard cell may run.
        base_url: URL prefix when served under a path of a reverse proxy.
    """

    directory: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    max_kernels: int = 8
    idle_timeout: int = 900
    execution_timeout: int = 60
    base_url: str = "/"

    def validated(self) -> ServeOptions:
        """These options checked, with a port and a token chosen.

        Raises:
            UsageError: a bad host, port, token, limit, base URL or folder.
        """
        directory = validate_directory(self.directory)
        if not directory.is_dir():
            raise UsageError(f"no dashboards folder {directory.name!r}: publish one first "
                             "(mlops dashboard publish MODEL)")
        if not isinstance(self.host, str) or not _HOST.match(self.host):
            raise UsageError(f"invalid host {str(self.host)[:60]!r}")
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise UsageError(f"invalid port {self.port!r}: 1-65535, or 0 for a free one")
        for name, value, low in (("max kernels", self.max_kernels, 1),
                                 ("idle timeout", self.idle_timeout, 10),
                                 ("execution timeout", self.execution_timeout, 1)):
            if not isinstance(value, int) or value < low:
                raise UsageError(f"{name} must be a whole number ≥ {low}")
        if not _BASE_URL.match(self.base_url or ""):
            raise UsageError("base URL must look like /dashboards/ (letters, digits, . _ ~ -)")
        token = self.token if self.token is not None else os.environ.get(TOKEN_ENV) or None
        if token is not None:
            validate_token(token)
        return ServeOptions(directory=directory, host=self.host,
                            port=self.port or free_port(self.host), token=token,
                            max_kernels=self.max_kernels, idle_timeout=self.idle_timeout,
                            execution_timeout=self.execution_timeout, base_url=self.base_url)


def validate_token(token: str) -> str:
    """A configured token: long enough and URL-safe.

    Raises:
        UsageError: shorter than :data:`MIN_TOKEN_LENGTH` or with other characters.
    """
    if not isinstance(token, str) or len(token) < MIN_TOKEN_LENGTH or not _TOKEN.match(token):
        raise UsageError(f"the token must be at least {MIN_TOKEN_LENGTH} URL-safe characters "
                         "(letters, digits, - _ . ~ + / =)")
    return token


def generate_token() -> str:
    """A fresh random token (256 bits)."""
    return secrets.token_urlsafe(32)


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def voila_config(options: ServeOptions, token: str) -> dict:
    """The structured and secret part of the configuration, written to the private
    ``voila.json`` (the token must not appear in the process list)."""
    return {
        "Voila": {
            "token": token,
            "tornado_settings": {
                "headers": {"Referrer-Policy": "no-referrer",
                            "X-Content-Type-Options": "nosniff"},
            },
        },
        "VoilaConfiguration": {
            # /voila/files/ is a plain tornado StaticFileHandler without authentication:
            # dashboards need no files from disk, so nothing is served there.
            "file_allowlist": [],
            "file_denylist": [".*"],
            "extension_allowlist": FRONTEND_EXTENSIONS,
        },
    }


def voila_arguments(options: ServeOptions, config_dir: Path) -> list[str]:
    """The ``python -m voila`` command line (no secrets in it)."""
    return [
        # Voila with its template-static and kernel-websocket handlers fixed.
        sys.executable, "-m", VOILA_APP, "--no-browser",
        f"--Voila.root_dir={options.directory}",
        f"--Voila.config_file_paths={config_dir}",  # only our file: no voila.py from cwd
        f"--Voila.ip={options.host}",
        f"--Voila.port={options.port}",
        "--Voila.port_retries=0",
        f"--Voila.base_url={options.base_url}",
        f"--Voila.connection_dir_root={config_dir}",
        "--VoilaConfiguration.template=lab",
        "--VoilaConfiguration.theme=light",
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.preheat_kernel=False",
        "--VoilaConfiguration.progressive_rendering=False",
        f"--VoilaConfiguration.multi_kernel_manager_class={KERNEL_MANAGER}",
        f"--CappedKernelManager.max_kernels={options.max_kernels}",
        f"--MappingKernelManager.cull_idle_timeout={options.idle_timeout}",
        f"--MappingKernelManager.cull_interval={max(5, min(60, options.idle_timeout // 4))}",
        # An open but idle tab holds a kernel: cull it too, or a few forgotten tabs
        # would keep every slot of the cap.
        "--MappingKernelManager.cull_connected=True",
        f"--VoilaExecutor.timeout={options.execution_timeout}",
        "--VoilaExecutor.interrupt_on_timeout=True",
    ]


# A callable cannot be given on the command line or in JSON: the hook comes from a
# Python config file next to the JSON one (Voila loads both).
HOOK_CONFIG = """\
from mlops_jupyter.dashboards.hooks import prelaunch
from mlops_jupyter.dashboards.prefetch import warm_up

c.VoilaConfiguration.prelaunch_hook = prelaunch  # noqa: F821 - traitlets' config object
warm_up()  # import MLflow and open the store before serving, not in a page view
"""


def _private_config_dir(options: ServeOptions, token: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="mlops-voila-"))  # mode 0700
    (folder / "prefetch").mkdir(mode=0o700)
    for name, text in (("voila.json", json.dumps(voila_config(options, token))),
                       ("voila.py", HOOK_CONFIG)):
        descriptor = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
    return folder


class VoilaServer:
    """A Voila subprocess serving one folder of dashboards; stop it with :meth:`stop`.

    Args:
        options: Validated :class:`ServeOptions` (see :meth:`ServeOptions.validated`).
        log_path: File for Voila's output; None inherits this process's stdout/stderr.
        env: Extra environment for Voila and its kernels (e.g. the home directory).
    """

    def __init__(self, options: ServeOptions, *, log_path: Path | None = None,
                 env: dict[str, str] | None = None):
        self.options = options
        self.token_generated = options.token is None
        self.token = options.token or generate_token()
        self.log_path = log_path
        self._env = {**os.environ, **(env or {})}
        self._env.pop(TOKEN_ENV, None)  # kernels have no business with it
        self._config_dir: Path | None = None
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The server's base URL (without the token)."""
        host = f"[{self.options.host}]" if ":" in self.options.host else self.options.host
        return f"http://{host}:{self.options.port}{self.options.base_url}"

    @property
    def pid(self) -> int | None:
        """The Voila process id, while it runs."""
        return None if self.process is None else self.process.pid

    def dashboard_url(self, file: str, *, with_token: bool = False) -> str:
        """The URL of a dashboard notebook of the folder."""
        suffix = f"?token={self.token}" if with_token else ""
        return f"{self.url}voila/render/{quote(file)}{suffix}"

    def start(self, timeout: float = 60.0) -> VoilaServer:
        """Start Voila and wait until it answers an authenticated request.

        Raises:
            ConfigurationError: Voila exited or did not answer within ``timeout``.
        """
        self._config_dir = _private_config_dir(self.options, self.token)
        self._env[PREFETCH_DIR_ENV] = str(self._config_dir / "prefetch")
        command = voila_arguments(self.options, self._config_dir)
        output = None if self.log_path is None else open(self.log_path, "ab")  # noqa: SIM115
        try:
            self.process = subprocess.Popen(command, env=self._env, cwd=self.options.directory,
                                            stdout=output, stderr=subprocess.STDOUT
                                            if output else None, stdin=subprocess.DEVNULL)
        except OSError as exc:
            self._cleanup()
            raise ConfigurationError(f"cannot start Voila: {exc.strerror}") from None
        finally:
            if output is not None:
                output.close()
        try:
            self._wait_until_ready(timeout)
        except MLOpsError:
            self.stop()
            raise
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(self.url, headers={
            "Authorization": f"token {self.token}"})
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ConfigurationError(
                    f"Voila exited with status {self.process.returncode} "
                    f"(is port {self.options.port} free?)")
            try:
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise ConfigurationError(f"Voila did not answer within {timeout:.0f} s")

    def wait(self) -> int:
        """Block until Voila exits; its exit status.

        Interrupted (Ctrl-C), Voila may still be running and using its private
        folder: :meth:`stop` removes the folder once Voila has stopped.
        """
        status = self.process.wait()
        self._cleanup()
        return status

    def stop(self, timeout: float = 15.0, *, grace: float = 0.0) -> None:
        """Stop Voila (SIGTERM, then SIGKILL) and remove its private config.

        Args:
            timeout: seconds to wait after SIGTERM before SIGKILL.
            grace: seconds to first let Voila finish stopping by itself (after a
                Ctrl-C, which reached Voila too: a SIGTERM in the middle of its own
                shutdown makes it print a traceback).
        """
        process = self.process
        if process is not None and grace > 0:
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._config_dir is not None:
            shutil.rmtree(self._config_dir, ignore_errors=True)
            self._config_dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def serve(options: ServeOptions, *, announce=print) -> int:
    """Serve dashboards in the foreground until Ctrl-C; Voila's exit status.

    The URL with a generated token is announced once; a configured token is never
    printed.
    """
    terminated = []

    def interrupt(_signum, _frame):
        terminated.append(True)
        raise KeyboardInterrupt

    server = VoilaServer(options.validated())
    # `kill`, systemd and CI stop us with SIGTERM: stop Voila too, never orphan it —
    # also when the signal (or Ctrl-C) arrives while Voila is starting or announced.
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        server.start()
        shown = server.token if server.token_generated else "<your token>"
        announce(f"Serving dashboards of {server.options.directory} with Voila "
                 f"(pid {server.pid}, at most {server.options.max_kernels} open at once)")
        announce(f"Open: {server.url}?token={shown}")
        if server.token_generated:
            announce("This token is shown only now; set --token or "
                     f"${TOKEN_ENV} to choose one. Ctrl-C stops the server.")
        if options.host not in ("127.0.0.1", "localhost", "::1"):
            announce(f"Listening on {options.host}: put a TLS reverse proxy in front "
                     "(see the README) before sharing the URL.")
        return server.wait()
    except KeyboardInterrupt:
        # Ctrl-C in a terminal reached Voila as well: let it stop by itself first.
        server.stop(grace=0.0 if terminated else 10.0)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
