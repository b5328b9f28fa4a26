"""Many kernels tracking into one fresh embedded SQLite store at the same moment.

Every kernel starts tracking into the same experiment at the same instant, so
their flushers race on creating the database schema, on creating the experiment
and on writing runs. Nothing may be lost, doubled or reported as an error.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.magics.helpers import (
    KernelSession,
    cell_text,
    error_outputs,
    experiment_runs,
    flusher_pids,
    journal_files,
    kernel_env,
    metric_points,
    stop_flushers,
    wait_for,
    wall_time,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

KERNELS = 8
EXPERIMENT = "race"


def _cells(index: int) -> list[str]:
    """The tracked cells of kernel ``index`` (three runs per kernel)."""
    return [
        f"kid = {index}\nalpha = kid * 0.5",
        "beta = kid + 100\n%mlops log score=beta",
        ("import mlops_jupyter\n"
         "for step in range(3):\n"
         "    mlops_jupyter.log_metric('loss', kid + step)"),
    ]


def _expected_params(index: int) -> list[dict[str, str]]:
    return [{"kid": str(index), "alpha": str(index * 0.5)},
            {"beta": str(index + 100)},
            {"step": "2"}]


def _drive(index: int, env, work, barrier: threading.Barrier, timeout: float):
    """Start a kernel, wait for all others, then track and flush; returns its notebook."""
    with KernelSession(env, cwd=work, timeout=timeout) as kernel:
        kernel.run("%load_ext mlops_jupyter")
        barrier.wait(timeout=timeout)  # every kernel is up: go at the same moment
        kernel.run(f"%mlops track --experiment {EXPERIMENT}")
        for source in _cells(index):
            kernel.run(source)
        kernel.run("%mlops stop")
        kernel.run("%mlops flush --timeout 90")
        return kernel.nb


def test_kernels_tracking_into_one_fresh_sqlite_store_lose_nothing(tmp_path):
    from mlflow import MlflowClient

    home = tmp_path / "home"
    spool = home / "spool"
    env = kernel_env(home)  # no MLFLOW_TRACKING_URI: the embedded SQLite store
    work = tmp_path / "work"
    work.mkdir()
    barrier = threading.Barrier(KERNELS)
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=KERNELS) as pool:
            futures = [pool.submit(_drive, index, env, work, barrier, 180)
                       for index in range(KERNELS)]
            notebooks = [future.result() for future in futures]
        elapsed = time.monotonic() - started
        slowest = max(wall_time(cell) for nb in notebooks for cell in nb.cells[1:-1])
        flushes = sorted(wall_time(nb.cells[-1]) for nb in notebooks)
        print(f"\n{KERNELS} kernels tracked and flushed in {elapsed:.1f} s; slowest "
              f"tracked cell {slowest:.2f} s; final flush {flushes[0]:.1f}-{flushes[-1]:.1f} s")

        for index, nb in enumerate(notebooks):
            assert error_outputs(nb) == [], f"kernel {index}: {error_outputs(nb)}"
            flushed = cell_text(nb.cells[-1])
            assert "every event is written" in flushed, f"kernel {index}: {flushed}"
            assert "stopped tracking after 3 cell(s)" in cell_text(nb.cells[-2])

        # Each kernel has exited: its flusher finishes and removes its journal.
        wait_for(lambda: not flusher_pids(spool), 60, "every flusher to exit")
        assert journal_files(spool) == []
    finally:
        leftover = stop_flushers(spool)
    assert not leftover, f"flusher processes {leftover} outlived their kernels"

    client = MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
    named = [e for e in client.search_experiments() if e.name == EXPERIMENT]
    assert len(named) == 1, named
    runs = experiment_runs(client, EXPERIMENT)
    keys = Counter(run.data.tags.get("mlops.run_key") for run in runs)
    assert all(count == 1 for count in keys.values()), keys
    assert len(runs) == KERNELS * (1 + len(_cells(0)))

    sessions = {run.info.run_id: run for run in runs
                if run.data.tags.get("mlops.kind") == "session"}
    assert len(sessions) == KERNELS
    children: dict[str, list] = {run_id: [] for run_id in sessions}
    for run in runs:
        if run.data.tags.get("mlops.kind") == "cell":
            children[run.data.tags["mlflow.parentRunId"]].append(run)
    assert all(run.info.status == "FINISHED" for run in runs)

    seen_kernels = set()
    for session_id, cells in children.items():
        assert len(cells) == len(_cells(0)), f"session {session_id} has {len(cells)} cells"
        assert sessions[session_id].data.tags["mlops.session.cells"] == "3"
        by_source = {run.data.tags["mlops.cell.source"]: run for run in cells}
        first = next(run for run in cells if "kid" in run.data.params)
        index = int(first.data.params["kid"])
        seen_kernels.add(index)
        sources = _cells(index)
        assert set(by_source) == set(sources), f"kernel {index}: cells of another kernel"
        for source, params in zip(sources, _expected_params(index)):
            assert by_source[source].data.params == params, source
        assert metric_points(client, by_source[sources[1]].info.run_id, "score") == \
            [(0, float(index + 100))]
        assert metric_points(client, by_source[sources[2]].info.run_id, "loss") == \
            [(step, float(index + step)) for step in range(3)]
    assert seen_kernels == set(range(KERNELS))
