"""Running one pipeline step: a papermill execution with an honest status.

:func:`execute_step` runs wherever the executor puts it (a local worker process or
a Dask worker), so its input and output are plain picklable dataclasses.

papermill writes a notebook whose metadata says every cell succeeded after a cell
timeout or a dead kernel; the status here comes from the exception instead.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .notebooks import import_papermill

FINISHED = "FINISHED"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"
KERNEL_DIED = "KERNEL_DIED"
CACHED = "CACHED"
SKIPPED = "SKIPPED"
RUNNING = "RUNNING"
PENDING = "PENDING"
NOT_SELECTED = "NOT_SELECTED"


@dataclass
class StepTask:
    """Everything a worker needs to run one step."""

    name: str
    notebook: str
    output_notebook: str
    cwd: str
    parameters: dict[str, Any]
    kernel: str
    timeout: float | None
    outputs: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    attempt: int = 1


@dataclass
class StepOutcome:
    """How a step execution ended."""

    name: str
    status: str
    started: float
    ended: float
    error: dict[str, Any] | None = None
    output_hashes: dict[str, str | None] = field(default_factory=dict)
    host: str = ""
    attempt: int = 1

    @property
    def duration(self) -> float:
        return self.ended - self.started


def _kernel_manager_class(env: dict[str, str], log_file: str):
    """A kernel manager that starts its kernel with ``env`` added, stderr to a log.

    Mutating ``os.environ`` instead would race between steps sharing a process
    (threads of a Dask worker). The kernel's own stderr (start-up warnings, crashes)
    goes to ``log_file`` next to the output notebook, not into the terminal.
    """
    from jupyter_client.manager import AsyncKernelManager

    extra = dict(env)

    class StepKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):
            kw["env"] = {**os.environ, **kw.get("env", {}), **extra}
            with open(log_file, "ab") as log:  # noqa: ASYNC230 - a local file, once
                kw["stderr"] = log
                return await super().start_kernel(**kw)

    return StepKernelManager


def _error(exc: BaseException) -> tuple[str, dict[str, Any]]:
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return FAILED, {"cell_index": exc.cell_index, "execution_count": exc.exec_count,
                        "ename": exc.ename, "evalue": str(exc.evalue)[:1000]}
    if isinstance(exc, (CellTimeoutError, TimeoutError)):
        return TIMED_OUT, {"ename": type(exc).__name__, "evalue": str(exc).splitlines()[0][:500]
                           if str(exc) else "a cell ran past the step timeout"}
    text = str(exc).splitlines()[0][:500] if str(exc) else ""
    if isinstance(exc, DeadKernelError) or "kernel died" in text.lower():
        return KERNEL_DIED, {"ename": type(exc).__name__, "evalue": text or "kernel died"}
    return FAILED, {"ename": type(exc).__name__, "evalue": text}


def hash_outputs(root: Path, outputs: dict[str, str]) -> dict[str, str | None]:
    from .cache import ProjectState

    state = ProjectState(root)
    return {name: state.file_hash(root / path) for name, path in outputs.items()}


def execute_step(task: StepTask) -> StepOutcome:
    """Execute the step's notebook with papermill; never raises for notebook errors."""
    papermill = import_papermill()

    Path(task.output_notebook).parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    status, error = FINISHED, None
    try:
        papermill.execute_notebook(
            task.notebook, task.output_notebook, parameters=task.parameters,
            kernel_name=task.kernel, cwd=task.cwd, progress_bar=False, log_output=False,
            execution_timeout=task.timeout,
            kernel_manager_class=_kernel_manager_class(
                task.env, str(Path(task.output_notebook).with_suffix(".kernel.log"))))
    except Exception as exc:  # noqa: BLE001 - every failure becomes a status
        status, error = _error(exc)
    ended = time.time()
    hashes = hash_outputs(Path(task.cwd), task.outputs) if status == FINISHED else {}
    missing = [name for name, digest in hashes.items() if digest is None]
    if missing:
        status = FAILED
        error = {"ename": "MissingOutput",
                 "evalue": "the notebook did not write " + ", ".join(
                     f"{name} ({task.outputs[name]})" for name in missing)}
    return StepOutcome(task.name, status, started, ended, error, hashes,
                       socket.gethostname(), task.attempt)
