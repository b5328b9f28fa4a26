"""``%mlops register`` in a real kernel, read back from the MLflow registry."""

from __future__ import annotations

from mlflow import MlflowClient

from tests.magics.helpers import KernelSession, cell_text, kernel_env


def test_register_from_a_tracked_cell_with_alias_and_signature(tmp_path):
    home = tmp_path / "home"
    with KernelSession(kernel_env(home), cwd=tmp_path) as kernel:
        kernel.run("%load_ext mlops_jupyter\n%mlops track --experiment reg")
        kernel.run("from sklearn.datasets import load_iris\n"
                   "from sklearn.linear_model import LogisticRegression\n"
                   "X, y = load_iris(return_X_y=True, as_frame=True)\n"
                   "clf = LogisticRegression(max_iter=500).fit(X, y)")
        registered = kernel.run("%mlops register clf --name iris --alias champion "
                                "--input-example X --reason 'first model'")
        errors = [cell_text(kernel.run(line)) for line in (
            "%mlops register X --name iris", "%mlops register nope --name iris",
            "%mlops register clf --name 'bad/name'", "%mlops register clf")]
        in_code = kernel.run("import mlops_jupyter\n"
                             "info = mlops_jupyter.register_model(clf, 'iris', alias='challenger')\n"
                             "print(info['version'])")
        kernel.run("%mlops stop\n%mlops flush --timeout 60")
    assert "registered 'iris' version 1 (sklearn)" in cell_text(registered)
    assert "X is not a model" in errors[0]
    assert "no variable named 'nope'" in errors[1]
    assert "invalid model name 'bad/name'" in errors[2]
    assert "the following arguments are required: --name" in errors[3]
    assert all(e.startswith("UsageError: mlops: ") and e.count("\n") == 1 for e in errors)

    client = MlflowClient(f"sqlite:///{home / 'mlflow.db'}")
    version = client.get_model_version_by_alias("iris", "champion")
    assert str(version.version) == "1"
    # A cell of %mlops lines is not a run of its own: the model goes on the session run.
    assert client.get_run(version.run_id).data.tags["mlops.kind"] == "session"
    assert cell_text(in_code).strip() == "2"
    challenger = client.get_model_version_by_alias("iris", "challenger")
    run = client.get_run(challenger.run_id)  # from code: the executing cell's run
    assert run.data.tags["mlops.kind"] == "cell" and run.info.run_name == "cell [8]"


def test_drift_magic_on_a_dataframe_and_its_errors(tmp_path):
    home = tmp_path / "home"
    with KernelSession(kernel_env(home), cwd=tmp_path) as kernel:
        kernel.run("%load_ext mlops_jupyter\n"
                   "import mlops_jupyter\n"
                   "from sklearn.datasets import load_iris\n"
                   "from sklearn.linear_model import LogisticRegression\n"
                   "X, y = load_iris(return_X_y=True, as_frame=True)\n"
                   "clf = LogisticRegression(max_iter=500).fit(X, y)\n"
                   "mlops_jupyter.register_model(clf, 'iris', alias='champion', reference=X)\n"
                   "shifted = X + 3 * X.std()")
        same = kernel.run("%mlops drift --model iris --current X --no-report")
        drifted = kernel.run("%mlops drift --model iris@champion --current shifted "
                             "--no-report")
        errors = [cell_text(kernel.run(line)) for line in (
            "%mlops drift --model iris --current nothing_here",
            "%mlops drift --model iris --current y",
            "%mlops drift --model nobody --current X",
            "%mlops drift --current X")]
    assert "No dataset drift" in html_of(same)
    assert "Dataset drift" in html_of(drifted) and "4 of 4 columns drifted" in html_of(drifted)
    assert "neither a variable nor a .csv/.parquet file" in errors[0]
    assert "no registered model named 'nobody'" in errors[2]
    assert "give --model MODEL[@ALIAS], or --reference" in errors[3]
    assert all(e.startswith("UsageError: mlops: ") and e.count("\n") == 1 for e in errors)


def html_of(cell) -> str:
    return "".join(output.get("data", {}).get("text/html", "") for output in cell["outputs"])


def test_load_model_in_a_kernel_keeps_the_configured_store(tmp_path):
    """A batch-scoring step loads the champion, then registers again: the kernel still
    uses the store MLFLOW_TRACKING_URI names (MLflow's ``_use_tracking_uri`` used to
    delete the variable, so the second register went to the embedded default store)."""
    home = tmp_path / "home"
    team = f"sqlite:///{tmp_path / 'team-store' / 'mlflow.db'}"
    with KernelSession(kernel_env(home, tracking_uri=team), cwd=tmp_path) as kernel:
        kernel.run("import os, mlflow, mlops_jupyter\n"
                   "from sklearn.datasets import load_iris\n"
                   "from sklearn.linear_model import LogisticRegression\n"
                   "X, y = load_iris(return_X_y=True, as_frame=True)\n"
                   "clf = LogisticRegression(max_iter=500).fit(X, y)\n"
                   "mlops_jupyter.register_model(clf, 'iris', alias='champion')")
        loaded = kernel.run("model = mlops_jupyter.load_model('models:/iris@champion')\n"
                            "print((model.predict(X) == clf.predict(X)).all())\n"
                            "print(os.environ.get('MLFLOW_TRACKING_URI'))\n"
                            "print(mlflow.get_tracking_uri())\n"
                            "print(mlops_jupyter.register_model(clf, 'iris')['version'])")
    lines = cell_text(loaded).split()
    assert lines == ["True", team, team, "2"]
    versions = MlflowClient(team).search_model_versions("name='iris'")
    assert sorted(str(v.version) for v in versions) == ["1", "2"]
    assert not (home / "mlflow.db").exists()  # nothing went to the embedded store
    assert not (tmp_path / "mlruns").exists()  # nor to ./mlruns of the kernel
