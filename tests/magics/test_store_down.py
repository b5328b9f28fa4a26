"""Tracking while the MLflow server is down: cells stay fast, nothing is lost or doubled.

Real kernels (nbclient), a real ``mlflow server`` started only after the cells ran,
and the real flusher processes. The store is then read back with ``MlflowClient``.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from mlops_jupyter.tracking.flusher import flush_orphans
from mlops_jupyter.tracking.spool import read_state
from tests.magics.helpers import (
    KernelSession,
    artifact_text,
    cell_text,
    error_outputs,
    experiment_runs,
    flusher_pids,
    free_port,
    journal_files,
    kernel_env,
    metric_points,
    mlflow_server,
    run_notebook,
    stop_flushers,
    wait_for,
    wall_time,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

# Spec: "a cell is never blocked more than ~2 s" by tracking, whatever the store does.
CELL_BOUND_S = 5.0  # generous: a loaded CI machine; MLflow alone would block ~246 s
RUN_KEY_TAG = "mlops.run_key"


def _expected(source, params, metrics=None, status="FINISHED"):
    return {"source": source, "params": params, "metrics": metrics or {}, "status": status}


# Cells tracked by the session, with exactly what each must leave in the store.
TRACKED_CELLS = [
    _expected('x = 3\nname = "abc"', {"x": "3", "name": "abc"}),
    _expected("acc = 0.91\n%mlops log acc=acc opt=adam",
              {"acc": "0.91", "opt": "adam"}, {"acc": [(0, 0.91)]}),
    _expected("import mlops_jupyter\n"
              "for step in range(5):\n"
              "    mlops_jupyter.log_metric('loss', 1.0 / (step + 1))",
              {"step": "4"}, {"loss": [(i, 1.0 / (i + 1)) for i in range(5)]}),
    _expected('y = 7\nraise ValueError("boom")', {"y": "7"}, status="FAILED"),
    _expected("z = x + y\n%mlops log total=z", {"z": "10"}, {"total": [(0, 10.0)]}),
]


@pytest.fixture
def spool(tmp_path):
    """The spool directory of this test's home; no flusher may outlive the test."""
    spool_dir = tmp_path / "home" / "spool"
    yield spool_dir
    leftover = stop_flushers(spool_dir)
    assert not leftover, f"flusher processes {leftover} were still running after the test"


def _status_numbers(text: str) -> dict[str, int]:
    match = re.search(r"events: (\d+) written, (\d+) waiting, (\d+) spooled to disk, "
                      r"(\d+) rejected", text)
    assert match, f"no event counts in %mlops status output:\n{text}"
    return dict(zip(("written", "waiting", "spooled", "rejected"), map(int, match.groups())))


def _wait_until_flusher_saw_the_store_down(spool_dir: Path) -> None:
    def reported() -> bool:
        return any(read_state(events.with_suffix("")).get("last_error")
                   for events in journal_files(spool_dir))

    wait_for(reported, 30, "the flusher to record that the store does not answer")


def _runs_by_source(runs) -> dict[str, object]:
    by_source = {}
    for run in runs:
        if run.data.tags.get("mlops.kind") == "cell":
            source = run.data.tags["mlops.cell.source"]
            assert source not in by_source, f"cell run written twice: {source!r}"
            by_source[source] = run
    return by_source


def _assert_each_run_once(runs) -> None:
    keys = Counter(run.data.tags.get(RUN_KEY_TAG) for run in runs)
    assert None not in keys, "a run without its mlops.run_key tag"
    doubled = {key: count for key, count in keys.items() if count > 1}
    assert not doubled, f"runs written more than once: {doubled}"


def _assert_cell_run(client, run, expected, session_id, scratch: Path) -> None:
    source = expected["source"]
    assert run.info.status == expected["status"], source
    assert run.data.tags.get("mlflow.parentRunId") == session_id, source
    assert run.data.params == expected["params"], source
    assert set(run.data.metrics) == set(expected["metrics"]), source
    for key, points in expected["metrics"].items():
        # Every log call is one point: a replay must not add a second copy.
        got = metric_points(client, run.info.run_id, key)
        assert [step for step, _ in got] == [step for step, _ in points], f"{key}: {got}"
        assert [value for _, value in got] == pytest.approx([value for _, value in points])
    if expected["status"] == "FAILED":
        assert run.data.tags["mlops.error.type"] == "ValueError"
        assert run.data.tags["mlops.error.message"] == "boom"
    stored = artifact_text(client, run.info.run_id, "cell/source.py",
                           scratch / run.info.run_id)
    assert stored == source


