"""Where steps run: local worker processes or a Dask ``distributed`` cluster.

Both expose the same three calls to the runner: ``submit`` a :class:`StepTask`,
``wait`` for at least one of the submitted futures, ``outcome`` of a finished one.
The runner decides what is ready, cached or skipped; executors only execute.

The Dask executor assumes a shared filesystem: every worker sees the project folder
at the same path and reaches the same tracking store (as on one machine, or with
the project on NFS and a tracking server).
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from ..exceptions import UsageError
from .step import FAILED, KERNEL_DIED, StepOutcome, StepTask, execute_step


def _lost(task: StepTask, exc: BaseException) -> StepOutcome:
    now = time.time()
    text = str(exc).splitlines()[0][:500] if str(exc) else type(exc).__name__
    status = KERNEL_DIED if "died" in text.lower() or "lost" in text.lower() else FAILED
    return StepOutcome(task.name, status, now, now, {"ename": type(exc).__name__,
                                                       "evalue": text}, attempt=task.attempt)


class InlineExecutor:
    """One step at a time, in this process.

    For a run that can never have two steps in flight (one step to execute, or
    ``--max-parallel 1``): a worker process would only import papermill again and
    delay the kernel's start. The kernel is still a process of its own, so a
    crashing notebook cannot take the runner down.
    """

    name = "local"
    max_parallel = 1

    def __init__(self):
        self._tasks: dict[Any, StepTask] = {}

    def submit(self, task: StepTask):
        from concurrent.futures import Future

        future: Future = Future()
        try:
            future.set_result(execute_step(task))
        except Exception as exc:  # noqa: BLE001 - reported like a lost worker
            future.set_exception(exc)
        self._tasks[future] = task
        return future

    def wait(self, futures: list) -> list:
        return list(futures)

    def outcome(self, future) -> StepOutcome:
        task = self._tasks.pop(future)
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001
            return _lost(task, exc)

    def close(self) -> None:
        self._tasks.clear()


class LocalExecutor:
    """Steps in parallel worker processes on this machine."""

    name = "local"

    def __init__(self, max_parallel: int | None = None):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.max_parallel = max_parallel or os.cpu_count() or 1
        # spawn, not fork: the runner has threads (the tracking journal) and forking
        # a threaded process can deadlock the child.
        self._pool = ProcessPoolExecutor(self.max_parallel,
                                         mp_context=multiprocessing.get_context("spawn"))
        self._tasks: dict[Any, StepTask] = {}

    def submit(self, task: StepTask):
        future = self._pool.submit(execute_step, task)
        self._tasks[future] = task
        return future

    def wait(self, futures: list) -> list:
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(futures, return_when=FIRST_COMPLETED)
        return list(done)

    def outcome(self, future) -> StepOutcome:
        task = self._tasks.pop(future)
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001 - a worker process died
            return _lost(task, exc)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Steps as futures on a ``distributed`` cluster (a local one when no address)."""

    name = "dask"

    def __init__(self, address: str, max_parallel: int | None = None):
        try:
            from distributed import Client
        except ImportError:
            raise UsageError("the dask executor needs dask[distributed]: "
                             "pip install 'mlops-jupyter[dask]'") from None
        self._cluster = None
        if not address:
            # No scheduler given: a local cluster on loopback, one process per step slot.
            from distributed import LocalCluster

            self._cluster = LocalCluster(
                n_workers=max_parallel or os.cpu_count() or 1, threads_per_worker=1,
                processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0")
            address = self._cluster.scheduler_address
        try:
            self.client = Client(address, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {address}: "
                             f"{str(exc).splitlines()[0] if str(exc) else 'timed out'}") from None
        workers = len(self.client.scheduler_info().get("workers", {}))
        if workers == 0:
            self.client.close()
            raise UsageError(f"the Dask scheduler at {address} has no workers")
        self.max_parallel = max_parallel or sum(
            w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values())
        self._tasks: dict[Any, StepTask] = {}

    def submit(self, task: StepTask):
        future = self.client.submit(execute_step, task, pure=False,
                                    key=f"mlops-step-{task.name}-{uuid.uuid4().hex[:8]}")
        self._tasks[future] = task
        return future

    def wait(self, futures: list) -> list:
        from distributed import wait

        # distributed.wait() uses the default client; ours is not one
        # (set_as_default=False), so without this it finds none, or someone else's.
        with self.client.as_current():
            done, _ = wait(futures, return_when="FIRST_COMPLETED")
        return list(done)

    def outcome(self, future) -> StepOutcome:
        task = self._tasks.pop(future)
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001 - worker lost, task erred
            return _lost(task, exc)

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(kind: str, *, max_parallel: int | None = None,
                  scheduler: str | None = None, steps: int | None = None):
    """The executor named ``kind`` ("local" or "dask").

    ``steps`` is how many steps the run may execute: a local run that can never
    have two in flight executes them in this process (:class:`InlineExecutor`).
    """
    if max_parallel is not None and max_parallel < 1:
        raise UsageError("--max-parallel must be at least 1")
    if kind == "local":
        if max_parallel == 1 or (steps is not None and steps <= 1):
            return InlineExecutor()
        return LocalExecutor(max_parallel)
    if kind == "dask":
        return DaskExecutor(scheduler or "", max_parallel)
    raise UsageError(f"unknown executor {kind!r}: use local or dask")
