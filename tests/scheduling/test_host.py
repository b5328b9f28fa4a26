"""Runs of the Pipelines section are jobs of the persistent job store: a restarted
server (a new :class:`SchedulerHost` on the same store) still shows them, a run the
stopping server interrupted says so, and a run left RUNNING by a server that died is
reconciled INTERRUPTED — with real job processes and kernels.
"""

from __future__ import annotations

import sqlite3

import pytest

from mlops_jupyter.pipelines.launcher import PipelineLauncher
from mlops_jupyter.pipelines.workspace import Workspace
from mlops_jupyter.scheduling.host import SchedulerHost
from tests.magics.helpers import wait_for
from tests.pipelines.helpers import write_project
from tests.scheduling.helpers import alive, command_lines, job_tree, kill_all

QUICK = """
    name: quick
    steps:
      - name: count
        notebook: count.ipynb
        parameters: {n: 2}
"""
SLOW = """
    name: slow
    steps:
      - name: wait
        notebook: wait.ipynb
"""


@pytest.fixture
def root(home, tmp_path):
    folder = tmp_path / "root"
    write_project(folder / "quick", QUICK, {"count.ipynb": ("n = 1", ["total = sum(range(n))"])})
    write_project(folder / "slow", SLOW, {"wait.ipynb": (None, ["import time; time.sleep(120)"])})
    return folder


@pytest.fixture
def make(root):
    """``make()`` → (host, launcher): one life of a server on ``root`` and the test's
    job store, its scheduler disabled; every host made is stopped at the end."""
    made: list[SchedulerHost] = []

    def new_server() -> tuple[SchedulerHost, PipelineLauncher]:
        host = SchedulerHost(enabled=False, poll_interval=0.5)
        made.append(host)
        return host, PipelineLauncher(Workspace(root), host)

    yield new_server
    for host in made:
        host.stop()


def _status(launcher: PipelineLauncher, path: str, run_id: str, *wanted: str):
    status = launcher.status(path, run_id)
    return status if status.status in wanted else None


def test_a_run_is_kept_in_the_job_store_across_a_restart(root, make):
    host, launcher = make()
    run_id = launcher.start("quick/pipeline.yaml", params={"count": {"n": 4}}).run_id
    status = wait_for(lambda: _status(launcher, "quick/pipeline.yaml", run_id, "FINISHED",
                                      "FAILED"), 120, "the run to end", interval=0.2)
    assert status.status == "FINISHED", status
    (run,) = wait_for(lambda: [r for r in launcher.runs() if not r.active], 60,
                      "its job to end", interval=0.2)
    assert (run.run_id, run.status) == (run_id, "SUCCEEDED")
    host.stop()

    restarted, again = make()
    assert again.status("quick/pipeline.yaml", run_id).status == "FINISHED"
    assert again.status(None, run_id).file == "quick/pipeline.yaml"
    assert [(r.run_id, r.status) for r in again.runs()] == [(run_id, "SUCCEEDED")]
    job = restarted.store.run_job(run_id)
    assert (job["trigger"], job["schedule"], job["target_type"]) == ("sidebar", None, "pipeline")
    assert job["parameters"] == {"count.n": 4}
    assert job["options"] == {"force": False, "only": [], "from_step": None}
    assert job["run_dir"] == str(root / "quick" / "mlops-runs" / run_id)
    assert (root / "quick" / "mlops-runs" / run_id / "server-run.log").is_file()


def test_a_run_the_stopping_server_interrupted_says_so_after_the_restart(root, make):
    host, launcher = make()
    run_id = launcher.start("slow/pipeline.yaml").run_id
    pids: set[int] = set()
    try:
        wait_for(lambda: _status(launcher, "slow/pipeline.yaml", run_id, "RUNNING"), 60,
                 "the run to start", interval=0.2)
        pids = job_tree(host.store.run_job(run_id)["pid"])
        assert launcher.active_run(root / "slow" / "pipeline.yaml") == run_id
        host.stop()
        wait_for(lambda: not alive(pids), 20, f"the run's processes to end: "
                 f"{command_lines(alive(pids))}", interval=0.2)

        _, again = make()
        status = again.status("slow/pipeline.yaml", run_id)
        assert status.status == "FAILED"
        assert status.error == "interrupted: the scheduler was stopped"
        assert [(r.run_id, r.status) for r in again.runs()] == [(run_id, "INTERRUPTED")]
        assert again.active_run(root / "slow" / "pipeline.yaml") is None
    finally:
        kill_all(pids)


def test_a_run_left_running_by_a_dead_server_is_reconciled_interrupted(root, make):
    host, launcher = make()
    pipeline = root / "slow" / "pipeline.yaml"
    # What a server killed with SIGKILL leaves behind: its job RUNNING, no scheduler.
    job = host.store.create_run_job(str(pipeline), "20260101-000000-abcdef", parameters={},
                                    options={}, scheduler_id="gone-server")
    host.store.start_job(job["id"])

    status = launcher.status("slow/pipeline.yaml", "20260101-000000-abcdef")

    assert status.status == "FAILED"
    assert status.error == ("interrupted: scheduler gone-server stopped before the job "
                               "finished")
    assert host.store.job(job["id"])["status"] == "INTERRUPTED"
    assert launcher.active_run(pipeline) is None


def test_a_job_store_of_the_previous_release_gets_the_run_columns(home):
    from mlops_jupyter.scheduling.store import JobStore

    JobStore().close()
    with sqlite3.connect(home / "jobs.db") as old:  # the table as the previous release made it
        old.execute("DROP INDEX ix_mlops_jobs_run_id")
        old.execute("ALTER TABLE mlops_jobs DROP COLUMN run_id")
        old.execute("ALTER TABLE mlops_jobs DROP COLUMN options")

    store = JobStore()
    try:
        job = store.create_run_job("/p/pipeline.yaml", "20260101-000000-abcdef", parameters={},
                                   options={"force": True}, scheduler_id="s")
        assert store.run_job("20260101-000000-abcdef") == job
        assert job["options"] == {"force": True}
    finally:
        store.close()
