"""A test server whose users may read one resource but not write or execute on it."""

from __future__ import annotations

from jupyter_server.auth.authorizer import Authorizer


def read_only_authorizer(resource: str) -> type[Authorizer]:
    """An authorizer allowing everything but ``write`` and ``execute`` on ``resource``."""

    class ReadOnly(Authorizer):
        def is_authorized(self, handler, user, action, checked) -> bool:
            return not (checked == resource and action in ("write", "execute"))

    ReadOnly.__name__ = ReadOnly.__qualname__ = f"ReadOnly_{resource}"
    return ReadOnly


def with_authorizer(server_config: dict, authorizer: type[Authorizer]) -> dict:
    """``server_config`` (a ``jp_server_config``) with ``authorizer`` as the server's."""
    return {**server_config,
            "ServerApp": {**server_config["ServerApp"], "authorizer_class": authorizer}}
