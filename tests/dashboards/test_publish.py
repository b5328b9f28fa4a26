"""Publishing dashboards: parameterised notebooks, validation, listing, the CLI."""

from __future__ import annotations

import json

import nbformat
import pytest

from mlops_jupyter import cli, config
from mlops_jupyter.dashboards import publish
from mlops_jupyter.exceptions import NotFoundError, UsageError


def injected(path):
    notebook = nbformat.read(path, as_version=4)
    cells = [cell for cell in notebook.cells if "injected-parameters" in
             cell.metadata.get("tags", [])]
    assert len(cells) == 1
    namespace: dict = {}
    exec(cells[0].source, namespace)  # noqa: S102 - the cell papermill wrote
    return notebook, {key: namespace[key] for key in ("model", "tracking_uri")}


def test_publish_writes_a_parameterised_dashboard(registered, registry_home, tmp_path):
    registered("iris")
    path = publish.publish("iris", "drift", tmp_path / "out")

    assert path == tmp_path / "out" / "iris-drift.ipynb"
    notebook, parameters = injected(path)
    # the store this process uses (mlops_home sets MLFLOW_TRACKING_URI to a team store)
    assert parameters == {"model": "iris", "tracking_uri": config.tracking_uri()}
    assert notebook.metadata["mlops_dashboard"]["template"] == "drift"
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert "views.drift(model, tracking_uri, prefetched)" in notebook.cells[-1].source

    # Publishing again replaces the file; "all" adds the other templates.
    assert publish.publish("iris", "drift", tmp_path / "out") == path
    paths = publish.publish_all("iris", tmp_path / "out")
    assert sorted(p.name for p in paths) == ["iris-drift.ipynb", "iris-health.ipynb",
                                             "iris-overview.ipynb", "iris-production.ipynb"]
    listed = publish.list_dashboards(tmp_path / "out")
    assert [(item["model"], item["template"]) for item in listed] == [
        ("iris", "overview"), ("iris", "drift"), ("iris", "health"), ("iris", "production")]
    assert not list((tmp_path / "out").glob(".publish-*"))  # no temporary file left


def test_default_folder_is_in_the_home(registered, registry_home):
    registered("iris")
    path = publish.publish("iris", "overview")
    assert path.parent == registry_home / "dashboards"
    assert [item["file"] for item in publish.list_dashboards()] == ["iris-overview.ipynb"]


def test_publish_refuses_bad_input(registered, registry_home, tmp_path):
    registered("iris")
    with pytest.raises(UsageError, match="invalid model name"):
        publish.publish("../iris", "drift", tmp_path)
    with pytest.raises(UsageError, match="invalid model name"):
        publish.publish("iris\nimport os", "drift", tmp_path)
    with pytest.raises(UsageError, match="invalid model name"):
        publish.publish("iris\n", "drift", tmp_path, check_model=False)
    with pytest.raises(UsageError, match="unknown dashboard template"):
        publish.publish("iris", "../../etc/passwd", tmp_path)
    with pytest.raises(UsageError, match="one template at a time"):
        publish.publish("iris", "all", tmp_path)
    with pytest.raises(NotFoundError, match="no registered model named 'nope'"):
        publish.publish("nope", "drift", tmp_path)
    afile = tmp_path / "a-file"
    afile.write_text("x")
    with pytest.raises(UsageError, match="not a folder"):
        publish.publish("iris", "drift", afile)
    with pytest.raises(UsageError, match="control characters"):
        publish.publish("iris", "drift", f"{tmp_path}/x\n")
    assert publish.list_dashboards(tmp_path) == []
    # Without the check (the model will be registered later) it is written.
    assert publish.publish("later", "drift", tmp_path, check_model=False).is_file()


def test_credentials_are_never_written_into_a_dashboard():
    assert publish.publishable_tracking_uri("http://user:secret@mlflow:5000/x") == ""
    assert publish.publishable_tracking_uri("https://tok@mlflow.internal/") == \
        "https://mlflow.internal/"
    assert publish.publishable_tracking_uri("sqlite:////srv/m/mlflow.db") == \
        "sqlite:////srv/m/mlflow.db"


def test_listing_skips_other_notebooks(tmp_path, registered, registry_home):
    registered("iris")
    publish.publish("iris", "health", tmp_path)
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "notes.ipynb")
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert [item["file"] for item in publish.list_dashboards(tmp_path)] == ["iris-health.ipynb"]


def test_cli_publish_and_list(registered, registry_home, tmp_path, capsys):
    registered("iris")
    assert cli.main(["dashboard", "publish", "iris", "--template", "all", "--out",
                     str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["files"] == ["iris-overview.ipynb", "iris-drift.ipynb", "iris-health.ipynb",
                             "iris-production.ipynb"]
    assert cli.main(["dashboard", "list", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "iris" in out and "iris-health.ipynb" in out

    assert cli.main(["dashboard", "publish", "nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "mlops: error: no registered model named 'nope'"
    assert cli.main(["dashboard", "publish", "iris", "--template", "x"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert cli.main(["dashboard", "serve", str(tmp_path / "missing")]) == 2
    assert "no dashboards folder" in capsys.readouterr().err
    assert cli.main(["dashboard", "serve", str(tmp_path), "--token", "short"]) == 2
    assert "at least 16" in capsys.readouterr().err


def test_published_dashboards_are_signed_with_a_key_of_the_home(registered, registry_home,
                                                               tmp_path):
    """publish signs what it writes (key and signatures in <home>/dashboard-trust, not in
    the Jupyter data dir); a hand-written notebook with the metadata, a published one
    changed since, or one published and then replaced are not dashboards."""
    import os
    import stat

    from mlops_jupyter.dashboards import trust

    registered("iris")
    assert publish.list_dashboards(tmp_path) == []  # nothing signed yet: no key made up
    assert not (registry_home / trust.TRUST_DIR).exists()
    path = publish.publish("iris", "drift", tmp_path)
    folder = registry_home / trust.TRUST_DIR
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(folder / trust.SECRET_FILE).st_mode) == 0o600
    assert (folder / trust.DB_FILE).is_file()
    assert trust.read_signed(path) is not None

    forged = nbformat.read(path, as_version=4)
    forged.cells[-1].source = "import os; os.system('touch /tmp/pwned')"
    nbformat.write(forged, tmp_path / "iris-health.ipynb")
    assert [item["file"] for item in publish.list_dashboards(tmp_path)] == ["iris-drift.ipynb"]

    previous = path.read_text()
    publish.publish("iris", "drift", tmp_path)  # re-published: the old file is no longer trusted
    (tmp_path / "old-drift.ipynb").write_text(previous)
    assert [item["file"] for item in publish.list_dashboards(tmp_path)] == ["iris-drift.ipynb"]

    path.write_text(path.read_text().replace("views.drift(", "views.drift( "))
    assert publish.list_dashboards(tmp_path) == []
    assert trust.read_signed(path) is None
