"""Every name rule (mlops_jupyter/names.py): bounds, fullmatch, the messages users see."""

from __future__ import annotations

import pytest

from mlops_jupyter import names
from mlops_jupyter.exceptions import UsageError


@pytest.mark.parametrize("check,good,bad", [
    (names.check_model_name, ["iris", "a", "A.b_c-1", "x" * 128],
     ["", "-iris", ".x", "x" * 129, "a b", "a/b", "a@b", "iris\n", None, 3]),
    (names.check_alias, ["champion", "_x", "a-1", "x" * 64, "latest2", "vx"],
     ["", "1a", "-a", "x" * 65, "a.b", "champion\n", None]),
    (names.check_schedule_name, ["nightly", "a.b-c_d", "x" * 100],
     ["", ".x", "x" * 101, "a/b", "a b", "n\n", None]),
    (names.check_tracked_key, ["loss", "val/loss 2", "a.b-c", "x" * 250],
     ["", "x" * 251, "a:b", "a\nb", "loss\n", None]),
    (lambda v: names.check_run_id(v, "--run-id"), ["run-1", "a_b", "x" * 64],
     ["", "-a", "x" * 65, "a.b", "a/b", "run-1\n", 5]),
])
def test_names_fullmatch_with_a_length_bound(check, good, bad):
    for value in good:
        assert check(value) == value
    for value in bad:
        with pytest.raises(UsageError):
            check(value)


@pytest.mark.parametrize("alias", ["latest", "LATEST", "v1", "V23"])
def test_reserved_aliases(alias):
    with pytest.raises(UsageError, match="is reserved by MLflow"):
        names.check_alias(alias)


def test_step_names_are_schedule_names():
    assert names.is_step_name("prepare.v2") and names.is_step_name("x" * 100)
    assert not names.is_step_name("x" * 101) and not names.is_step_name(None)
    assert names.SCHEDULE_NAME is names.STEP_NAME


@pytest.mark.parametrize("value,expected", [("1", "1"), (7, "7"), (" 007 ", "7"),
                                            (str(2**63 - 1), str(2**63 - 1))])
def test_versions(value, expected):
    assert names.check_version(value) == expected


@pytest.mark.parametrize("value", [0, "0", "-1", True, "1.5", str(2**63), "x", "١"])
def test_bad_versions(value):
    with pytest.raises(UsageError, match="expected a positive number"):
        names.check_version(value)


def test_experiment_names():
    assert names.check_experiment_name("  exp  ") == "exp"
    for bad, message in [("", "non-empty"), ("x" * 501, "MLflow allows 500"),
                         ("a\nb", "control characters")]:
        with pytest.raises(UsageError, match=message):
            names.check_experiment_name(bad)


def test_messages_are_one_line_and_cut():
    with pytest.raises(UsageError) as error:
        names.check_model_name("x" * 1000)
    assert "\n" not in str(error.value) and len(str(error.value)) < 200
    with pytest.raises(UsageError, match=r"^schedule name 'a b': use letters"):
        names.check_schedule_name("a b")


@pytest.mark.parametrize("name, ok", [
    ("alpha", True), ("n_estimators", True), ("_x2", True), ("é", True),
    ("", False), ("class", False), ("2x", False), ("a-b", False), ("a b", False),
    ("x" * 255, True), ("x" * 256, False), (None, False), (3, False),
])
def test_parameter_names_are_identifiers_papermill_can_assign(name, ok):
    assert names.is_parameter_name(name) is ok


@pytest.mark.parametrize("name, ok", [
    ("iris-drift.ipynb", True), ("a.ipynb", True),
    ("../x.ipynb", False), ("a/b.ipynb", False), (".hidden.ipynb", False),
    ("x.py", False), ("x.ipynb.html", False), ("x" * 251 + ".ipynb", True),
    ("x" * 252 + ".ipynb", False), ("", False), (None, False),
])
def test_dashboard_files_are_one_name_in_the_dashboards_folder(name, ok):
    assert names.is_dashboard_file(name) is ok


@pytest.mark.parametrize(("text", "expected"), [
    ("0", True), ("42", True), ("\u00b9\u00b9", False), ("\u0661", False), ("", False),
    ("-1", False), (" 1", False), (None, False), (12, False)])
def test_is_decimal_means_int_accepts_it(text, expected):
    assert names.is_decimal(text) is expected
    if expected:
        int(text)
