"""What one ``mlops serve`` endpoint serves and how, shared by its worker processes.

The command builds :class:`Settings` from its arguments and hands them to every
uvicorn worker through the environment variable :data:`SETTINGS_ENV` (JSON). The
token never travels in it: workers read it from ``$MLOPS_SERVE_TOKEN``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass

from .. import config
from ..exceptions import UsageError

SETTINGS_ENV = "MLOPS_SERVE_SETTINGS"
ROLES = ("champion", "challenger", "shadow")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class Settings:
    """One endpoint's configuration (everything but the token)."""

    model: str
    alias: str = "champion"
    challenger: str | None = None
    split: float = 0.0
    shadow: str | None = None
    host: str = "127.0.0.1"
    port: int = 5001
    workers: int = 1
    max_batch: int = 64
    max_wait_ms: float = 2.0
    body_limit_mb: float = 5.0
    log: bool = True
    log_url: str | None = None
    flush_interval: float = 1.0
    poll_interval: float = 1.0
    seed: int | None = None
    endpoint_id: str | None = None

    def check(self) -> Settings:
        """These settings, or UsageError naming the first bad one."""
        if self.challenger and self.shadow:
            raise UsageError("--challenger and --shadow are mutually exclusive")
        if self.challenger and not 0.0 < self.split < 1.0:
            raise UsageError("--split must be between 0 and 1 (exclusive) with --challenger")
        if not self.challenger and self.split:
            raise UsageError("--split needs --challenger")
        if self.challenger == self.alias or self.shadow == self.alias:
            raise UsageError("the challenger/shadow alias must differ from the served alias")
        for name, value, low, high in (("--port", self.port, 1, 65535),
                                       ("--workers", self.workers, 1, 64),
                                       ("--max-batch", self.max_batch, 1, 100_000)):
            if not isinstance(value, int) or not low <= value <= high:
                raise UsageError(f"{name} must be a whole number from {low} to {high}")
        for name, value, low in (("--max-wait-ms", self.max_wait_ms, 0.0),
                                 ("--body-limit-mb", self.body_limit_mb, 0.001),
                                 ("--flush-interval", self.flush_interval, 0.01),
                                 ("--poll-interval", self.poll_interval, 0.05)):
            if not value >= low or value > 3600:
                raise UsageError(f"{name} must be a number from {low} to 3600")
        return self

    @property
    def body_limit(self) -> int:
        """The largest request body accepted, in bytes."""
        return int(self.body_limit_mb * 1024 * 1024)

    def roles(self) -> dict[str, str]:
        """Role -> alias of every variant served."""
        roles = {"champion": self.alias}
        if self.challenger:
            roles["challenger"] = self.challenger
        if self.shadow:
            roles["shadow"] = self.shadow
        return roles

    def resolved_log_url(self) -> str:
        """Where the inference log goes."""
        return self.log_url or config.inference_log_url()

    def to_env(self) -> str:
        """JSON for :data:`SETTINGS_ENV`."""
        return json.dumps(dataclasses.asdict(self))


def from_env(environ=None) -> Settings:
    """The settings the command put in the environment.

    Raises:
        UsageError: the variable is missing or not valid settings.
    """
    text = (environ if environ is not None else os.environ).get(SETTINGS_ENV)
    if not text:
        raise UsageError(f"${SETTINGS_ENV} is not set: start endpoints with `mlops serve`")
    try:
        data = json.loads(text)
        fields = {field.name for field in dataclasses.fields(Settings)}
        return Settings(**{k: v for k, v in data.items() if k in fields}).check()
    except (ValueError, TypeError) as exc:
        raise UsageError(f"${SETTINGS_ENV} is not valid: {str(exc)[:80]}") from None
