"""Shared helpers for tests that drive real kernels and real MLflow servers.

Kept out of ``conftest.py`` on purpose: import what you need explicitly
(``from tests.magics.helpers import run_notebook, mlflow_server``).

* :class:`KernelSession` — one real ``python3`` kernel (nbclient) that executes cells
  one at a time, recording each cell's wall time; also submits a cell without
  waiting and exposes the kernel's pid (to kill it).
* :func:`run_notebook` — a whole notebook from a list of cell sources.
* :func:`kernel_env` — the environment a tracking kernel should get.
* :func:`free_port`, :func:`mlflow_server` — a real ``mlflow server`` on 127.0.0.1,
  stopped by its own process group.
* :func:`flusher_pids`, :func:`stop_flushers` — the flusher processes working on one
  spool directory (and only those).
* :func:`wait_for` — poll a condition with a deadline instead of sleeping.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

from mlops_jupyter.processes import stop_process_group

REPO_ROOT = Path(__file__).resolve().parents[2]
WALL_TIME_KEY = "wall_time_s"  # cell.metadata["mlops_test"][WALL_TIME_KEY]


# ------------------------------------------------------------------------ polling
def wait_for(condition: Callable[[], Any], timeout: float, message: str = "condition",
             interval: float = 0.05) -> Any:
    """Call ``condition`` until it returns something truthy; return that value.

    Raises:
        AssertionError: the deadline passed first (the message says what we waited for).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {message}")
        time.sleep(interval)


# ---------------------------------------------------------------------- kernels
def kernel_env(home: Path, tracking_uri: str | None = None, **extra: str) -> dict[str, str]:
    """A full environment for a tracking kernel (and the flusher it starts).

    ``home`` becomes ``MLOPS_JUPYTER_HOME``; ``tracking_uri`` sets
    ``MLFLOW_TRACKING_URI`` (None: the embedded SQLite store under ``home``). The
    repository is put on ``PYTHONPATH`` so an uninstalled checkout works, and
    variables that would tell the kernel about a notebook file are removed.
    """
    env = dict(os.environ)
    for name in ("MLFLOW_TRACKING_URI", "MLOPS_NOTEBOOK", "JPY_SESSION_NAME",
                 "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID"):
        env.pop(name, None)
    env["MLOPS_JUPYTER_HOME"] = str(home)
    if tracking_uri is not None:
        env["MLFLOW_TRACKING_URI"] = tracking_uri
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # no debugger warning on stderr
    env.update(extra)
    return env


class KernelSession:
    """A real ``python3`` kernel executing cells one by one into a notebook.

    Use as a context manager; the kernel is shut down on exit (a kernel killed
    meanwhile is fine). Each executed cell gets its client-side wall time in
    ``cell.metadata["mlops_test"]["wall_time_s"]``.
    """

    def __init__(self, env: dict[str, str], cwd: Path | None = None, timeout: float = 120,
                 allow_errors: bool = True, startup_timeout: float = 60):
        self.nb = nbformat.v4.new_notebook()
        self.nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                          "language": "python"}
        self.env = env
        self.cwd = Path(cwd) if cwd else Path(env.get("MLOPS_JUPYTER_HOME", os.getcwd()))
        self.client = NotebookClient(
            self.nb, kernel_name="python3", timeout=timeout, allow_errors=allow_errors,
            startup_timeout=startup_timeout, record_timing=True,
            resources={"metadata": {"path": str(self.cwd)}})
        self._context = None

    def __enter__(self) -> KernelSession:  # noqa: PYI034
        self._context = self.client.setup_kernel(env=self.env, cwd=str(self.cwd))
        self._context.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Shut the kernel down (idempotent); its flusher keeps running on its own."""
        context, self._context = self._context, None
        if context is not None:
            context.__exit__(None, None, None)

    @property
    def pid(self) -> int:
        """Process id of the kernel."""
        return self.client.km.provisioner.process.pid

    def run(self, source: str) -> nbformat.NotebookNode:
        """Execute one cell and wait for it; returns the executed cell.

        Raises:
            nbclient.exceptions.CellExecutionError: the cell failed and errors are
                not allowed.
        """
        cell = nbformat.v4.new_code_cell(source)
        self.nb.cells.append(cell)
        index = len(self.nb.cells) - 1
        started = time.monotonic()
        self.client.execute_cell(cell, index)
        cell.metadata.setdefault("mlops_test", {})[WALL_TIME_KEY] = time.monotonic() - started
        return cell

    def submit(self, source: str) -> str:
        """Send a cell to the kernel without waiting for it; returns the message id."""
        return self.client.kc.execute(source)

    def kill(self) -> None:
        """``kill -9`` the kernel and wait until it is gone."""
        os.kill(self.pid, signal.SIGKILL)
        self.client.km.provisioner.process.wait(timeout=30)


def run_notebook(cells: list[str], env: dict[str, str], timeout: float = 120,
                 allow_errors: bool = True, cwd: Path | None = None) -> nbformat.NotebookNode:
    """Execute ``cells`` in order in one fresh kernel; returns the executed notebook.

    Every cell carries its wall time (see :class:`KernelSession`).
    """
    with KernelSession(env, cwd=cwd, timeout=timeout, allow_errors=allow_errors) as kernel:
        for source in cells:
            kernel.run(source)
    return kernel.nb


def cell_text(cell: nbformat.NotebookNode) -> str:
    """Everything a cell printed (streams and text results), as one string."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.get("data", {}).get("text/plain", ""))
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
    return "".join(parts)


