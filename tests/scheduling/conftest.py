"""Fixtures of the scheduling tests (helpers live in tests/scheduling/helpers.py)."""

from __future__ import annotations

import pytest

from mlops_jupyter import config
from tests.magics.helpers import stop_flushers


@pytest.fixture
def home(mlops_home, monkeypatch):
    """``mlops_home`` with the default job store (``<home>/jobs.db``); no flusher of it
    is left running after the test."""
    monkeypatch.delenv(config.JOB_DB_ENV, raising=False)
    mlops_home.mkdir(parents=True, exist_ok=True)
    yield mlops_home
    if (mlops_home / "spool").is_dir():
        stop_flushers(mlops_home / "spool")


@pytest.fixture
def store(home):
    """A JobStore on ``<home>/jobs.db``, disposed after the test."""
    from mlops_jupyter.scheduling.store import JobStore

    job_store = JobStore()
    yield job_store
    job_store.close()
