"""One place resolves the home directory and the tracking store."""

import os

import pytest

from mlops_jupyter import config
from mlops_jupyter.exceptions import ConfigurationError


def test_embedded_store_lives_in_home(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_JUPYTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert config.tracking_uri() == f"sqlite:///{tmp_path / 'home' / 'mlflow.db'}"
    assert config.is_embedded_store(config.tracking_uri())
    assert config.artifact_root().startswith("file://")


def test_tracking_uri_env_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_JUPYTER_HOME", str(tmp_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert config.tracking_uri() == "http://127.0.0.1:5000"
    assert not config.is_embedded_store(config.tracking_uri())


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_home_is_a_clear_error(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    monkeypatch.setenv("MLOPS_JUPYTER_HOME", str(locked / "home"))
    with pytest.raises(ConfigurationError, match="cannot create the mlops-jupyter home"):
        config.home_dir()


def test_home_that_is_a_file_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("MLOPS_JUPYTER_HOME", str(blocker / "home"))
    with pytest.raises(ConfigurationError, match="cannot create the mlops-jupyter home"):
        config.spool_dir()
