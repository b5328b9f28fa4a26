"""The firing logic with an injected clock: ``Scheduler.tick(now=...)`` on a real
SQLite job store, no kernels.

The targets are deleted after the schedule is stored, so a job the scheduler claims
and launches ends FAILED ("the target file no longer exists") at once instead of
starting kernels: what these tests check is which ticks are claimed, not the runs.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest

from mlops_jupyter.exceptions import StoreUnavailableError
from mlops_jupyter.scheduling.schedules import build_schedule
from mlops_jupyter.scheduling.service import Scheduler
from mlops_jupyter.scheduling.store import JobStore
from tests.pipelines.helpers import write_notebook

UTC = timezone.utc
BASE = datetime(2026, 1, 5, 10, 0, 0, tzinfo=UTC)  # a Monday, on a 5-minute tick


def add(store, tmp_path, name="nb", expression="*/5 * * * *", missed="skip",
        last_tick=BASE):
    """A schedule whose target no longer exists, last handled at ``last_tick``."""
    target = write_notebook(tmp_path / f"{name}.ipynb", None, ["1"])
    schedule = store.add_schedule(build_schedule(str(target), expression, name=name,
                                                 missed=missed))
    target.unlink()
    assert store.advance(schedule["id"], datetime.fromisoformat(schedule["last_tick"]),
                         last_tick)
    return store.schedule(name)


def jobs(store):
    return list(reversed(store.jobs(limit=1000)))


def test_nothing_fires_before_the_tick(store, tmp_path):
    add(store, tmp_path)
    Scheduler(store).tick(now=BASE + timedelta(minutes=4, seconds=59))
    assert jobs(store) == []


def test_an_on_time_tick_claims_exactly_one_job(store, tmp_path):
    add(store, tmp_path)
    scheduler = Scheduler(store)
    now = BASE + timedelta(minutes=5, seconds=0.2)
    scheduler.tick(now=now)
    scheduler.tick(now=now)
    scheduler.tick(now=now + timedelta(seconds=30))
    (job,) = jobs(store)
    assert job["trigger"] == "cron" and job["tick"] == (BASE + timedelta(minutes=5)).isoformat()
    assert job["status"] == "FAILED" and "no longer exists" in job["error"]
    assert job["scheduler_id"] == scheduler.id
    assert store.schedule("nb")["last_tick"] == job["tick"]
    scheduler.tick(now=BASE + timedelta(minutes=10, seconds=1))
    assert [j["tick"] for j in jobs(store)] == [
        (BASE + timedelta(minutes=m)).isoformat() for m in (5, 10)]


def test_two_schedulers_on_one_store_claim_a_tick_once(home, tmp_path):
    stores = [JobStore(), JobStore()]
    try:
        for index in range(3):
            add(stores[0], tmp_path, name=f"nb{index}", expression="* * * * *")
        schedulers = [Scheduler(s) for s in stores]
        for minute in range(1, 6):  # the same instants, at the same time, from two threads
            now = BASE + timedelta(minutes=minute, seconds=0.1)
            barrier = threading.Barrier(2)
            errors = []

            def fire(scheduler, now=now, barrier=barrier, errors=errors):
                try:
                    barrier.wait()
                    scheduler.tick(now=now)
                except Exception as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=fire, args=(s,)) for s in schedulers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert not errors
        found = jobs(stores[0])
        ticks = sorted((j["schedule"], j["tick"]) for j in found)
        expected = sorted((f"nb{i}", (BASE + timedelta(minutes=m)).isoformat())
                          for i in range(3) for m in range(1, 6))
        assert ticks == expected  # each tick of each schedule once; none lost
        assert all(j["trigger"] == "cron" for j in found)
    finally:
        for s in stores:
            s.close()


def test_missed_ticks_with_skip_record_one_skipped_job(store, tmp_path):
    add(store, tmp_path, missed="skip")
    now = BASE + timedelta(hours=3, minutes=2)  # 36 ticks missed, the last 2 min ago
    Scheduler(store).tick(now=now)
    (job,) = jobs(store)
    assert job["status"] == "SKIPPED" and job["trigger"] == "missed"
    assert job["error"] == "36 tick(s) missed while no scheduler ran; policy skip"
    assert job["tick"] == (BASE + timedelta(hours=3)).isoformat()
    assert job["started"] is None and job["pid"] is None
    Scheduler(store).tick(now=now)
    assert len(jobs(store)) == 1  # handled once, by whichever scheduler came first


def test_skip_still_fires_the_tick_that_is_due_now(store, tmp_path):
    add(store, tmp_path, missed="skip")
    Scheduler(store).tick(now=BASE + timedelta(hours=1, seconds=2))
    skipped, fired = jobs(store)
    assert (skipped["status"], skipped["trigger"]) == ("SKIPPED", "missed")
    assert skipped["error"].startswith("11 tick(s) missed")
    assert fired["trigger"] == "cron" and fired["tick"] == (BASE + timedelta(hours=1)).isoformat()


def test_missed_ticks_with_catch_up_once_run_exactly_one_job(store, tmp_path):
    add(store, tmp_path, missed="catch_up_once")
    now = BASE + timedelta(hours=3, minutes=2)
    Scheduler(store).tick(now=now)
    Scheduler(store).tick(now=now + timedelta(seconds=1))
    (job,) = jobs(store)
    assert job["trigger"] == "catch-up"
    assert job["tick"] == (BASE + timedelta(hours=3)).isoformat()  # the latest missed one
    assert job["status"] != "SKIPPED"


def test_ticks_the_scheduler_came_late_for_are_recorded_not_lost(store, tmp_path):
    add(store, tmp_path, expression="* * * * * */2")
    Scheduler(store).tick(now=BASE + timedelta(seconds=6.5))  # 2, 4 and 6 are due
    found = jobs(store)
    assert [j["tick"] for j in found] == [(BASE + timedelta(seconds=s)).isoformat()
                                         for s in (2, 4, 6)]
    assert [j["status"] for j in found[:2]] == ["SKIPPED", "SKIPPED"]
    assert found[0]["error"].startswith("overdue by 4.5 s")
    assert found[2]["status"] == "FAILED"  # launched (its target is gone)


@pytest.mark.parametrize("missed", ["skip", "catch_up_once"])
def test_a_long_downtime_is_handled_in_one_tick(store, tmp_path, missed):
    # Every 5 minutes, down for 30 days (8,640 missed ticks): one record, the latest tick.
    add(store, tmp_path, missed=missed)
    now = BASE + timedelta(days=30, seconds=90)
    Scheduler(store).tick(now=now)
    Scheduler(store).tick(now=now + timedelta(seconds=1))
    (job,) = jobs(store)
    assert job["tick"] == (BASE + timedelta(days=30)).isoformat()
    if missed == "skip":
        assert job["status"] == "SKIPPED"
        assert job["error"].startswith("over 1000 tick(s) missed")
    else:
        assert job["trigger"] == "catch-up"
    assert store.schedule("nb")["last_tick"] == job["tick"]


def test_a_tick_while_the_previous_job_runs_is_skipped(store, tmp_path):
    schedule = add(store, tmp_path)
    running = store.create_job(schedule, "manual")
    store.update_job(running["id"], status="RUNNING")
    Scheduler(store).tick(now=BASE + timedelta(minutes=5, seconds=0.1))
    _, job = jobs(store)
    assert (job["status"], job["trigger"]) == ("SKIPPED", "cron")
    assert job["error"] == f"job {running['id']} of this schedule was still RUNNING"
    assert store.job(running["id"])["status"] == "RUNNING"


def test_paused_schedules_do_not_fire_and_resume_does_not_backfill(store, tmp_path):
    add(store, tmp_path, name="paused", expression="* * * * *")
    add(store, tmp_path, name="control", expression="* * * * *")
    store.set_enabled("paused", False)
    scheduler = Scheduler(store)
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    scheduler.tick(now=now)
    control = jobs(store)
    assert {j["schedule"] for j in control} == {"control"}  # missed: SKIPPED, + this minute
    resumed = store.set_enabled("paused", True)
    assert resumed["enabled"] and datetime.fromisoformat(resumed["last_tick"]) > BASE
    scheduler.tick(now=datetime.now(UTC))
    assert [j for j in jobs(store) if j["schedule"] == "paused"] == []  # no backlog, no SKIPPED
    next_minute = datetime.fromisoformat(resumed["last_tick"]).replace(
        second=0, microsecond=0) + timedelta(minutes=1)
    scheduler.tick(now=next_minute + timedelta(seconds=0.5))
    fired = [j for j in jobs(store) if j["schedule"] == "paused"]
    assert [(j["trigger"], j["tick"]) for j in fired] == [("cron", next_minute.isoformat())]


def test_a_removed_schedule_stops_firing_and_keeps_its_history(store, tmp_path):
    add(store, tmp_path)
    Scheduler(store).tick(now=BASE + timedelta(minutes=5, seconds=1))
    store.remove_schedule("nb")
    Scheduler(store).tick(now=BASE + timedelta(minutes=10, seconds=1))
    (job,) = jobs(store)
    assert job["schedule"] == "nb" and job["schedule_id"] is None


# ---------------------------------------------------------------- locked store
@pytest.fixture
def locked(home):
    """Hold the job store's write lock from another connection (like another writer)."""
    JobStore().close()  # create the tables first

    class Lock:
        def __init__(self):
            self.connection = None

        def hold(self):
            self.connection = sqlite3.connect(home / "jobs.db", isolation_level=None)
            self.connection.execute("BEGIN EXCLUSIVE")

        def release(self):
            if self.connection is not None:
                self.connection.execute("ROLLBACK")
                self.connection.close()
                self.connection = None

    lock = Lock()
    yield lock
    lock.release()