def test_cells_stay_fast_while_store_is_down_and_flush_writes_everything_once(
        tmp_path, spool):
    from mlflow import MlflowClient

    port = free_port()
    env = kernel_env(tmp_path / "home", f"http://127.0.0.1:{port}")
    work = tmp_path / "work"
    work.mkdir()
    kernel = KernelSession(env, cwd=work)
    with kernel:
        setup = [kernel.run("%load_ext mlops_jupyter"),
                 kernel.run("%mlops track --experiment down")]
        cells = [kernel.run(expected["source"]) for expected in TRACKED_CELLS]

        for cell in setup + cells:
            assert wall_time(cell) < CELL_BOUND_S, \
                f"cell blocked {wall_time(cell):.2f} s with the store down:\n{cell.source}"
        errors = error_outputs(kernel.nb)
        assert errors == [(5, "ValueError: boom")], errors  # only the failing cell

        _wait_until_flusher_saw_the_store_down(spool)
        status_cell = kernel.run("%mlops status")
        assert wall_time(status_cell) < CELL_BOUND_S
        status = cell_text(status_cell)
        counts = _status_numbers(status)
        assert counts["written"] == 0, status
        # At least a start and an end per tracked cell are waiting on disk.
        assert counts["spooled"] >= 2 * len(TRACKED_CELLS) + 1, status
        assert "last error:" in status and "does not answer" in status, status
        assert "(pending: not written yet)" in status, status

        server_dir = tmp_path / "server"
        with mlflow_server(port, f"sqlite:///{server_dir / 'srv.db'}",
                           workdir=server_dir) as uri:
            flushed = cell_text(kernel.run("%mlops flush --timeout 60"))
            assert "every event is written" in flushed, flushed
            stopped = cell_text(kernel.run("%mlops stop"))
            assert "stopped tracking after 5 cell(s)" in stopped, stopped
            flushed = cell_text(kernel.run("%mlops flush --timeout 60"))
            assert "every event is written" in flushed, flushed
            status = cell_text(kernel.run("%mlops status"))
            assert "last error:" not in status, status
            assert _status_numbers(status)["spooled"] == 0, status
            assert _status_numbers(status)["rejected"] == 0, status

            # The kernel exits; its flusher has nothing left and must go too.
            kernel.close()
            wait_for(lambda: not flusher_pids(spool), 30, "the flusher to exit")
            assert journal_files(spool) == [], "journal kept after everything was written"

            client = MlflowClient(tracking_uri=uri)
            runs = experiment_runs(client, "down")
            _assert_each_run_once(runs)
            assert len(runs) == 1 + len(TRACKED_CELLS)
            sessions = [run for run in runs if run.data.tags.get("mlops.kind") == "session"]
            assert len(sessions) == 1
            session = sessions[0]
            assert session.info.status == "FINISHED"
            assert "mlflow.parentRunId" not in session.data.tags
            assert session.data.tags["mlops.session.cells"] == "5"
            artifacts = {a.path for a in client.list_artifacts(session.info.run_id,
                                                               "environment")}
            assert artifacts == {"environment/requirements.txt"}

            by_source = _runs_by_source(runs)
            assert set(by_source) == {expected["source"] for expected in TRACKED_CELLS}
            for expected in TRACKED_CELLS:
                _assert_cell_run(client, by_source[expected["source"]], expected,
                                 session.info.run_id, tmp_path / "downloads")


# ------------------------------------------------------------------ killed kernel
KILLED_CELLS = [
    _expected("a = 1\n%mlops log m=1", {"a": "1"}, {"m": [(0, 1.0)]}),
    _expected("import mlops_jupyter\n"
              "for i in range(3):\n"
              "    mlops_jupyter.log_metric('loss', i * 0.5)",
              {"i": "2"}, {"loss": [(0, 0.0), (1, 0.5), (2, 1.0)]}),
]
# Killed while running: its run was started and got a metric, but never ended.
RUNNING_CELL = ("b = 2\nmlops_jupyter.log_metric('partial', 5.0)\n"
                "import time\ntime.sleep(600)")


