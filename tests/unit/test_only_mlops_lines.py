"""Which cells are bookkeeping (only %mlops lines) and so not tracked as runs."""

import pytest

from mlops_jupyter.magics.mlops import _only_mlops_lines


@pytest.mark.parametrize("source", [
    "%mlops status", "%mlops log a=1\n# a note\n\n   %mlops stop\n", "\n\n"])
def test_bookkeeping_cells(source):
    assert _only_mlops_lines(source)


@pytest.mark.parametrize("source", [
    "x = 1", "%mlops status\nx = 1", "%mlopsx", "%load_ext mlops_jupyter",
    # Many blank lines before code: a whole-cell regex used to backtrack for minutes.
    "\n" * 5000 + "x = 1", " \n" * 5000 + "%mlops status\ny = 2"])
def test_cells_with_work(source):
    assert not _only_mlops_lines(source)