def test_a_locked_store_is_a_clear_error_and_nothing_is_half_written(home, tmp_path, locked):
    store = JobStore()
    try:
        add(store, tmp_path)
        before_schedules, before_jobs = store.schedules(), store.jobs()
        target = write_notebook(tmp_path / "other.ipynb", None, ["1"])
        fields = build_schedule(str(target), "* * * * *", name="other")
        locked.hold()
        refused = []

        def fire():  # at the same time as the insert below: both wait out the timeout
            try:
                Scheduler(store).tick(now=BASE + timedelta(minutes=5, seconds=1))
            except StoreUnavailableError as exc:
                refused.append(exc)

        thread = threading.Thread(target=fire)
        thread.start()
        with pytest.raises(StoreUnavailableError, match="locked") as info:
            store.add_schedule(fields)
        thread.join(60)
        assert "\n" not in str(info.value)
        assert len(refused) == 1 and "locked" in str(refused[0])
        assert store.schedules() == before_schedules  # readers are not blocked (WAL)
        locked.release()
        assert store.schedules() == before_schedules and store.jobs() == before_jobs == []
        # Once the lock is gone, the tick that was refused is fired (not lost).
        Scheduler(store).tick(now=BASE + timedelta(minutes=5, seconds=2))
        assert [(j["trigger"], j["tick"]) for j in jobs(store)] == [
            ("cron", (BASE + timedelta(minutes=5)).isoformat())]
    finally:
        store.close()


def test_a_job_cancelled_before_it_started_is_not_revived(store, tmp_path):
    from mlops_jupyter.scheduling.service import cancel_job

    target = write_notebook(tmp_path / "slow.ipynb", None, ["import time; time.sleep(30)"])
    schedule = store.add_schedule(build_schedule(str(target), "0 0 * * *", name="slow"))
    scheduler = Scheduler(store)
    job = store.create_job(schedule, "manual", scheduler.id)
    cancel_job(store, job["id"])  # before the scheduler got to launch it
    launched = scheduler.launch(job)
    assert launched["status"] == "INTERRUPTED"
    assert launched["error"] == "cancelled by the user"


def test_schedule_names_that_clash_with_rest_paths_are_refused(tmp_path):
    from mlops_jupyter.exceptions import UsageError

    target = write_notebook(tmp_path / "nb.ipynb", None, ["1"])
    for name in ("presets", "preview"):
        with pytest.raises(UsageError, match="reserved"):
            build_schedule(str(target), "0 0 * * *", name=name)
