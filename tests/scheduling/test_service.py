"""The real scheduler with the real clock: ``mlops scheduler`` processes firing real
notebooks and pipelines (papermill kernels, MLflow store), racing on one store,
killed mid-job, and jobs cancelled.

Every process started here (schedulers, their jobs, kernels, flushers) is stopped
by its own pid in ``finally`` blocks.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from mlops_jupyter import config
from mlops_jupyter.scheduling import cron
from mlops_jupyter.scheduling.schedules import build_schedule
from tests.magics.helpers import wait_for
from tests.pipelines.helpers import cli, write_notebook, write_project
from tests.scheduling.helpers import (
    alive,
    command_lines,
    job_tree,
    kill_all,
    scheduler_log,
    start_scheduler,
    stop_scheduler,
    wait_job,
    when,
)

UTC = timezone.utc
PIPELINE = """
    name: scheduled
    experiment: scheduled-exp
    steps:
      - name: make
        notebook: make.ipynb
        parameters: {count: 2}
        outputs: {numbers: out/numbers.txt}
      - name: total
        notebook: total.ipynb
        parameters: {source: "${steps.make.outputs.numbers}"}
"""
NOTEBOOKS = {
    "make.ipynb": ("count = 1", ["""
        import os
        os.makedirs("out", exist_ok=True)
        open("out/numbers.txt", "w").write(" ".join(str(i) for i in range(count)))
    """]),
    "total.ipynb": ("source = ''", ["""
        import mlops_jupyter
        mlops_jupyter.log_metric("total", sum(map(int, open(source).read().split())))
    """]),
}
SLEEPER = ("seconds = 60", ["import time\ntime.sleep(seconds)"])


def _kernel_running(pid: int) -> set[int] | None:
    """The job's process tree once a kernel is in it."""
    tree = job_tree(pid)
    lines = command_lines(tree)
    return tree if any("ipykernel" in line for line in lines) else None


def test_the_real_scheduler_fires_a_real_pipeline(home, store, tmp_path):
    from mlflow import MlflowClient

    file = write_project(tmp_path / "project", PIPELINE, NOTEBOOKS)
    store.add_schedule(build_schedule(str(file), "* * * * * */3", name="pipe",
                                      params=["make.count=4"]))
    scheduler = start_scheduler(home, "--poll-interval", "1")
    pids: set[int] = set()
    try:
        first = wait_job(store, lambda jobs: next(
            (j for j in jobs if j["status"] == "RUNNING"), None), 30, "a RUNNING job")
        pids |= job_tree(first["pid"])
        job = wait_for(lambda: (j := store.job(first["id"]))["status"] not in (
            "QUEUED", "RUNNING") and j, 150, "the job to end", interval=0.2)
        store.set_enabled("pipe", False)
        assert job["status"] == "SUCCEEDED", (job, scheduler_log(home))
        assert job["trigger"] == "cron" and job["error"] is None
        latency = (when(job["started"]) - when(job["tick"])).total_seconds()
        assert latency >= 0, latency  # fired by its tick (how soon: bench_scheduler.py)
        run_dir = Path(job["run_dir"])
        assert run_dir.is_dir() and run_dir.name == f"job-{job['id']}"
        assert len(job["outputs"]) == 2 and all(Path(p).is_file() for p in job["outputs"])
        assert (tmp_path / "project" / "out" / "numbers.txt").read_text() == "0 1 2 3"
        client = MlflowClient(tracking_uri=config.tracking_uri())
        run = client.get_run(job["mlflow_run_id"])
        assert run.data.tags["mlops.kind"] == "pipeline"
        assert run.data.tags["mlops.pipeline.run_dir"] == job["run_dir"]
        # Ticks that came while it ran were recorded, not lost and not run twice.
        # (A tick after it ended, before the schedule was disabled, may run: fine.)
        others = [j for j in store.jobs(schedule="pipe") if j["id"] != job["id"]]
        during = [j for j in others
                  if when(job["tick"]) < when(j["tick"]) < when(job["ended"])]
        assert all(j["status"] == "SKIPPED" for j in during), during
    finally:
        stop_scheduler(scheduler)
        kill_all(pids)


