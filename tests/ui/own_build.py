"""Load THIS checkout's lab extension build in the UI tests' JupyterLab.

The shared environment holds an installed copy of some checkout's build; a directory
first on ``JUPYTER_PATH`` wins, so the tests see ``mlops_jupyter/labextension`` of the
checkout they run from (the server extension comes from ``PYTHONPATH`` already).
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD = REPO_ROOT / "mlops_jupyter" / "labextension"


@pytest.fixture
def own_build(tmp_path, monkeypatch):
    if not (BUILD / "package.json").is_file():
        pytest.fail("build the lab extension first (jlpm build)")
    share = tmp_path / "jupyter-path"
    (share / "labextensions").mkdir(parents=True)
    (share / "labextensions" / "mlops-jupyter").symlink_to(BUILD)
    monkeypatch.setenv("JUPYTER_PATH", str(share))
    return share
