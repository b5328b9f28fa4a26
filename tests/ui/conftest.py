"""Fixtures of the browser tests: ``start_lab`` (a real ``jupyter lab``), ``page`` and
``own_build`` (the lab extension built in this checkout, first on JUPYTER_PATH)."""

from playwright.sync_api import expect

from tests.ui.helpers import page, start_lab  # noqa: F401 - fixtures offered to tests/ui
from tests.ui.own_build import own_build  # noqa: F401 - this checkout's lab build

# Playwright's default 5 s per expectation is short for a real server on a loaded
# CI machine (the first request imports MLflow); a failing expectation still fails.
expect.set_options(timeout=30_000)
