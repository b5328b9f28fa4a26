"""The registry never switches stores and never unpickles a foreign model.

Every test here runs with ``MLFLOW_TRACKING_URI`` set to a SQLite store that is not
the embedded default (the ``mlops_home`` fixture), the normal team setup.

* Gate scoring and ``load_model`` leave ``MLFLOW_TRACKING_URI``, MLflow's own
  tracking URI and our client's store exactly as they were.
* A REAL malicious pickle registered as a version of our model, through an
  experiment whose artifact location is a folder of the attacker's choosing
  (``runs:/`` and ``models:/m-…`` sources), is never loaded by the gate preview,
  gate scoring, promote, ``mlops_jupyter.load_model`` or the CLI: its marker file
  never appears and the user gets one clear error.
* Scoring a trusted version runs in a process other than the caller's, and is
  stopped after the configured timeout.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import mlops_jupyter
from mlops_jupyter import config
from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.registry import evaluate_gate, promote, register_model
from mlops_jupyter.registry.policy import declare_policy, parse_policy
from mlops_jupyter.tracking import store

from .malicious import plant_foreign_versions, register_from_run, write_model


@pytest.fixture
def iris_eval(tmp_path, iris):
    features, target = iris
    path = tmp_path / "iris-eval.csv"
    features.assign(target=target).to_csv(path, index=False)
    return path


@pytest.fixture
def champion(registry_home, make_run, iris_model, iris_eval):
    """``iris`` v1 (a real model, champion) with a gate scored on ``iris_eval``."""
    declare_policy("iris", parse_policy({
        "metric": "accuracy", "evaluation": {"data": str(iris_eval), "target": "target"}}))
    register_model(iris_model, "iris", run_id=make_run(metrics={"accuracy": 0.9}))
    assert promote("iris", 1)["promoted"]
    return "iris"


def _global_state():
    import mlflow

    return (os.environ.get(config.TRACKING_URI_ENV), mlflow.get_tracking_uri(),
            config.tracking_uri(), store.client()._tracking_client.tracking_uri)


def test_the_suite_runs_against_a_non_default_store(mlops_home):
    assert os.environ[config.TRACKING_URI_ENV] != config.default_tracking_uri()
    assert not config.is_embedded_store(config.tracking_uri())


def test_gate_scoring_and_load_model_leave_the_tracking_uri_untouched(
        champion, make_run, iris_model, iris):
    before = _global_state()
    assert before[0] == before[1] == before[2] == before[3]
    register_model(iris_model, "iris", run_id=make_run(metrics={"accuracy": 0.99}))
    verdict = evaluate_gate("iris", 2, score=True)
    assert verdict["scores"]["source"] == "evaluation" and verdict["passed"]
    assert _global_state() == before
    result = promote("iris", 2)
    assert result["promoted"] and result["verdict"]["scores"]["source"] == "evaluation"
    assert _global_state() == before
    model = mlops_jupyter.load_model("models:/iris@champion")
    features, _ = iris
    assert (model.predict(features) == iris_model.predict(features)).all()
    assert _global_state() == before
    # the same client still sees the model: nothing fell back to another store
    assert store.client().get_registered_model("iris").aliases["champion"] == 2


def test_a_preview_never_loads_a_model(champion, make_run, tmp_path):
    """A preview judges on run metrics, even with an evaluation dataset declared."""
    marker = tmp_path / "marker"
    client = store.client()
    experiment_id = store.get_or_create_experiment("training")  # inside the root
    version = register_from_run(client, "iris", experiment_id,
                                write_model(tmp_path / "trusted", marker))
    client.log_metric(client.get_model_version("iris", version).run_id, "accuracy", 0.95)
    verdict = evaluate_gate("iris", version)
    assert verdict["scores"]["source"] == "run metrics" and verdict["scorable"] is True
    assert not marker.exists()


@pytest.fixture
def attacker(champion, tmp_path):
    """Two malicious versions of ``iris`` from an experiment whose artifacts live
    where the attacker chose."""
    return plant_foreign_versions(tmp_path)


def test_a_foreign_pickle_is_never_loaded(attacker):
    versions, marker = attacker
    for version in versions:
        preview = evaluate_gate("iris", version)  # read-only: run metrics, no load
        assert preview["scores"]["source"] == "run metrics"
        with pytest.raises(UsageError, match="outside this registry's artifact store"):
            evaluate_gate("iris", version, score=True)
        with pytest.raises(UsageError, match="outside this registry's artifact store"):
            promote("iris", version)
        with pytest.raises(UsageError, match="outside this registry's artifact store"):
            mlops_jupyter.load_model(f"models:/iris/{version}")
        assert not marker.exists()
    assert store.client().get_registered_model("iris").aliases["champion"] == 1


def test_a_symlink_into_the_root_does_not_vouch_for_foreign_files(champion, tmp_path):
    """A model folder inside the root whose model.pkl is a symlink to a file elsewhere."""
    marker = tmp_path / "pwned"
    model_dir = write_model(tmp_path / "evil-model", marker)
    client = store.client()
    experiment_id = store.get_or_create_experiment("training")
    version = register_from_run(client, "iris", experiment_id, model_dir)
    run_id = client.get_model_version("iris", version).run_id
    local = config.artifact_root()[len("file://"):]
    (pkl,) = [p for p in __import__("pathlib").Path(local).rglob("model.pkl")
              if run_id in str(p)]
    pkl.unlink()
    pkl.symlink_to(model_dir / "model.pkl")
    with pytest.raises(UsageError, match="leads outside this registry's artifact store"):
        mlops_jupyter.load_model(f"models:/iris/{version}")
    with pytest.raises(UsageError, match="outside this registry's artifact store"):
        evaluate_gate("iris", version, score=True)
    assert not marker.exists()


def test_the_cli_preview_loads_nothing_and_scoring_is_one_line(attacker, registry_home):
    versions, marker = attacker
    for version in versions:
        preview = _mlops("models", "gate", "iris", "--version", version)
        assert preview.returncode in (0, 1), preview.stderr
        scored = _mlops("models", "gate", "iris", "--version", version, "--score")
        assert scored.returncode == 2 and scored.stderr.count("\n") == 1
        assert "outside this registry's artifact store" in scored.stderr
        promoted = _mlops("models", "promote", "iris", version)
        assert promoted.returncode == 2 and promoted.stderr.count("\n") == 1
        assert not marker.exists()


def test_even_a_pickle_inside_the_root_is_refused_before_it_is_loaded(champion, tmp_path):
    """Files in our own root are still checked for what they may build: a pickled
    model is refused by the scoring process before anything is unpickled."""
    marker = tmp_path / "loaded-by"
    client = store.client()
    experiment_id = store.get_or_create_experiment("training")
    version = register_from_run(client, "iris", experiment_id,
                                write_model(tmp_path / "recorder", marker))
    with pytest.raises(UsageError) as caught:
        evaluate_gate("iris", version, score=True)
    assert "\n" not in caught.value.message and "pickle" in caught.value.message
    assert not marker.exists()


def test_scoring_runs_in_another_process_with_a_timeout(champion, iris_model, make_run,
                                                       monkeypatch):
    """Both versions are scored by a child process (seen in /proc while it works), which
    is stopped, with its whole group, once the configured timeout passes."""
    candidate = register_model(iris_model, "iris",
                               run_id=make_run(metrics={"accuracy": 0.9}))["version"]
    verdict, children = _watching_scoring_children(
        lambda: evaluate_gate("iris", candidate, score=True))
    assert verdict["scores"]["source"] == "evaluation"
    assert verdict["scores"]["candidate"] == verdict["scores"]["holder"]  # the same model
    assert children and os.getpid() not in children
    assert not any(_alive(pid) for pid in children)

    # Importing MLflow alone takes longer than this: the child is always stopped.
    # (A new version: scores of known versions are memoized and need no child.)
    another = register_model(iris_model, "iris",
                             run_id=make_run(metrics={"accuracy": 0.9}))["version"]
    monkeypatch.setenv(config.SCORING_TIMEOUT_ENV, "0.2")
    with pytest.raises(UsageError, match="took longer than 0.2 s and was stopped"):
        _watching_scoring_children(lambda: evaluate_gate("iris", another, score=True))
    assert not any(_alive(pid) for pid in _scoring_children())


def _scoring_children() -> set[int]:
    found = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                    if b"mlops_jupyter.registry.scoring" in cmdline.read():
                        found.add(int(entry.name))
            except OSError:
                continue
    return found


def _watching_scoring_children(call):
    """``(call(), pids of scoring processes seen while it ran)``."""
    from concurrent.futures import ThreadPoolExecutor, wait

    seen: set[int] = set()
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(call)
        while not future.done():
            seen |= _scoring_children()
            wait([future], timeout=0.02)
        return future.result(), seen


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _mlops(*args):
    # The environment (MLFLOW_TRACKING_URI, MLOPS_JUPYTER_HOME) is the test's.
    return subprocess.run([sys.executable, "-m", "mlops_jupyter.cli", *args],
                          capture_output=True, text=True, timeout=180, check=False)
