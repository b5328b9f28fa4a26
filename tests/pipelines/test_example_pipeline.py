"""The example pipeline end to end: on a real Dask LocalCluster (two worker processes)
and locally, then its registered model — gate, lineage, and the drift loop."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from mlops_jupyter.exceptions import UsageError
from tests.magics.helpers import REPO_ROOT, free_port
from tests.pipelines.helpers import cli, isolated_home, run, statuses, write_project

EXAMPLE = REPO_ROOT / "example_notebooks" / "pipeline"
STEPS = ["prepare", "train_logreg", "train_forest", "train_mlp", "evaluate", "register",
         "score"]
GENERATED = ("data", "models", "reports", "predictions", ".mlops", "mlops-runs",
             "mlops-jobs")


def copy_example(target):
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(*GENERATED))
    return target / "pipeline.yaml"


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address="127.0.0.1:0")
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory):
    """The example run on the cluster and locally, in separate copies; and the home."""
    base = tmp_path_factory.mktemp("dask")
    dask_file = copy_example(base / "on-dask")
    local_file = copy_example(base / "local")
    git_commit(local_file.parent)
    home = base / "home"
    with isolated_home(home):
        on_dask = run(dask_file, executor="dask", scheduler=cluster.scheduler_address)
        local = run(local_file)
    return on_dask, local, home


def test_example_runs_on_dask(runs):
    on_dask, _, _ = runs
    assert statuses(on_dask) == dict.fromkeys(STEPS, "FINISHED"), {
        n: s.error for n, s in on_dask.steps.items()}
    assert on_dask.to_dict()["executor"] == "dask"
    for name in STEPS:
        assert (on_dask.run_dir / f"{name}.ipynb").is_file()


def git_commit(folder) -> str:
    def git(*args):
        return subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "example")
    return git("rev-parse", "HEAD")


def test_dask_and_local_results_are_identical(runs):
    on_dask, local, _ = runs
    assert statuses(local) == dict.fromkeys(STEPS, "FINISHED")
    report = json.loads((on_dask.spec.root / "reports" / "evaluation.json").read_text())
    assert report == json.loads((local.spec.root / "reports" / "evaluation.json").read_text())
    for name in STEPS:
        if name != "register":  # its note names the version number, 1 then 2
            assert on_dask.steps[name].output_hashes == local.steps[name].output_hashes, name


def test_example_registers_promotes_through_its_gate_and_scores(runs):
    on_dask, local, home = runs
    first = json.loads((on_dask.spec.root / "reports" / "registered.json").read_text())
    second = json.loads((local.spec.root / "reports" / "registered.json").read_text())
    assert (first["version"], second["version"]) == ("1", "2")
    assert first["promoted"] and second["promoted"], (first, second)
    predictions = (local.spec.root / "predictions" / "scores.csv").read_text().splitlines()
    test_rows = (local.spec.root / "data" / "test.csv").read_text().splitlines()
    assert predictions[0] == "row,prediction" and len(predictions) == len(test_rows)
    with isolated_home(home):
        from mlops_jupyter.registry import alias_history
        from mlops_jupyter.registry.policy import declared_policy

        policy = declared_policy("breast-cancer")
        assert policy.thresholds == ["accuracy >= 0.9", "roc_auc >= 0.95"]
        assert policy.evaluation.target == "target"
        history = alias_history("breast-cancer", "champion")
    promoted = [entry for entry in history if entry["action"] == "set"]
    assert [entry["to_version"] for entry in promoted] == ["1", "2"]
    # v2 was scored against v1 on the declared evaluation dataset (same model: a tie)
    scores = promoted[1]["gate"]["scores"]
    assert scores["source"] == "evaluation" and scores["candidate"] == scores["holder"] > 0.9


def test_lineage_of_the_example_champion_reaches_data_steps_and_git(runs):
    _, local, home = runs
    result = cli("models", "lineage", "breast-cancer@champion", "--json", home=home)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["model"]["version"] == "2" and "champion" in info["model"]["aliases"]
    assert info["pipeline"]["step"] == "register"
    assert info["pipeline"]["run_id"] == local.run_id
    assert info["pipeline"]["output_notebook"].endswith("register.ipynb")
    assert info["run"]["metrics"]["accuracy"] > 0.9
    upstream = {item["step"]: item for item in info["upstream"]}
    assert set(upstream) == {"prepare", "train_logreg", "train_forest", "train_mlp", "evaluate"}
    assert upstream["evaluate"]["needs"] and "train_mlp" in upstream["evaluate"]["needs"]
    prepared = local.steps["prepare"].output_hashes
    assert info["data"]["prepare.train"] == prepared["train"]
    assert info["data"]["train_logreg.model"] == local.steps["train_logreg"].output_hashes["model"]
    assert info["git"]["commit"] == git_commit_of(local.spec.root)
    tree = cli("models", "lineage", "breast-cancer@champion", home=home).stdout
    assert "upstream step evaluate" in tree and "prepare.train" in tree


def git_commit_of(folder) -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_second_dask_run_through_the_cli_is_fully_cached(runs, cluster):
    on_dask, _, home = runs
    result = cli("pipeline", "run", str(on_dask.spec.path), "--executor", "dask",
                 "--dask-scheduler", cluster.scheduler_address, "--json", home=home)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["executor"] == "dask" and data["status"] == "FINISHED"
    assert {s["name"]: s["status"] for s in data["steps"]} == dict.fromkeys(STEPS, "CACHED")


def test_unreachable_scheduler_is_a_clear_usage_error(tmp_path, home):
    file = write_project(tmp_path / "project", """
        name: tiny
        steps:
          - {name: only, notebook: only.ipynb}
    """, {"only.ipynb": (None, ["print('never runs')"])})
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(UsageError) as caught:
        run(file, executor="dask", scheduler=address)
    assert address in str(caught.value)
    assert "\n" not in str(caught.value)


def test_dask_without_a_scheduler_starts_and_stops_a_local_cluster(tmp_path, home):
    file = write_project(tmp_path / "project", """
        name: tiny
        steps:
          - {name: only, notebook: only.ipynb, outputs: {out: out.txt}}
    """, {"only.ipynb": (None, ["open('out.txt', 'w').write('done')"])})
    result = run(file, executor="dask", max_parallel=1)
    assert statuses(result) == {"only": "FINISHED"}
    assert (tmp_path / "project" / "out.txt").read_text() == "done"


MONITOR = """
monitor:
  model: breast-cancer@champion
  current: data/current.csv
  rules:
    - {name: data-drift, drift_share_above: 0.3, retrain: true}
  retrain: {pipeline: pipeline.yaml, from: train_logreg, promote_to: champion,
            cooldown_minutes: 60}
