"""Model sources outside this registry's artifact store are refused before any load."""

from __future__ import annotations

import pytest

from mlops_jupyter import config
from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.registry import safety
from mlops_jupyter.tracking import store

ROOT = "file:///srv/home/artifacts"

HOSTILE = [
    "file:///etc/passwd",
    "/etc/passwd",
    "file:///srv/home/artifacts/../../../etc/passwd",
    "file:///srv/home/artifacts/%2e%2e/%2e%2e/etc",
    "file:///srv/home/artifacts/%2E%2E/secret",
    "file:///srv/home/artifacts/%252e%252e/secret",
    "file:///srv/home/artifacts/x#/../../etc",
    "file:///srv/home/artifacts/x%23frag",
    "file:///srv/home/artifacts/x;params",
    "file:///srv/home/artifacts/x%3bparams",
    "file:///srv/home/artifacts\\..\\..\\etc",
    "file:///srv/home/artifacts/x%5c..%5cetc",
    "file:///srv/home/artifacts/x?query=1",
    "file:///srv/home/artifacts/x%00.pkl",
    "file:///srv/home/artifacts/x\n",
    "file:///srv/home/artifacts-evil/model",
    "file://attacker.example/srv/home/artifacts/model",
    "http://attacker.example/model.pkl",
    "s3://bucket/model",
    "models:/other/1",
    "runs:/abc/../../x",
    "",
]


@pytest.mark.parametrize("uri", HOSTILE)
def test_hostile_sources_are_refused(uri):
    with pytest.raises(UsageError, match="refused model source"):
        safety.check_location(uri, [ROOT])


@pytest.mark.parametrize("uri", ["file:///srv/home/artifacts/c/models/m-1/artifacts",
                                 "/srv/home/artifacts/c/x"])
def test_own_artifacts_are_accepted(uri):
    assert safety.check_location(uri, [ROOT]) == uri


def test_symlink_out_of_the_root_is_refused(tmp_path):
    root = tmp_path / "artifacts"
    root.mkdir()
    (root / "link").symlink_to("/etc")
    with pytest.raises(UsageError, match="outside"):
        safety.check_location((root / "link" / "passwd").as_uri(), [root.as_uri()])


def test_registered_version_is_safe_and_a_planted_one_is_not(registered, tmp_path):
    result = registered("iris")
    assert safety.safe_model_uri("iris", 1) == "models:/iris/1"
    # A version whose source points outside the store (registered by hand).
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    client = store.client()
    client.create_model_version("iris", source=outside.as_uri(), run_id=result["run_id"])
    with pytest.raises(UsageError, match="outside this registry's artifact store"):
        safety.safe_model_uri("iris", 2)
    with pytest.raises(UsageError, match="refused"):
        safety.load_pyfunc("models:/iris/2")
    with pytest.raises(UsageError, match="expected a model URI"):
        safety.load_pyfunc("models:/iris@champion")
    assert safety.allowed_roots() == [config.artifact_root()]


def test_gate_refuses_to_evaluate_a_planted_version(registered, tmp_path):
    from mlops_jupyter.registry import promote

    result = registered("iris")
    promote("iris", 1, thresholds=[])
    store.client().create_model_version("iris", source="file:///etc", run_id=result["run_id"])
    loaded = []
    with pytest.raises(UsageError, match="refused model source"):
        promote("iris", 2, thresholds=[], evaluate=lambda uri: loaded.append(uri) or 1.0)
    assert loaded == []
    assert str(store.client().get_model_version_by_alias("iris", "champion").version) == "1"