@pytest.mark.parametrize("recovery", ["own_flusher", "flush_orphans", "new_kernel"])
def test_killed_kernel_spooled_events_arrive_exactly_once(tmp_path, spool, recovery):
    """``kill -9`` of a tracking kernel while the store is down, then the store comes up.

    * own_flusher: the killed kernel's flusher is still in its grace period and
      writes the journal itself once the server answers (meanwhile a
      ``flush_orphans`` must not adopt the journal it holds).
    * flush_orphans: the flusher died too (say the machine rebooted);
      ``flush_orphans`` adopts the journal and replays it.
    * new_kernel: the flusher died too; the next kernel that tracks adopts it.
    """
    from mlflow import MlflowClient

    port = free_port()
    # A grace period long enough for the server to start however slow the machine.
    env = kernel_env(tmp_path / "home", f"http://127.0.0.1:{port}",
                     MLOPS_JUPYTER_FLUSHER_GRACE_S="300")
    work = tmp_path / "work"
    work.mkdir()
    with KernelSession(env, cwd=work) as kernel:
        kernel.run("%load_ext mlops_jupyter")
        kernel.run("%mlops track --experiment killed")
        for expected in KILLED_CELLS:
            kernel.run(expected["source"])
        assert error_outputs(kernel.nb) == []
        kernel.submit(RUNNING_CELL)

        def journaled_partial() -> bool:
            return any('"partial"' in events.read_text() for events in journal_files(spool))

        wait_for(journaled_partial, 30, "the running cell's metric to reach the journal")
        pids = wait_for(lambda: flusher_pids(spool), 30, "the kernel's flusher")
        assert len(pids) == 1
        _wait_until_flusher_saw_the_store_down(spool)
        kernel.kill()

    # The flusher outlives its kernel (grace period) and keeps the journal locked.
    assert flusher_pids(spool) == pids
    journals = journal_files(spool)
    assert len(journals) == 1
    if recovery != "own_flusher":
        stop_flushers(spool)

    server_dir = tmp_path / "server"
    with mlflow_server(port, f"sqlite:///{server_dir / 'srv.db'}", workdir=server_dir) as uri:
        if recovery == "own_flusher":
            # Another process flushing orphans now must leave the held journal alone.
            flush_orphans(uri, spool, timeout=10)
            wait_for(lambda: not flusher_pids(spool), 120,
                     "the killed kernel's flusher to write its journal and exit")
        elif recovery == "flush_orphans":
            flusher = flush_orphans(uri, spool, timeout=60)
            assert flusher.last_error is None
            assert flusher.pending() == 0
        else:
            nb = run_notebook(["%load_ext mlops_jupyter", "%mlops track --experiment next",
                               "c = 3", "%mlops stop", "%mlops flush --timeout 60"],
                              env, cwd=work)
            assert error_outputs(nb) == []
            assert "every event is written" in cell_text(nb.cells[-1])
            wait_for(lambda: not flusher_pids(spool), 30, "the new kernel's flusher to exit")
            next_runs = experiment_runs(MlflowClient(tracking_uri=uri), "next")
            assert len(next_runs) == 2
        assert journal_files(spool) == [], "the orphaned journal was not written"
        assert not list(spool.glob("*.lock")), "a journal lock file was left behind"

        client = MlflowClient(tracking_uri=uri)
        runs = experiment_runs(client, "killed")
        _assert_each_run_once(runs)
        assert len(runs) == 1 + len(KILLED_CELLS) + 1
        sessions = [run for run in runs if run.data.tags.get("mlops.kind") == "session"]
        assert len(sessions) == 1
        session = sessions[0]
        assert session.info.status == "RUNNING"  # nobody could end it
        by_source = _runs_by_source(runs)
        assert set(by_source) == {e["source"] for e in KILLED_CELLS} | {RUNNING_CELL}
        for expected in KILLED_CELLS:
            _assert_cell_run(client, by_source[expected["source"]], expected,
                             session.info.run_id, tmp_path / "downloads")
        running = by_source[RUNNING_CELL]
        assert running.info.status == "RUNNING"
        assert running.data.tags["mlflow.parentRunId"] == session.info.run_id
        assert running.data.params == {}
        assert metric_points(client, running.info.run_id, "partial") == [(0, 5.0)]