def test_two_schedulers_racing_on_one_store_fire_each_tick_once(home, store, tmp_path):
    target = write_notebook(tmp_path / "tiny.ipynb", "x = 1", ["print(x)"])
    schedulers = [start_scheduler(home, "--poll-interval", "0.5", log_name=f"s{i}")
                  for i in range(2)]
    pids: set[int] = set()
    try:
        wait_for(lambda: all("started on" in scheduler_log(home, f"s{i}") for i in range(2)),
                 60, "both schedulers to start", interval=0.2)
        schedule = store.add_schedule(build_schedule(str(target), "* * * * * */2",
                                                     name="tiny"))
        created = when(schedule["created"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # note every job process that appears
            for job in store.jobs(schedule="tiny"):
                if job["pid"]:
                    pids |= job_tree(job["pid"])
            time.sleep(0.2)
        store.set_enabled("tiny", False)
        paused = datetime.now(UTC)
        time.sleep(1.0)  # a tick fired just before the pause may still be recorded
        jobs = list(reversed(store.jobs(schedule="tiny", limit=1000)))
    finally:
        for scheduler in schedulers:
            stop_scheduler(scheduler)
        kill_all(pids)
    ticks = [j["tick"] for j in jobs]
    expected = [t.isoformat() for t in cron.ticks_between("* * * * * */2", "UTC", created,
                                                          paused - timedelta(seconds=0.5))]
    assert len(ticks) == len(set(ticks))
    assert set(expected) <= set(ticks), (sorted(set(expected) - set(ticks)), jobs)
    assert len(ticks) <= len(expected) + 1
    assert abs(len(ticks) - (paused - created).total_seconds() / 2) <= 1.5
    launched = [j for j in jobs if j["pid"]]
    assert launched and len({j["pid"] for j in launched}) == len(launched)
    spans = sorted((when(j["started"]), when(j["ended"]) if j["ended"] else paused)
                   for j in launched)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end, spans  # never two runs of the schedule at once
    assert {j["scheduler_id"] for j in jobs} <= {
        line.split()[2].rstrip(":") for i in range(2)
        for line in scheduler_log(home, f"s{i}").splitlines()
        if line.startswith("mlops scheduler ")}


def test_kill_9_mid_job_then_restart_marks_the_job_interrupted(home, store, tmp_path):
    target = write_notebook(tmp_path / "sleeper.ipynb", *SLEEPER)
    store.add_schedule(build_schedule(str(target), "* * * * * */2", name="sleeper"))
    first = start_scheduler(home, "--poll-interval", "0.5", log_name="first")
    second = None
    tree: set[int] = set()
    try:
        job = wait_job(store, lambda jobs: next(
            (j for j in jobs if j["status"] == "RUNNING"), None), 60, "a RUNNING job")
        tree = wait_for(lambda: _kernel_running(job["pid"]), 60, "the job's kernel",
                        interval=0.2)
        store.set_enabled("sleeper", False)  # the restarted scheduler starts nothing new
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert store.job(job["id"])["status"] == "RUNNING"  # nobody has looked yet
        second = start_scheduler(home, log_name="second")
        done = wait_for(lambda: (j := store.job(job["id"]))["status"] != "RUNNING" and j, 60,
                        "the restarted scheduler to reconcile", interval=0.2)
        assert done["status"] == "INTERRUPTED", done
        assert "interrupted: scheduler" in done["error"]
        assert "stopped before the job finished" in done["error"]
        assert done["ended"] is not None
        wait_for(lambda: not alive(tree), 20, f"the job and its kernel to exit: "
                 f"{command_lines(alive(tree))}", interval=0.2)
        assert "marked INTERRUPTED" in scheduler_log(home, "second")
    finally:
        if second is not None:
            stop_scheduler(second)
        stop_scheduler(first)
        kill_all(tree)


def test_cancel_stops_a_running_job_and_its_kernel(home, store, tmp_path):
    target = write_notebook(tmp_path / "sleeper.ipynb", *SLEEPER)
    store.add_schedule(build_schedule(str(target), "* * * * * */2", name="sleeper"))
    scheduler = start_scheduler(home, "--poll-interval", "0.5")
    tree: set[int] = set()
    try:
        job = wait_job(store, lambda jobs: next(
            (j for j in jobs if j["status"] == "RUNNING"), None), 60, "a RUNNING job")
        tree = wait_for(lambda: _kernel_running(job["pid"]), 60, "the job's kernel",
                        interval=0.2)
        store.set_enabled("sleeper", False)
        result = cli("jobs", "cancel", str(job["id"]), home=home)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"job {job['id']} cancelled (INTERRUPTED)"
        done = store.job(job["id"])
        assert done["status"] == "INTERRUPTED" and done["error"] == "cancelled by the user"
        wait_for(lambda: not alive(tree), 20, f"the job and its kernel to exit: "
                 f"{command_lines(alive(tree))}", interval=0.2)
        time.sleep(1.5)  # the scheduler saw its child end: the outcome stays
        assert store.job(job["id"])["status"] == "INTERRUPTED"
        again = cli("jobs", "cancel", str(job["id"]), home=home)
        assert again.returncode == 2 and again.stdout == ""
        assert again.stderr.strip() == (f"mlops: error: job {job['id']} already ended "
                                        "(INTERRUPTED); nothing to cancel")
        assert scheduler.poll() is None  # the scheduler itself carries on
    finally:
        stop_scheduler(scheduler)
        kill_all(tree)
