"""The Voila application ``mlops dashboard serve`` runs: Voila with two handlers fixed.

Started as ``python -m mlops_jupyter.dashboards.voila_app`` (same options and config
files as ``python -m voila``); it runs inside the Voila process only.

* ``/voila/templates/<template>/static/<file>``: Voila's handler trips on its own
  ``assert`` for any other shape (``/voila/templates/../../etc/passwd``, percent-encoded
  or not) and answers 500. :class:`TemplateStaticHandler` answers 404 for a path that
  is not a known template's static file, before touching the disk.
* ``/api/kernels/<id>/channels``: :class:`KernelWebsocketHandler` registers each
  socket with the kernel manager (:class:`~.kernels.CappedKernelManager`), which closes
  it when the kernel is shut down, e.g. culled as idle.
"""

from __future__ import annotations

import re

from tornado import web
from voila.app import Voila
from voila.paths import collect_static_paths
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

_TEMPLATE = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_SEGMENT = re.compile(r"[A-Za-z0-9_\-.@+~]{1,255}")


class TemplateStaticHandler(TemplateStaticFileHandler):
    """Voila's template static files; 404 for anything else (never 500)."""

    def parse_url_path(self, url_path: str) -> str:
        parts = url_path.split("/")
        if (len(parts) < 3 or parts[1] != "static" or not _TEMPLATE.fullmatch(parts[0])
                or not all(_SEGMENT.fullmatch(part) and part not in (".", "..")
                           for part in parts[2:])
                or not collect_static_paths(["voila", "nbconvert"], parts[0])):
            raise web.HTTPError(404)
        return super().parse_url_path(url_path)


class KernelWebsocketHandler(VoilaKernelWebsocketHandler):
    """Voila's kernel websocket, closed by the kernel manager with its kernel."""

    async def open(self, kernel_id):  # type: ignore[override]
        register = getattr(self.kernel_manager, "add_websocket", None)
        if register is not None:
            register(kernel_id, self)
        await super().open(kernel_id)

    def on_close(self):
        unregister = getattr(self.kernel_manager, "remove_websocket", None)
        if unregister is not None:
            unregister(self.kernel_id, self)
        super().on_close()


_REPLACED = {TemplateStaticFileHandler: TemplateStaticHandler,
             VoilaKernelWebsocketHandler: KernelWebsocketHandler}


class DashboardVoila(Voila):
    """Voila with :class:`TemplateStaticHandler` and :class:`KernelWebsocketHandler`."""

    def init_handlers(self) -> list:
        return [(rule[0], _REPLACED.get(rule[1], rule[1]), *rule[2:])
                for rule in super().init_handlers()]


main = DashboardVoila.launch_instance

if __name__ == "__main__":
    main()
