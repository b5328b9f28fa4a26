"""The Voila application ``mlops dashboard serve`` runs: Voila with three handlers
replaced.

Started as ``python -m mlops_jupyter.dashboards.voila_app`` (same options and config
files as ``python -m voila``); it runs inside the Voila process only.

* ``/voila/templates/<template>/static/<file>``: Voila's handler trips on its own
  ``assert`` for any other shape (``/voila/templates/../../etc/passwd``, percent-encoded
  or not) and answers 500. :class:`TemplateStaticHandler` answers 404 for a path that
  is not a known template's static file, before touching the disk.
* ``/api/kernels/<id>/channels``: :class:`KernelWebsocketHandler` registers each
  socket with the kernel manager (:class:`~.kernels.CappedKernelManager`), which closes
  it when the kernel is shut down, e.g. culled as idle.
* ``/`` and ``/voila/tree``: :class:`LandingHandler` shows the published dashboards by
  model and kind (:mod:`.landing`) instead of Voila's list of files, behind the same
  token (``@web.authenticated``, as Voila's own tree page).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from jupyter_server.utils import url_path_join
from tornado import web
from tornado.ioloop import IOLoop
from voila.app import Voila
from voila.paths import collect_static_paths
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

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


class LandingHandler(TornadoVoilaTreeHandler):
    """The dashboards by model and kind (:func:`~.landing.landing_html`) at the
    server's root and ``/voila/tree``; a file under ``/voila/tree/`` is still
    redirected to its page by Voila's handler."""

    @web.authenticated
    async def get(self, path: str = ""):
        if path.strip("/"):
            return await super().get(path)
        from .landing import freshness, landing_html
        from .publish import list_dashboards

        directory = self.settings.get("mlops_dashboards_dir") or self.contents_manager.root_dir
        dashboards = list_dashboards(directory)
        fresh = await IOLoop.current().run_in_executor(  # store reads off the event loop
            None, freshness, sorted({item["model"] for item in dashboards}))
        page = landing_html(dashboards, lambda file: url_path_join(
            self.base_url, "voila/render", quote(file)), fresh=fresh)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(page)
        return None


_REPLACED = {TemplateStaticFileHandler: TemplateStaticHandler,
             VoilaKernelWebsocketHandler: KernelWebsocketHandler,
             TornadoVoilaTreeHandler: LandingHandler}


class DashboardVoila(Voila):
    """Voila with :class:`TemplateStaticHandler`, :class:`KernelWebsocketHandler` and
    :class:`LandingHandler`."""

    def init_settings(self) -> dict:
        settings = super().init_settings()
        settings["mlops_dashboards_dir"] = self.root_dir
        return settings

    def init_handlers(self) -> list:
        return [(rule[0], _REPLACED.get(rule[1], rule[1]), *rule[2:])
                for rule in super().init_handlers()]


main = DashboardVoila.launch_instance

if __name__ == "__main__":
    main()