"""


def test_injected_drift_alerts_retrains_and_promotes_through_the_gate(runs):
    _, local, home = runs
    import pandas as pd

    root = local.spec.root
    current = pd.read_csv(root / "data" / "test.csv").drop(columns="target")
    for column in current.columns[:20]:  # shift two thirds of the features
        current[column] = current[column] + 2 * current[column].std()
    current.to_csv(root / "data" / "current.csv", index=False)
    (root / "monitor.yaml").write_text(MONITOR)

    result = cli("drift", "check", str(root / "monitor.yaml"), "--json", home=home,
                 timeout=600)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["version"] == "2" and data["result"]["dataset_drift"] is True
    assert [alert["rule"] for alert in data["alerts"]] == ["data-drift"]
    retrain = data["retrain"]
    assert retrain["status"] == "finished", retrain
    assert retrain["version"] == "3" and retrain["promoted"] is True, retrain
    with isolated_home(home):
        from mlops_jupyter.monitoring.records import search_checks
        from mlops_jupyter.tracking import store

        client = store.client()
        assert client.get_registered_model("breast-cancer").aliases["champion"] == 3
        (check,) = search_checks(client, "breast-cancer")
        assert check["run_id"] == data["run_id"] and check["retrain"]["version"] == "3"
        pipeline_runs = client.search_runs(
            [client.get_experiment_by_name("breast-cancer-pipeline").experiment_id],
            filter_string=f"tags.`mlops.pipeline.run_id` = '{retrain['pipeline_run_id']}' "
                          "AND tags.`mlops.kind` = 'pipeline'")
        assert pipeline_runs[0].data.tags["mlops.pipeline.trigger"] == \
            f"drift check {data['run_id']}"
    lineage = json.loads(cli("models", "lineage", "breast-cancer/3", "--json",
                             home=home).stdout)
    assert lineage["pipeline"]["run_id"] == retrain["pipeline_run_id"]

    # The same drift again, inside the cool-down: an alert, no second retrain.
    again = json.loads(cli("drift", "check", str(root / "monitor.yaml"), "--json",
                           "--no-report", home=home).stdout)
    assert again["version"] == "3" and again["alerts"]
    assert again["retrain"]["status"] == "skipped"
    assert "cool-down" in again["retrain"]["reason"]
