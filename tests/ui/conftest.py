"""Fixtures of the browser tests: ``start_lab`` (a real ``jupyter lab``) and ``page``."""

from playwright.sync_api import expect

from tests.ui.helpers import page, start_lab  # noqa: F401 - fixtures offered to tests/ui

# Playwright's default 5 s per expectation is short for a real server on a loaded
# CI machine (the first request imports MLflow); a failing expectation still fails.
expect.set_options(timeout=30_000)
