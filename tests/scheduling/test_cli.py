"""``mlops schedule|scheduler|jobs``: help, JSON output and one-line errors (no kernels)."""

from __future__ import annotations

import json

import pytest

from mlops_jupyter.cli import main
from tests.pipelines.helpers import cli, write_notebook


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, out, err, *words, expected=2):
    assert code == expected, (code, out, err)
    assert err.startswith("mlops: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in err, err
    return err


@pytest.mark.parametrize(("args", "words"), [
    (["schedule", "--help"], ["add", "list", "pause", "resume", "remove"]),
    (["schedule", "add", "--help"], ["--cron", "--tz", "--param", "--missed", "--name",
                                     "--json", "catch_up_once"]),
    (["schedule", "list", "--help"], ["--json"]),
    (["schedule", "pause", "--help"], ["name"]),
    (["schedule", "resume", "--help"], ["name"]),
    (["schedule", "remove", "--help"], ["name"]),
    (["scheduler", "--help"], ["--poll-interval"]),
    (["jobs", "--help"], ["--schedule", "--status", "--json", "show", "cancel"]),
    (["jobs", "show", "--help"], ["--json"]),
    (["jobs", "cancel", "--help"], ["id"]),
])
def test_help(capsys, args, words):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 0
    out = capsys.readouterr().out
    for word in words:
        assert word in out


def test_help_as_a_user_types_it(tmp_path):
    result = cli("schedule", "add", "--help", home=tmp_path / "home")
    assert result.returncode == 0 and "--missed" in result.stdout


@pytest.fixture
def nb(home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return write_notebook(tmp_path / "train.ipynb", "alpha = 1", ["print(alpha)"])


def test_schedule_add_list_pause_resume_remove(capsys, nb):
    code, out, err = run(capsys, "schedule", "add", "train.ipynb", "--cron", "0 9 * * 1-5",
                         "--tz", "Europe/Paris", "--param", "alpha=0.5", "--missed",
                         "catch_up_once", "--json")
    assert code == 0, err
    added = json.loads(out)
    assert {k: added[k] for k in ("name", "target_type", "target", "parameters", "cron",
                                  "timezone", "missed", "enabled")} == {
        "name": "train", "target_type": "notebook", "target": str(nb),
        "parameters": {"alpha": 0.5}, "cron": "0 9 * * 1-5", "timezone": "Europe/Paris",
        "missed": "catch_up_once", "enabled": True}
    assert len(added["next"]) == 5
    code, out, _ = run(capsys, "schedule", "add", "train.ipynb", "--cron", "*/5 * * * *",
                       "--name", "often")
    assert code == 0 and "schedule 'often'" in out and "mlops scheduler" in out
    code, out, _ = run(capsys, "schedule", "list", "--json")
    listed = json.loads(out)
    assert [s["name"] for s in listed] == ["often", "train"]
    assert all(s["next"] for s in listed)
    assert run(capsys, "schedule", "pause", "often")[1] == "schedule 'often' paused\n"
    code, out, _ = run(capsys, "schedule", "list")
    assert "paused" in out.splitlines()[1] and "train" in out
    assert json.loads(run(capsys, "schedule", "list", "--json")[1])[0]["next"] is None
    assert run(capsys, "schedule", "resume", "often")[1] == "schedule 'often' resumed\n"
    code, out, _ = run(capsys, "schedule", "remove", "often")
    assert code == 0 and "removed" in out
    assert [s["name"] for s in json.loads(run(capsys, "schedule", "list", "--json")[1])] == [
        "train"]


def test_jobs_list_and_show(capsys, nb, store):
    from mlops_jupyter.scheduling.schedules import build_schedule

    assert run(capsys, "jobs")[1] == "no jobs\n"
    assert json.loads(run(capsys, "jobs", "--json")[1]) == []
    schedule = store.add_schedule(build_schedule(str(nb), "* * * * *"))
    job = store.create_job(schedule, "manual")
    store.finish_job(job["id"], "FAILED", error="step x FAILED: ValueError: bad")
    code, out, _ = run(capsys, "jobs", "--json", "--schedule", "train", "--status", "FAILED")
    (listed,) = json.loads(out)
    assert listed["id"] == job["id"] and listed["error"] == "step x FAILED: ValueError: bad"
    assert json.loads(run(capsys, "jobs", "--json", "--status", "SUCCEEDED")[1]) == []
    assert json.loads(run(capsys, "jobs", "--json", "--schedule", "other")[1]) == []
    code, out, _ = run(capsys, "jobs")
    assert "FAILED" in out and "manual" in out
    shown = json.loads(run(capsys, "jobs", "show", str(job["id"]), "--json")[1])
    assert shown == listed
    code, out, _ = run(capsys, "jobs", "show", str(job["id"]))
    assert code == 0 and "status         FAILED" in out


def test_one_line_errors(capsys, nb, store):
    from mlops_jupyter.scheduling.schedules import build_schedule

    schedule = store.add_schedule(build_schedule(str(nb), "* * * * *"))
    done = store.create_job(schedule, "manual")
    store.finish_job(done["id"], "SUCCEEDED")
    cases = [
        (["schedule", "add", "train.ipynb", "--cron", "0 0 30 2 *"], ["never fires"]),
        (["schedule", "add", "train.ipynb", "--cron", "every day"], ["invalid cron"]),
        (["schedule", "add", "train.ipynb", "--cron", "* * * * *", "--tz", "Moon/Base"],
         ["unknown time zone"]),
        (["schedule", "add", "nothere.ipynb", "--cron", "* * * * *"], ["no file"]),
        (["schedule", "add", "train.ipynb", "--cron", "* * * * *", "--param", "for=1"],
         ["parameter"]),
        (["schedule", "add", "train.ipynb", "--cron", "* * * * *"], ["already exists"]),
        (["schedule", "add", "train.ipynb", "--cron", "* * * * *", "--missed", "never"],
         ["--missed"]),
        (["schedule", "add", "train.ipynb"], ["--cron"]),
        (["schedule", "pause", "nope"], ["no schedule named 'nope'"]),
        (["schedule", "resume", "nope"], ["no schedule named 'nope'"]),
        (["schedule", "remove", "nope"], ["no schedule named 'nope'"]),
        (["schedule"], ["required"]),
        (["jobs", "--status", "DONE"], ["unknown status"]),
        (["jobs", "show", "999"], ["no job 999"]),
        (["jobs", "show", "x"], ["invalid int"]),
        (["jobs", "cancel", "999"], ["no job 999"]),
        (["jobs", "cancel", str(done["id"])], ["already ended (SUCCEEDED)"]),
        (["scheduler", "--poll-interval", "soon"], ["invalid float"]),
    ]
    for args, words in cases:
        one_line_error(*run(capsys, *args), *words)
    assert [s["name"] for s in store.schedules()] == ["train"]
    assert store.job(done["id"])["status"] == "SUCCEEDED"


def test_a_locked_store_is_one_line_and_exit_1(capsys, nb, store, home):
    import sqlite3

    connection = sqlite3.connect(home / "jobs.db", isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        err = one_line_error(*run(capsys, "schedule", "add", "train.ipynb", "--cron",
                                  "* * * * *"), "locked", expected=1)
        assert "try again" in err
    finally:
        connection.execute("ROLLBACK")
        connection.close()
    assert store.schedules() == []
