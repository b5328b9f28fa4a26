"""The ``mlops`` command: --help everywhere, one-line errors, JSON output."""

import json
import subprocess
import sys

import pytest


def mlops(*args, env=None):
    return subprocess.run([sys.executable, "-m", "mlops_jupyter.cli", *args], check=False,
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def env(tmp_path, monkeypatch):
    import os

    environment = dict(os.environ, MLOPS_JUPYTER_HOME=str(tmp_path / "home"))
    environment.pop("MLFLOW_TRACKING_URI", None)
    return environment


@pytest.mark.parametrize("args", [["--help"], ["info", "--help"], ["spool", "flush", "--help"],
                                  ["demo", "--help"]])
def test_every_command_has_help(args, env):
    result = mlops(*args, env=env)
    assert result.returncode == 0 and result.stdout.startswith("usage: mlops")


def test_info_json(env, tmp_path):
    result = mlops("info", "--json", env=env)
    data = json.loads(result.stdout)
    assert data["home"] == str(tmp_path / "home")
    assert data["tracking_uri"] == f"sqlite:///{tmp_path / 'home' / 'mlflow.db'}"
    assert data["spooled_events"] == 0


@pytest.mark.parametrize("args, fragment", [
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["spool", "flush", "--timeout", "soon"], "invalid float value: 'soon'"),
    (["demo", "--notebooks", "/nonexistent"], "no 01_track.ipynb in /nonexistent"),
])
def test_bad_input_is_one_line_and_nonzero(args, fragment, env):
    result = mlops(*args, env=env)
    assert result.returncode in (1, 2)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and fragment in result.stderr
    assert result.stderr.startswith("mlops: error: ")


def test_spool_flush_with_nothing_spooled(env):
    result = mlops("spool", "flush", "--json", env=env)
    assert result.returncode == 0
    assert json.loads(result.stdout)["pending"] == 0


def _command_paths(parser, prefix=()):
    """Every command path of ``parser`` (``("models", "gate")``, ...), depth first."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _command_paths(sub, (*prefix, name))


def test_each_domain_module_adds_its_commands_and_every_one_has_help(capsys):
    from mlops_jupyter import cli

    parser = cli.build_parser()
    paths = list(_command_paths(parser))
    tops = {path[0] for path in paths}
    assert {"info", "spool", "pipeline", "schedule", "scheduler", "jobs", "models", "drift",
            "dashboard", "demo"} <= tops
    assert ("models", "gate") in paths and ("jobs", "cancel") in paths
    for path in paths:
        with pytest.raises(SystemExit) as exit_info:
            cli.build_parser().parse_args([*path, "--help"])
        assert exit_info.value.code == 0
        assert capsys.readouterr().out.startswith(f"usage: mlops {' '.join(path)}")
