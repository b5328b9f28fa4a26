"""Alias moves, history, rollback and concurrent promotions (threads and processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from mlops_jupyter.exceptions import ConflictError, NotFoundError, UsageError
from mlops_jupyter.registry import alias_history, rollback, set_alias
from mlops_jupyter.registry.aliases import generation, holder_at
from mlops_jupyter.tracking import store


def _holder(name, alias="champion"):
    return str(store.client().get_model_version_by_alias(name, alias).version)


def test_history_records_who_when_from_to_why(registered):
    for _ in range(3):
        registered("iris")
    set_alias("iris", "champion", 1, reason="first", actor="ana")
    set_alias("iris", "champion", "2", reason="better", actor="bo")
    history = alias_history("iris", "champion")
    assert [(e["from_version"], e["to_version"], e["actor"], e["reason"]) for e in history] == [
        (None, "1", "ana", "first"), ("1", "2", "bo", "better")]
    assert all(e["at"] and e["action"] == "set" and e["forced"] is False for e in history)
    assert [e["generation"] for e in history] == [1, 2]
    assert generation("iris", "champion") == 2
    assert holder_at("iris", "champion", history[0]["at"]) == "1"
    assert holder_at("iris", "champion", "1970-01-01") is None
    assert alias_history("iris") == history  # all aliases
    assert alias_history("iris", "challenger") == []


def test_rollback_walks_back_through_holders(registered):
    for _ in range(3):
        registered("iris")
    for version in (1, 2, 3):
        set_alias("iris", "champion", version, reason=f"v{version}")
    entry = rollback("iris", reason="v3 broke scoring")
    assert (entry["from_version"], entry["to_version"], entry["action"]) == ("3", "2", "rollback")
    assert _holder("iris") == "2"
    rollback("iris", reason="v2 too")
    assert _holder("iris") == "1"
    with pytest.raises(UsageError, match="no previous holder"):
        rollback("iris")
    assert _holder("iris") == "1"
    assert [e["action"] for e in alias_history("iris", "champion")][-2:] == ["rollback"] * 2


def test_rollback_without_history_and_unknowns(registered):
    registered("iris")
    with pytest.raises(UsageError, match="no previous holder"):
        rollback("iris")
    set_alias("iris", "champion", 1, reason="x")
    with pytest.raises(UsageError, match="no previous holder"):
        rollback("iris")
    with pytest.raises(NotFoundError, match="no registered model named 'nope'"):
        rollback("nope")
    with pytest.raises(NotFoundError, match="has no version 9"):
        set_alias("iris", "champion", 9, reason="x")
    with pytest.raises(UsageError, match="invalid model version"):
        set_alias("iris", "champion", "v1", reason="x")
    with pytest.raises(UsageError, match="invalid alias"):
        set_alias("iris", "bad alias", 1, reason="x")
    assert len(alias_history("iris", "champion")) == 1


def test_stale_generation_is_a_conflict_and_changes_nothing(registered):
    registered("iris")
    registered("iris")
    start = generation("iris", "champion")
    set_alias("iris", "champion", 1, reason="a", expected_generation=start)
    with pytest.raises(ConflictError, match="moved by someone else"):
        set_alias("iris", "champion", 2, reason="b", expected_generation=start)
    assert _holder("iris") == "1"
    assert len(alias_history("iris", "champion")) == 1


def test_concurrent_threads_exactly_one_wins(registered):
    for _ in range(4):
        registered("iris")
    start = generation("iris", "champion")
    barrier = threading.Barrier(4)
    outcomes: dict[int, str] = {}

    def promote(version):
        barrier.wait()
        try:
            set_alias("iris", "champion", version, reason="race", expected_generation=start)
            outcomes[version] = "won"
        except ConflictError:
            outcomes[version] = "conflict"

    threads = [threading.Thread(target=promote, args=(v,)) for v in (1, 2, 3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes.values()) == ["conflict"] * 3 + ["won"]
    winner = next(v for v, outcome in outcomes.items() if outcome == "won")
    assert _holder("iris") == str(winner)
    history = alias_history("iris", "champion")
    assert len(history) == 1 and history[0]["to_version"] == str(winner)


_CHILD = """
import json, os, sys, time
from pathlib import Path
from mlops_jupyter.exceptions import ConflictError
from mlops_jupyter.registry import set_alias
from mlops_jupyter.tracking import store
go, ready = sys.argv[1], sys.argv[4]
store.client().get_registered_model("iris")  # MLflow imported, the store open
Path(ready).write_text("ready")
while not os.path.exists(go):
    time.sleep(0.005)
try:
    set_alias("iris", "champion", sys.argv[2], reason="race", expected_generation=int(sys.argv[3]))
    print(json.dumps("won"))
except ConflictError as exc:
    print(json.dumps("conflict: " + str(exc)))
"""


def _wait_until_ready(children, ready_files, timeout=60.0):
    """Until every child wrote its ready file (each is then at the start line)."""
    deadline = time.monotonic() + timeout
    while not all(path.exists() for path in ready_files):
        for child in children:
            if child.poll() is not None:
                raise AssertionError(f"a child ended before the start: {child.stderr.read()}")
        assert time.monotonic() < deadline, "the children did not get ready"
        time.sleep(0.01)


def test_concurrent_processes_exactly_one_wins(registered, registry_home, tmp_path):
    registered("iris")
    registered("iris")
    start = generation("iris", "champion")
    go = tmp_path / "go"
    ready = {version: tmp_path / f"ready-{version}" for version in ("1", "2")}
    env = {**os.environ}
    children = [subprocess.Popen([sys.executable, "-c", _CHILD, str(go), version, str(start),
                                  str(ready[version])],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=env) for version in ("1", "2")]
    _wait_until_ready(children, ready.values())
    go.write_text("go")
    results = []
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r.split(":")[0] for r in results) == ["conflict", "won"]
    winner = ("1", "2")[results.index("won")]
    assert _holder("iris") == winner
    assert [e["to_version"] for e in alias_history("iris", "champion")] == [winner]


def test_rollback_reason_is_required_one_line_and_kept(registered):
    for _ in range(2):
        registered("iris")
    for version in (1, 2):
        set_alias("iris", "champion", version, reason=f"v{version}")
    for reason, fragment in [(None, "needs a reason"), ("   ", "needs a reason"),
                             ("two\nlines", "one line"), ("x" * 501, "too long")]:
        with pytest.raises(UsageError, match=fragment):
            rollback("iris", reason=reason)
    assert _holder("iris") == "2"  # nothing moved
    rollback("iris", reason="  v2 scores NaN on Mondays  ")
    last = alias_history("iris", "champion")[-1]
    assert (last["action"], last["reason"], last["to_version"]) == (
        "rollback", "v2 scores NaN on Mondays", "1")
