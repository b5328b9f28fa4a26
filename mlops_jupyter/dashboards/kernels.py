"""A kernel manager for Voila that refuses kernels beyond a cap.

Voila starts one kernel per page view and has no limit of its own, so a burst of
page loads (or one impatient reader pressing reload) could start hundreds of Python
processes. :class:`CappedKernelManager` is given to Voila as
``VoilaConfiguration.multi_kernel_manager_class``; when ``max_kernels`` kernels are
running or starting, the next page view gets **503** ("too many readers") at once,
before anything is rendered, and the server goes on answering. Idle kernels are
culled by the inherited ``MappingKernelManager.cull_*`` settings, which frees slots.

Shutting a kernel down (culled, or the page's shutdown beacon) also **closes the
websockets** of that kernel: Jupyter Server leaves them open on a dead kernel, so a
culled page would keep a connection (and the browser's reconnect loop) forever.
:class:`~.voila_app.KernelWebsocketHandler` registers each socket here.

This module runs inside the Voila process only (it imports tornado and
jupyter_server, which the rest of the package keeps away from services).
"""

from __future__ import annotations

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

# Voila's error page shows the status line's reason phrase only, so it carries the text.
BUSY_REASON = "Too many dashboards are open right now; please try again in a minute"


class CappedKernelManager(AsyncMappingKernelManager):
    """``AsyncMappingKernelManager`` with a limit on concurrent kernels."""

    max_kernels = Integer(
        8, min=1, config=True,
        help="""Most kernels (= dashboard page views being shown) at once. A page view
        beyond it is answered 503 at once; idle kernels are culled after
        MappingKernelManager.cull_idle_timeout seconds, freeing their slot.""")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._starting = 0
        self._websockets: dict[str, set] = {}

    def add_websocket(self, kernel_id: str, handler) -> None:
        """Remember an open websocket of ``kernel_id`` (closed with the kernel)."""
        self._websockets.setdefault(kernel_id, set()).add(handler)

    def remove_websocket(self, kernel_id: str, handler) -> None:
        """Forget a websocket that closed."""
        handlers = self._websockets.get(kernel_id)
        if handlers is not None:
            handlers.discard(handler)
            if not handlers:
                del self._websockets[kernel_id]

    async def shutdown_kernel(self, kernel_id, now=False, restart=False):
        """Shut the kernel down, then close the websockets still open on it."""
        try:
            return await super().shutdown_kernel(kernel_id, now=now, restart=restart)
        finally:
            if not restart:
                for handler in self._websockets.pop(kernel_id, set()):
                    self.log.info("closing a websocket of shut down kernel %s", kernel_id)
                    handler.close(1000, "kernel shut down")

    @property
    def active_count(self) -> int:
        """Kernels running plus kernels being started right now."""
        return len(self._kernels) + self._starting

    async def start_kernel(self, *args, **kwargs):
        """Start a kernel unless the cap is reached.

        The count includes kernels still starting, so a burst of simultaneous page
        views cannot all pass the check before the first kernel is registered (all
        of this runs on the server's single event loop).

        Raises:
            tornado.web.HTTPError: 503 when ``max_kernels`` are running or starting.
        """
        kernel_id = kwargs.get("kernel_id")
        if kernel_id is not None and kernel_id in self:
            return await super().start_kernel(*args, **kwargs)
        if self.active_count >= self.max_kernels:
            self.log.warning("refusing a new kernel: %d of %d in use", self.active_count,
                             self.max_kernels)
            raise web.HTTPError(503, "kernel cap reached", reason=BUSY_REASON)
        self._starting += 1
        try:
            return await super().start_kernel(*args, **kwargs)
        finally:
            self._starting -= 1
