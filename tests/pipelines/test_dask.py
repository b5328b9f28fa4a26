"""The example pipeline on a real Dask LocalCluster (two worker processes)."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from mlops_jupyter.exceptions import UsageError
from tests.magics.helpers import REPO_ROOT, free_port
from tests.pipelines.helpers import cli, isolated_home, run, statuses, write_project

EXAMPLE = REPO_ROOT / "example_notebooks" / "pipeline"
STEPS = ["prepare", "train_logreg", "train_forest", "train_mlp", "evaluate"]
GENERATED = ("data", "models", "reports", ".mlops")


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


def test_dask_and_local_results_are_identical(runs):
    on_dask, local, _ = runs
    assert statuses(local) == dict.fromkeys(STEPS, "FINISHED")
    report = json.loads((on_dask.spec.root / "reports" / "evaluation.json").read_text())
    assert report == json.loads((local.spec.root / "reports" / "evaluation.json").read_text())
    for name in STEPS:
        assert on_dask.steps[name].output_hashes == local.steps[name].output_hashes, name


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
    started = time.monotonic()
    with pytest.raises(UsageError) as caught:
        run(file, executor="dask", scheduler=address)
    assert time.monotonic() - started < 30  # refused after the 10 s connect timeout
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
