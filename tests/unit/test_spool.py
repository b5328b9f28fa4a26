"""The journal: ordered, acknowledged, adoptable only when its owners are gone."""

import fcntl
import subprocess
import sys

from mlops_jupyter.tracking.spool import Journal, Replay, spooled_event_count


def test_append_ack_and_replay_in_order(tmp_path):
    journal = Journal.create(tmp_path)
    for number in range(5):
        journal.append({"op": "log", "key": "k", "n": number})
    replay = Replay(journal.base)
    assert [event["n"] for event in replay.pending] == [0, 1, 2, 3, 4]
    assert replay.uncertain  # a fresh reader cannot know whether seq 1 was half-applied
    replay.ack(1)
    replay.ack(2)
    replay.bind("k", "run-1")
    assert journal.acknowledged() == 2
    assert journal.bindings() == {"k": "run-1"}
    assert [event["seq"] for event in Replay(journal.base).pending] == [3, 4, 5]
    assert spooled_event_count(tmp_path) == 3


def test_reader_follows_appends_and_ignores_torn_lines(tmp_path):
    journal = Journal.create(tmp_path)
    replay = Replay(journal.base)
    journal.append({"op": "a"})
    with open(journal.base.with_suffix(".events"), "a") as handle:
        handle.write('{"op": "torn"')  # a writer killed mid-line
    assert replay.read_new() == 1
    assert [event["op"] for event in replay.pending] == ["a"]


def test_live_journal_is_not_adopted_but_orphan_is(tmp_path):
    live = Journal.create(tmp_path)
    live.append({"op": "log"})
    assert Replay.adopt_orphans(tmp_path) == []
    live.close()  # owner gone
    adopted = Replay.adopt_orphans(tmp_path)
    assert [replay.base for replay in adopted] == [live.base]
    assert Replay.adopt_orphans(tmp_path) == []  # held by the first adopter
    adopted[0].remove()
    assert list(tmp_path.iterdir()) == []


def test_lock_inherited_by_a_child_keeps_journal_owned(tmp_path):
    journal = Journal.create(tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE,
        pass_fds=(journal.lock_handle.fileno(),))
    try:
        journal.close()  # the kernel is gone, its flusher (the child) is not
        assert Replay.adopt_orphans(tmp_path) == []
    finally:
        child.stdin.close()
        child.wait(10)
    assert len(Replay.adopt_orphans(tmp_path)) == 1


def test_fresh_journal_lock_file_is_locked_from_the_start(tmp_path):
    journal = Journal.create(tmp_path)
    with open(journal.base.with_suffix(".lock")) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            locked = False
        except OSError:
            locked = True
    assert locked
