"""Bad input to schedules, no kernels: cron strings, zones, targets, parameters, names.

Every refusal is one clear line (UsageError / NotFoundError) and writes nothing.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from mlops_jupyter.exceptions import NotFoundError, UsageError
from mlops_jupyter.scheduling import cron
from mlops_jupyter.scheduling.schedules import build_schedule
from tests.pipelines.helpers import write_notebook, write_project

PARIS = ZoneInfo("Europe/Paris")
UTC = timezone.utc


# ----------------------------------------------------------------------- cron
@pytest.mark.parametrize("expression", [
    "", "* * *", "* * * *", "* * * * * * *", "61 * * * *", "* 25 * * *", "* * 0 * *",
    "* * * 13 *", "a b c d e", "@daily", "*/0 * * * *", "* * * * * 61", None, 5,
])
def test_invalid_cron_expressions_are_refused(expression):
    with pytest.raises(UsageError) as info:
        cron.validate(expression)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("expression", "message"), [
    ("61 * * * *", "minute 61 is out of range 0–59"),
    ("0,15,60 * * * *", "minute 60 is out of range 0–59"),
    ("0-61/5 * * * *", "minute 61 is out of range 0–59"),
    ("0 24 * * *", "hour 24 is out of range 0–23"),
    ("0 0 0 * *", "day of month 0 is out of range 1–31"),
    ("0 0 32 * *", "day of month 32 is out of range 1–31"),
    ("0 0 1 13 *", "month 13 is out of range 1–12"),
    ("0 0 * * 8", "day of week 8 is out of range 0–7"),
    ("* * * * * 60", "second 60 is out of range 0–59"),
    ("*/0 * * * *", "minute step /0 is not allowed"),
    ("1 2 3 4 5 6 7", "expected 5 fields .* got 7"),
    ("@yearly", r"instead of the shortcut \(@yearly is '0 0 1 1 \*'\)"),
    ("@often", "write the fields 'minute hour day month weekday'"),
])
def test_cron_refusals_name_the_field_and_its_range(expression, message):
    with pytest.raises(UsageError, match=message) as info:
        cron.validate(expression)
    assert "\n" not in str(info.value)


def test_weekday_seven_is_sunday_and_names_pass():
    assert cron.validate("0 6 * * 7") == "0 6 * * 7"
    assert cron.validate("0 6 * jan mon-fri") == "0 6 * jan mon-fri"


@pytest.mark.parametrize("expression", ["0 0 30 2 *", "0 0 31 4 *", "0 12 31 11 *"])
def test_impossible_dates_never_fire_and_are_refused(expression):
    with pytest.raises(UsageError, match="never fires"):
        cron.validate(expression)


def test_valid_expressions_are_normalised():
    assert cron.validate("  */5   * * * * ") == "*/5 * * * *"
    assert cron.validate("0 0 29 2 *") == "0 0 29 2 *"  # leap years exist
    assert cron.validate("* * * * * */2") == "* * * * * */2"


def test_six_fields_are_seconds():
    after = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
    times = cron.next_times("* * * * * */2", "UTC", 3, after=after)
    assert [t.second for t in times] == [2, 4, 6]


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "utc ", "../../etc/passwd",
                                  "Europe/../Europe/Paris", "a\0b", None])
def test_unknown_zones_are_refused(name):
    with pytest.raises(UsageError, match="unknown time zone"):
        cron.zone(name)
    with pytest.raises(UsageError):
        cron.next_times("0 9 * * *", name, 1)


def test_next_times_follow_paris_daylight_saving():
    # 09:00 Paris is 08:00 UTC in winter and 07:00 UTC in summer (change 2026-03-29).
    spring = cron.next_times("0 9 * * *", "Europe/Paris", 3,
                             after=datetime(2026, 3, 27, 12, tzinfo=UTC))
    assert spring == [datetime(2026, 3, 28, 8, tzinfo=UTC), datetime(2026, 3, 29, 7, tzinfo=UTC),
                      datetime(2026, 3, 30, 7, tzinfo=UTC)]
    assert all(t.astimezone(PARIS).hour == 9 for t in spring)
    autumn = cron.next_times("0 9 * * *", "Europe/Paris", 2,
                             after=datetime(2026, 10, 24, 12, tzinfo=UTC))
    assert autumn == [datetime(2026, 10, 25, 8, tzinfo=UTC), datetime(2026, 10, 26, 8, tzinfo=UTC)]


def test_a_daily_job_in_the_repeated_autumn_hour_fires_once():
    # 02:30 happens twice in Paris on 2026-10-25; a daily job runs once that day.
    ticks = cron.ticks_between("30 2 * * *", "Europe/Paris", datetime(2026, 10, 23, tzinfo=UTC),
                               datetime(2026, 10, 27, tzinfo=UTC))
    local_days = [t.astimezone(PARIS).date().isoformat() for t in ticks]
    assert local_days == ["2026-10-23", "2026-10-24", "2026-10-25", "2026-10-26"]
    assert all(t.astimezone(PARIS).strftime("%H:%M") == "02:30" for t in ticks)


def test_an_hourly_job_keeps_real_hours_across_both_changes():
    autumn = cron.ticks_between("0 * * * *", "Europe/Paris", datetime(2026, 10, 24, 23, 30,
                                tzinfo=UTC), datetime(2026, 10, 25, 3, 30, tzinfo=UTC))
    assert autumn == [datetime(2026, 10, 25, h, tzinfo=UTC) for h in range(4)]
    spring = cron.ticks_between("0 * * * *", "Europe/Paris", datetime(2026, 3, 28, 23, 30,
                                tzinfo=UTC), datetime(2026, 3, 29, 3, 30, tzinfo=UTC))
    assert spring == [datetime(2026, 3, 29, h, tzinfo=UTC) for h in range(4)]


def test_a_time_skipped_in_spring_fires_once_after_the_gap():
    ticks = cron.ticks_between("30 2 * * *", "Europe/Paris", datetime(2026, 3, 27, tzinfo=UTC),
                               datetime(2026, 3, 31, tzinfo=UTC))
    assert len(ticks) == 4
    assert len({t.astimezone(PARIS).date() for t in ticks}) == 4


@pytest.mark.parametrize("expression", [
    ",".join(["0"] * 100_000) + " 2 * * *",            # 100 000 comma items
    ",".join(str(i % 60) for i in range(61)) + " * * * *",  # 61 items in one field
    "1" * 5_000_000,                                    # 5 MB
    "0 2 * * " + "1" * 300,
])
def test_oversized_cron_expressions_are_refused_with_a_short_message(expression):
    with pytest.raises(UsageError) as info:
        cron.validate(expression)
    assert len(str(info.value)) < 200 and "\n" not in str(info.value)


def test_a_full_minute_list_is_still_accepted():
    listed = ",".join(str(i) for i in range(60)) + " * * * *"
    assert cron.validate(listed) == listed


def test_an_oversized_zone_is_refused_with_a_short_message():
    with pytest.raises(UsageError) as info:
        cron.zone("Z" * 5_000_000)
    assert len(str(info.value)) < 200


# ------------------------------------------------------------- build_schedule
@pytest.fixture
def project(tmp_path):
    root = tmp_path / "root"
    write_notebook(root / "nb.ipynb", "alpha = 1\nname = 'x'", ["print(alpha)"])
    write_project(root / "pipe", """
        name: pipe
        steps:
          - name: prep
            notebook: prep.ipynb
            parameters: {rows: 10}
    """, {"prep.ipynb": ("rows = 1", ["print(rows)"])})
    (root / "notes.txt").write_text("not a target")
    write_notebook(tmp_path / "outside.ipynb", None, ["1"])
    return root


def test_build_schedule_of_a_notebook(project):
    fields = build_schedule("nb.ipynb", "*/5 * * * *", tz="Europe/Paris",
                            params=["alpha=3", "name=hello", "ratio=0.5"], root=project)
    assert fields == {"name": "nb", "target_type": "notebook",
                      "target": str(project / "nb.ipynb"),
                      "parameters": {"alpha": 3, "name": "hello", "ratio": 0.5},
                      "cron": "*/5 * * * *", "timezone": "Europe/Paris", "missed": "skip",
                      "enabled": True}


def test_build_schedule_of_a_pipeline_validates_step_overrides(project):
    fields = build_schedule("pipe/pipeline.yaml", "0 2 * * *", params={"prep.rows": 5},
                            missed="catch_up_once", name="nightly", root=project)
    assert fields["target_type"] == "pipeline" and fields["parameters"] == {"prep.rows": 5}
    assert fields["missed"] == "catch_up_once" and fields["name"] == "nightly"
    for bad in (["rows=5"], ["nosuch.rows=5"], ["prep.class=1"], ["prep.1x=1"],
                ["prep.rows=NaN"]):
        with pytest.raises(UsageError):
            build_schedule("pipe/pipeline.yaml", "0 2 * * *", params=bad, root=project)


@pytest.mark.parametrize(("target", "error", "words"), [
    ("../outside.ipynb", UsageError, "inside the server root"),
    ("/etc/passwd", UsageError, "inside the server root"),
    ("nb/../../outside.ipynb", UsageError, "inside the server root"),
    ("missing.ipynb", NotFoundError, "no file"),
    ("notes.txt", UsageError, "neither a pipeline file"),
    ("", UsageError, "target"),
])
def test_bad_targets_are_refused(project, target, error, words):
    with pytest.raises(error, match=words):
        build_schedule(target, "* * * * *", root=project)


def test_without_a_root_targets_are_relative_to_the_working_directory(project, monkeypatch):
    monkeypatch.chdir(project)
    assert build_schedule("nb.ipynb", "* * * * *")["target"] == str(project / "nb.ipynb")
    with pytest.raises(NotFoundError):
        build_schedule("missing.ipynb", "* * * * *")


@pytest.mark.parametrize("param", ["class=1", "1x=2", "a-b=3", "x", "=4", "x y=1",
                                   "x=NaN", "x=Infinity", "__import__('os')=1"])
def test_notebook_parameter_names_must_be_identifiers(project, param):
    with pytest.raises(UsageError):
        build_schedule("nb.ipynb", "* * * * *", params=[param], root=project)


@pytest.mark.parametrize(("target", "params"), [
    ("nb.ipynb", {"x=1\nimport os": 1}),
    ("nb.ipynb", {"alpha=1\nimport os": 1}),
    ("nb.ipynb", {"1x": 1}),
    ("pipe/pipeline.yaml", {"prep.rows=1\nimport os": 1}),
    ("pipe/pipeline.yaml", {"rows=5": 1}),
])
def test_mapping_parameter_keys_are_never_re_split_at_equals(project, target, params):
    with pytest.raises(UsageError):
        build_schedule(target, "* * * * *", params=params, root=project)


def test_mapping_parameter_values_are_kept_as_given(project):
    fields = build_schedule("nb.ipynb", "* * * * *", root=project,
                            params={"alpha": "3", "name": "a=b"})
    assert fields["parameters"] == {"alpha": "3", "name": "a=b"}


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"name": "bad name"}, "schedule name"), ({"name": "../x"}, "schedule name"),
    ({"name": "x" * 101}, "schedule name"), ({"missed": "always"}, "missed-run policy"),
    ({"tz": "Nowhere/City"}, "unknown time zone"), ({"enabled": "yes"}, "enabled"),
    ({"expression": "0 0 30 2 *"}, "never fires"), ({"expression": "* *"}, "invalid cron"),
])
def test_other_bad_fields(project, kwargs, words):
    arguments = {"expression": "* * * * *", **kwargs}
    with pytest.raises(UsageError, match=words):
        build_schedule("nb.ipynb", root=project, **arguments)


def test_duplicate_names_are_refused_and_nothing_is_written(project, store):
    first = store.add_schedule(build_schedule("nb.ipynb", "* * * * *", root=project))
    before = store.schedules()
    with pytest.raises(UsageError, match="already exists"):
        store.add_schedule(build_schedule("pipe/pipeline.yaml", "0 * * * *", name="nb",
                                          root=project))
    assert store.schedules() == before == [first]
    assert store.jobs() == []


def test_a_refused_schedule_writes_nothing_through_the_cli(project, home, capsys,
                                                           monkeypatch):
    from mlops_jupyter.cli import main

    monkeypatch.chdir(project)
    for args in (["nb.ipynb", "--cron", "0 0 30 2 *"], ["nb.ipynb", "--cron", "* * * * *",
                 "--tz", "Mars/Base"], ["nb.ipynb", "--cron", "* * * * *", "--param",
                 "class=1"], ["missing.ipynb", "--cron", "* * * * *"],
                 ["pipe/pipeline.yaml", "--cron", "* * * * *", "--param", "zzz.rows=1"]):
        assert main(["schedule", "add", *args]) == 2
        err = capsys.readouterr().err
        assert err.startswith("mlops: error: ") and err.count("\n") == 1, err
    from mlops_jupyter.scheduling.store import JobStore

    job_store = JobStore()
    try:
        assert job_store.schedules() == [] and job_store.jobs() == []
    finally:
        job_store.close()
