"""Fixtures of the pipeline tests (helpers live in tests/pipelines/helpers.py)."""

from __future__ import annotations

import pytest

from tests.magics.helpers import stop_flushers


@pytest.fixture
def home(mlops_home):
    """``mlops_home``, and no flusher of it left running after the test."""
    yield mlops_home
    if (mlops_home / "spool").is_dir():
        stop_flushers(mlops_home / "spool")
