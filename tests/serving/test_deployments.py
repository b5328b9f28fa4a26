"""serving.deployments: list, stop and deployed_versions against a real stand-in
endpoint process (tests/server/standin_endpoint.py); start's refusals before and after
the spawn."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys

import pytest

from mlops_jupyter.exceptions import ConflictError, NotFoundError, UsageError
from mlops_jupyter.serving import deployments, endpoints
from tests.server.standin_endpoint import start_standin, stop_standin


@pytest.fixture
def standin(mlops_home):
    process, identifier = start_standin("iris", version="3")
    yield process, identifier
    stop_standin(process)


def test_list_shows_versions_stats_and_swaps(standin):
    _, identifier = standin

    [item] = deployments.list_deployments()

    assert item["id"] == identifier and item["model"] == "iris" and item["running"]
    assert item["versions"]["champion"]["version"] == "3"
    assert item["versions"]["challenger"]["version"] == "2"
    assert item["split"] == 0.2
    assert item["stats"]["all"]["requests"] == 130
    assert item["stats"]["champion"]["errors"] == 1
    assert 0 < item["stats"]["champion"]["p50_ms"] < item["stats"]["champion"]["p99_ms"]
    assert item["swaps"][0]["to_version"] == "3"
    assert item["last_error"] == "model raised: boom"
    assert item["ab"]["verdict"] == "no requests in the window"  # a challenger, no log yet
    assert "token" not in str(item).lower()


def test_deployed_versions_per_role(standin):
    _, identifier = standin

    found = deployments.deployed_versions("iris")

    assert found["3"] == [{"id": identifier, "url": found["3"][0]["url"], "role": "champion",
                           "alias": "champion"}]
    assert found["2"][0]["role"] == "challenger"
    assert deployments.deployed_versions("other") == {}


def test_stop_signals_the_endpoint_and_forgets_it(standin):
    process, identifier = standin

    assert deployments.stop(identifier) == {"id": identifier, "stopped": True}

    assert process.wait(timeout=10) is not None
    assert deployments.list_deployments() == []
    with pytest.raises(NotFoundError):
        deployments.stop(identifier)


def test_stop_of_an_ended_endpoint_forgets_it(standin):
    process, identifier = standin
    process.kill()
    process.wait()

    assert deployments.list_deployments() == []
    assert deployments.stop(identifier) == {"id": identifier, "stopped": False}


def test_stop_refuses_a_process_that_is_not_mlops_serve(mlops_home):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                               start_new_session=True)
    try:
        identifier = endpoints.write_endpoint({"model": "iris", "port": 5999,
                                               "pid": sleeper.pid})
        with pytest.raises(ConflictError):
            deployments.stop(identifier)
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.parametrize("kwargs, message", [
    ({"model": "bad name!"}, "model"),
    ({"model": "iris", "alias": "no way"}, "alias"),
    ({"model": "iris", "split": 0.3}, "challenger"),
    ({"model": "iris", "challenger": "c", "split": 1.5}, "split"),
    ({"model": "iris", "challenger": "c", "shadow": "s", "split": 0.2}, "not both"),
    ({"model": "iris", "port": 80}, "port"),
])
def test_start_refuses_bad_input(mlops_home, kwargs, message):
    with pytest.raises(UsageError, match=message):
        deployments.start(**kwargs)


def test_start_refuses_an_unknown_model_before_spawning(registry_home):
    with pytest.raises(NotFoundError):
        deployments.start("nobody", port=None)
    assert not list((registry_home / "serving").glob("*/endpoint.json"))


@pytest.mark.skipif(importlib.util.find_spec("mlops_jupyter.cli.serving") is None,
                    reason="needs the mlops serve command")
def test_start_reports_why_the_endpoint_refused(registered):
    registered(alias="champion")  # no input example, so no signature: not servable

    with pytest.raises(UsageError, match="no signature"):
        deployments.start("iris")
    assert deployments.list_deployments() == []


def test_start_refuses_a_taken_port(registered):
    registered(alias="champion")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        with pytest.raises(UsageError, match="taken"):
            deployments.start("iris", port=sock.getsockname()[1])


# --- the CLI -----------------------------------------------------------------------------


def test_cli_lists_and_stops(standin, capsys):
    from mlops_jupyter.cli import main

    process, identifier = standin

    assert main(["deployments", "list", "--json"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert item["id"] == identifier and item["versions"]["champion"]["version"] == "3"
    assert main(["deployments", "list"]) == 0
    table = capsys.readouterr().out
    assert identifier in table and "champion=@champion v3" in table
    assert "A/B: 20% of requests to @challenger" in table
    assert "last error: model raised: boom" in table

    assert main(["deployments", "stop", identifier]) == 0
    assert capsys.readouterr().out.strip() == f"stopped {identifier}"
    assert process.wait(timeout=10) is not None
    assert main(["deployments", "list"]) == 0
    assert "no running endpoints" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["deployments", "stop", "nope-1"],
                                  ["deployments", "stop", "../etc"],
                                  ["deployments", "nothing"]])
def test_cli_refuses_in_one_line(mlops_home, capsys, argv):
    from mlops_jupyter.cli import main

    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith("mlops: error: ") and error.count("\n") == 1


@pytest.mark.parametrize("argv", [["deployments", "--help"], ["deployments", "list", "--help"],
                                  ["deployments", "stop", "--help"]])
def test_cli_help(capsys, argv):
    from mlops_jupyter.cli import main

    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0 and "usage: mlops deployments" in capsys.readouterr().out
