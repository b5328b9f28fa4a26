"""The one YAML reader of user documents (mlops_jupyter/documents.py)."""

from __future__ import annotations

import pytest

from mlops_jupyter import documents
from mlops_jupyter.exceptions import NotFoundError, UsageError


def test_plain_yaml_loads():
    assert documents.load_yaml("a: 1\nb: [x, {c: 2}]\n", "f.yaml") == {"a": 1, "b": ["x", {"c": 2}]}


def test_syntax_error_names_the_line():
    with pytest.raises(documents.DocumentError) as error:
        documents.load_yaml("a: 1\nb: [1, 2\nc: 3\n", "f.yaml")
    assert error.value.where.startswith("line ") and "\n" not in str(error.value)
    assert str(error.value).startswith("f.yaml: line ")


def test_python_objects_are_refused():
    with pytest.raises(documents.DocumentError):
        documents.load_yaml("x: !!python/object/apply:os.system ['true']\n", "f.yaml")


def test_deep_nesting_is_refused():
    with pytest.raises(documents.DocumentError, match="nested deeper than"):
        documents.load_yaml("a: " + "[" * 40 + "]" * 40, "f.yaml")
    with pytest.raises(documents.DocumentError, match="nested deeper than"):
        documents.load_yaml("[" * 5000 + "]" * 5000, "f.yaml")


def test_alias_expansion_is_bounded():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
              f"*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    with pytest.raises(documents.DocumentError, match="more than"):
        documents.load_yaml("\n".join(lines), "f.yaml")


def test_size_bound(tmp_path):
    big = "x: '" + "y" * documents.MAX_DOCUMENT_BYTES + "'\n"
    with pytest.raises(documents.DocumentError, match="larger than"):
        documents.load_yaml(big, "f.yaml")
    path = tmp_path / "big.yaml"
    path.write_text(big)
    with pytest.raises(UsageError, match="larger than"):
        documents.read_document(path)
    with pytest.raises(NotFoundError, match="no pipeline file"):
        documents.read_document(tmp_path / "none.yaml", what="pipeline file")


def test_unknown_keys():
    assert documents.unknown_keys({"b": 1, "a": 2, 3: 4, "ok": 5}, {"ok"}) == ["3", "a", "b"]