def error_outputs(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """``(cell index, "Ename: evalue")`` of every error output, plus any stderr text."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                found.append((index, f"{output.ename}: {output.evalue}"))
            elif output.output_type == "stream" and output.name == "stderr":
                found.append((index, f"stderr: {output.text.strip()}"))
    return found


def wall_time(cell: nbformat.NotebookNode) -> float:
    return cell.metadata["mlops_test"][WALL_TIME_KEY]


# ------------------------------------------------------------------ mlflow server
def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on (at the moment of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_health(uri: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout) as reply:
            return reply.status == 200
    except OSError:
        return False


def _mlflow_command() -> list[str]:
    binary = Path(sys.executable).with_name("mlflow")
    return [str(binary)] if binary.exists() else [sys.executable, "-m", "mlflow"]


@contextmanager
def mlflow_server(port: int, backend_uri: str, workdir: Path | None = None,
                  startup_timeout: float = 120) -> Iterator[str]:
    """Run a real ``mlflow server`` on ``127.0.0.1:port``; yields its http URI.

    Artifacts are served by the server from ``<workdir>/artifacts``; its log goes to
    ``<workdir>/mlflow-server.log``. The server runs in its own process group, which
    is terminated (then killed) on exit, so no worker outlives the test.
    Background job execution (huey consumers) is disabled: it is not needed for
    tracking and doubles the start-up time.
    """
    workdir = Path(workdir) if workdir else Path(backend_uri.split("///", 1)[-1]).parent
    workdir.mkdir(parents=True, exist_ok=True)
    uri = f"http://127.0.0.1:{port}"
    env = dict(os.environ, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
    env.pop("MLFLOW_TRACKING_URI", None)
    log_path = workdir / "mlflow-server.log"
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            [*_mlflow_command(), "server", "--backend-store-uri", backend_uri,
             "--artifacts-destination", str(workdir / "artifacts"),
             "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def up() -> bool:
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-3000:]
                raise AssertionError(f"mlflow server exited with {process.returncode}:\n{tail}")
            return http_health(uri, timeout=1.0)

        wait_for(up, startup_timeout, f"mlflow server on port {port}", interval=0.2)
        yield uri
    finally:
        stop_process_group(process.pid, 15, process=process)


# ----------------------------------------------------------------------- flushers
def flusher_pids(spool_dir: Path) -> list[int]:
    """Pids of the flusher processes whose journal lives in ``spool_dir``."""
    prefix = str(spool_dir) + os.sep
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [word.decode(errors="replace") for word in argv]
        if "mlops_jupyter.tracking.flusher" not in words or "--journal" not in words:
            continue
        journal = words[words.index("--journal") + 1] if words.index("--journal") + 1 < len(
            words) else ""
        if journal.startswith(prefix) and _is_running(int(entry.name)):
            found.append(int(entry.name))
    return found


def _is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def stop_flushers(spool_dir: Path) -> list[int]:
    """SIGKILL the flushers of ``spool_dir`` (cleanup); returns the pids that were alive."""
    pids = flusher_pids(spool_dir)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_for(lambda: not flusher_pids(spool_dir), 10, "killed flushers to exit")
    return pids


def journal_files(spool_dir: Path, suffix: str = ".events") -> list[Path]:
    return sorted(spool_dir.glob(f"*{suffix}"))


# ------------------------------------------------------------------ store queries
def experiment_runs(client, experiment_name: str) -> list:
    """Every run (active and deleted) of experiment ``experiment_name``, oldest first.

    Raises:
        AssertionError: there is no experiment of that name.
    """
    from mlflow.entities import ViewType

    experiment = client.get_experiment_by_name(experiment_name)
    assert experiment is not None, f"experiment {experiment_name!r} does not exist"
    runs = client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL,
                              max_results=5000, order_by=["attributes.start_time ASC"])
    return list(runs)


def metric_points(client, run_id: str, key: str) -> list[tuple[int, float]]:
    """``(step, value)`` of every point of metric ``key``, in step order."""
    return sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))


def artifact_text(client, run_id: str, path: str, into: Path) -> str:
    """The text of artifact ``path`` of run ``run_id`` (downloaded under ``into``)."""
    into.mkdir(parents=True, exist_ok=True)
    local = client.download_artifacts(run_id, path, str(into))
    return Path(local).read_text()
