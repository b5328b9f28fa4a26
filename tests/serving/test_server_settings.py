"""``mlops serve`` settings and argument checks (no server started)."""

from __future__ import annotations

import json

import pytest

from mlops_jupyter.cli import serving as cli
from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.serving import protocol
from mlops_jupyter.serving.settings import SETTINGS_ENV, Settings, from_env


def test_settings_travel_without_the_token():
    settings = Settings(model="m", challenger="c", split=0.2, port=5005).check()
    text = settings.to_env()
    assert "token" not in text.lower()
    assert from_env({SETTINGS_ENV: text}) == settings
    assert settings.roles() == {"champion": "champion", "challenger": "c"}


@pytest.mark.parametrize("changes,word", [
    ({"challenger": "c", "shadow": "s"}, "mutually exclusive"),
    ({"challenger": "c", "split": 1.0}, "--split"),
    ({"split": 0.3}, "--split"),
    ({"port": 0}, "--port"),
    ({"workers": 0}, "--workers"),
    ({"max_wait_ms": -1.0}, "--max-wait-ms"),
    ({"shadow": "champion"}, "differ"),
])
def test_bad_settings(changes, word):
    with pytest.raises(UsageError, match=word):
        Settings(model="m", **changes).check()


def test_settings_env_missing_or_bad():
    with pytest.raises(UsageError):
        from_env({})
    with pytest.raises(UsageError):
        from_env({SETTINGS_ENV: json.dumps({"model": "m", "port": "x"})})


@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("::1", True),
                                           ("localhost", True), ("0.0.0.0", False),
                                           ("10.1.2.3", False), ("example.org", False)])
def test_loopback(host, loopback):
    assert cli._loopback(host) is loopback


def test_model_reference():
    assert cli._model_and_alias("m") == ("m", "champion")
    assert cli._model_and_alias("m@blue") == ("m", "blue")
    with pytest.raises(UsageError, match="alias"):
        cli._model_and_alias("m/3")


def test_error_text_is_short():
    assert len(protocol.short("x" * 10_000)) == protocol.ECHO_CHARS
    with pytest.raises(protocol.BadInput, match="column 'a': expected long, got 1.5"):
        protocol.enforce({"a": [1.5]}, [("a", "long", True)])
    with pytest.raises(protocol.BadInput, match="expected boolean"):
        protocol.enforce({"a": [1]}, [("a", "boolean", True)])
    out = protocol.enforce({"a": [1, None], "b": ["x", "y"], "extra": [0, 0]},
                           [("a", "double", True), ("b", "string", True)])
    assert list(out.arrays) == ["a", "b"] and out.rows == 2
