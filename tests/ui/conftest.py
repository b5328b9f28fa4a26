"""Fixtures of the browser tests: ``start_lab`` (a real ``jupyter lab``) and ``page``."""

from tests.ui.helpers import page, start_lab  # noqa: F401 - fixtures offered to tests/ui