# ------------------------------------------------------- flusher killed mid-write
CHAOS_CELLS = [
    _expected(f"import mlops_jupyter\nv{n} = {n}\n"
              f"for k in range(12):\n"
              f"    mlops_jupyter.log_metric('m{n}', k + {n} * 100)\n"
              f"%mlops log tag{n}=t{n}",
              {f"v{n}": str(n), "k": "11", f"tag{n}": f"t{n}"},
              {f"m{n}": [(k, float(k + n * 100)) for k in range(12)]})
    for n in range(4)
]
_REPLAY_SCRIPT = ("import sys, pathlib\n"
                  "from mlops_jupyter.tracking.flusher import flush_orphans\n"
                  "flush_orphans(sys.argv[1], pathlib.Path(sys.argv[2]), 120)\n")


def _acked(spool_dir: Path) -> int:
    return sum(len(path.read_text().splitlines()) for path in journal_files(spool_dir, ".acks"))


def test_replay_killed_between_write_and_ack_never_doubles(tmp_path, spool):
    """A replaying flusher ``kill -9``-ed again and again in the middle of writing.

    Each kill can land after an event reached the store but before its ack; the
    next replay must then neither duplicate a run nor a metric point.
    """
    import os
    import signal
    import subprocess
    import sys

    from mlflow import MlflowClient

    port = free_port()
    env = kernel_env(tmp_path / "home", f"http://127.0.0.1:{port}")
    work = tmp_path / "work"
    work.mkdir()
    with KernelSession(env, cwd=work) as kernel:
        kernel.run("%load_ext mlops_jupyter")
        kernel.run("%mlops track --experiment chaos")
        for expected in CHAOS_CELLS:
            kernel.run(expected["source"])
        kernel.run("%mlops stop")
        assert error_outputs(kernel.nb) == []
        wait_for(lambda: flusher_pids(spool), 30, "the kernel's flusher")
        kernel.kill()
    stop_flushers(spool)
    (events,) = journal_files(spool)
    total = len(events.read_text().splitlines())
    assert _acked(spool) == 0

    server_dir = tmp_path / "server"
    kills = 0
    with mlflow_server(port, f"sqlite:///{server_dir / 'srv.db'}", workdir=server_dir) as uri:
        while journal_files(spool) and kills < 30:
            before = _acked(spool)
            replay = subprocess.Popen([sys.executable, "-c", _REPLAY_SCRIPT, uri, str(spool)],
                                      env=env, cwd=work)
            try:
                # Kill as soon as a few more events were acknowledged: mid-stream.
                def progressed(replay=replay, before=before) -> bool:
                    return (replay.poll() is not None or _acked(spool) >= before + 4
                            or not journal_files(spool))

                wait_for(progressed, 60, "replay progress", interval=0.005)
            finally:
                if replay.poll() is None:
                    os.kill(replay.pid, signal.SIGKILL)
                    kills += 1
                replay.wait(timeout=30)
        assert kills >= 3, f"only {kills} replays were interrupted; the test proved nothing"
        if journal_files(spool):
            flush_orphans(uri, spool, timeout=60)
        assert journal_files(spool) == []

        client = MlflowClient(tracking_uri=uri)
        runs = experiment_runs(client, "chaos")
        _assert_each_run_once(runs)
        assert len(runs) == 1 + len(CHAOS_CELLS)
        (session,) = [run for run in runs if run.data.tags.get("mlops.kind") == "session"]
        assert session.info.status == "FINISHED"
        by_source = _runs_by_source(runs)
        for expected in CHAOS_CELLS:
            _assert_cell_run(client, by_source[expected["source"]], expected,
                             session.info.run_id, tmp_path / "downloads")
    print(f"\n{total} events replayed through {kills} killed flushers")
