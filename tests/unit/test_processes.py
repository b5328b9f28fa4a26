"""Stopping a process group: the leader, and whatever of its group outlives it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlops_jupyter.processes import stop_process_group

# A leader that starts a worker ignoring SIGTERM, writes the worker's pid, then waits.
# On SIGTERM the leader exits at once (Python's default), the worker would stay.
_LEADER = """
import signal, subprocess, sys, time
worker = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
open(sys.argv[1], "w").write(str(worker.pid))
time.sleep(600)
"""

# A supervisor that, on SIGTERM, writes which signal reached it and exits.
_SUPERVISOR = """
import signal, sys, time
def stop(signum, frame):
    open(sys.argv[1], "a").write(f"leader {signum}\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
open(sys.argv[1] + ".ready", "w").write("ready")
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def test_a_worker_that_outlives_its_leader_is_killed_too(tmp_path):
    pid_file = tmp_path / "worker.pid"
    leader = subprocess.Popen([sys.executable, "-c", _LEADER, str(pid_file)],
                              start_new_session=True)
    _wait_for(pid_file)
    worker = int(pid_file.read_text())
    assert _alive(worker)

    stop_process_group(leader.pid, 10, process=leader)

    assert leader.returncode is not None
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker), "the SIGTERM-ignoring worker was left running"


@pytest.mark.parametrize("term_group", [True, False])
def test_a_supervisor_gets_sigterm_and_may_end_its_own_way(tmp_path, term_group):
    log = tmp_path / "signals"
    leader = subprocess.Popen([sys.executable, "-c", _SUPERVISOR, str(log)],
                              start_new_session=True)
    _wait_for(Path(str(log) + ".ready"))

    stop_process_group(leader.pid, 10, process=leader, term_group=term_group)

    assert leader.returncode == 0, "it ended on SIGTERM, not SIGKILL"
    assert log.read_text() == "leader 15\n"


def test_a_group_already_gone_is_left_alone(tmp_path):
    leader = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    leader.wait()
    stop_process_group(leader.pid, 1, process=leader)  # no error, no signal to a reused pid
    assert leader.returncode == 0
    assert os.getpgrp() != leader.pid
