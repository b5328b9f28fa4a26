"""What a cell run records: assigned names, parameters, fingerprints, notebook."""


import numpy as np
import pandas as pd
import pytest
import torch

from mlops_jupyter.tracking import capture


def test_assigned_names_skip_function_bodies_and_private_names():
    source = (
        "a = 1\n"
        "b, (c, d) = 2, (3, 4)\n"
        "for i in range(3):\n    e = i\n"
        "with open('x') as f:\n    pass\n"
        "def g():\n    hidden = 1\n"
        "class K:\n    attr = 2\n"
        "_private = 5\n"
        "if (w := 3):\n    pass\n"
        "a += 1\n"
    )
    assert capture.assigned_names(source) == ["a", "b", "c", "d", "i", "e", "f", "w"]


def test_assigned_names_of_unparseable_source_is_empty():
    assert capture.assigned_names("x = = 1") == []


@pytest.mark.parametrize("value, expected", [
    (1, True), (0.5, True), ("rbf", True), (True, True),
    (None, False), ([1], False), (np.float64(1.0), False), ({"a": 1}, False),
])
def test_only_plain_scalars_are_params(value, expected):
    assert capture.is_param_value(value) is expected


def test_long_param_text_is_truncated():
    text = capture.param_text("x" * 10_000)
    assert len(text) == capture.PARAM_VALUE_LIMIT and text.endswith("…")


def test_small_array_is_hashed_fully_and_content_sensitive():
    a = np.arange(1000, dtype=np.float64)
    first = capture.fingerprint(a)
    assert first["method"] == "full" and first["shape"] == [1000]
    assert capture.fingerprint(a.copy())["hash"] == first["hash"]
    b = a.copy()
    b[500] = -1
    assert capture.fingerprint(b)["hash"] != first["hash"]


def test_large_array_is_sampled_and_says_so():
    big = np.zeros((4_000_000,), dtype=np.float64)  # 32 MB
    result = capture.fingerprint(big)
    assert result["method"] == "sampled"
    assert result["shape"] == [4_000_000]


def test_non_contiguous_large_array_is_sampled_without_copying_it_all():
    big = np.zeros((4000, 1000))[:, ::2]
    assert capture.fingerprint(big)["method"] == "sampled"


def test_dataframe_fingerprint_has_columns_and_changes_with_data():
    frame = pd.DataFrame({"a": range(100), "b": ["x"] * 100})
    result = capture.fingerprint(frame)
    assert result["columns"] == ["a", "b"] and result["shape"] == [100, 2]
    changed = frame.copy()
    changed.loc[3, "b"] = "y"
    assert capture.fingerprint(changed)["hash"] != result["hash"]


def test_large_dataframe_is_sampled():
    frame = pd.DataFrame(np.zeros((500_000, 4)), columns=list("abcd"))
    assert capture.fingerprint(frame)["method"] == "sampled"


def test_dataframe_with_unhashable_cells_still_fingerprints():
    frame = pd.DataFrame({"a": [[1], [2]]})
    assert capture.fingerprint(frame)["hash"]


def test_tensor_fingerprint():
    result = capture.fingerprint(torch.ones(3, 4))
    assert result["type"] == "torch.Tensor" and result["shape"] == [3, 4]
    assert result["hash"] == capture.fingerprint(torch.ones(3, 4))["hash"]


def test_other_objects_have_no_fingerprint():
    assert capture.fingerprint([1, 2, 3]) is None
    assert not capture.is_data("text")


def test_notebook_path_sources(tmp_path, monkeypatch):
    monkeypatch.delenv("MLOPS_NOTEBOOK", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert capture.notebook_path({}) is None
    assert capture.default_experiment(None) == capture.FALLBACK_EXPERIMENT
    notebook = tmp_path / "train model.ipynb"
    notebook.write_text("{}")
    assert capture.notebook_path({"__session__": str(notebook)}) == notebook
    assert capture.notebook_path({"__vsc_ipynb_file__": str(notebook)}) == notebook
    assert capture.notebook_path({"__session__": "console-1"}) is None
    assert capture.default_experiment(notebook) == "train model"


def test_environment_tags_have_python_and_mlflow():
    tags = capture.environment_tags()
    assert tags["mlops.env.python"].count(".") == 2
    assert "mlops.env.mlflow" in tags
