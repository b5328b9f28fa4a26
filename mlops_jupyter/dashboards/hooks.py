"""Voila's ``prelaunch_hook`` for ``mlops dashboard serve`` (runs in the Voila process).

Called by Voila with the request handler before a page view's kernel starts:

* only **published dashboards** are executed — a notebook without
  ``metadata.mlops_dashboard`` that happens to sit in the folder is refused (403),
  so dropping a notebook there never exposes its code or its secrets to readers;
* a page view beyond the **kernel cap** is refused (503) here already, before any
  work is done for it (:class:`~.kernels.CappedKernelManager` enforces the cap);
* the first view's data is **prefetched** in this warm process (:mod:`.prefetch`)
  and handed to the kernel through an injected ``prefetched`` parameter;
* it makes tornado set the ``_xsrf`` cookie. Voila's page sends that cookie's value
  with the shutdown beacon when the tab closes; without it (a reader who came with
  ``?token=`` and never saw the login form) the beacon is refused and the kernel
  lingers until the idle culler takes it, holding a slot of the cap.
"""

from __future__ import annotations

from tornado import web

from . import prefetch
from .kernels import BUSY_REASON
from .publish import METADATA_KEY, TEMPLATES

PREFETCH_TAG = "injected-prefetched"


def prelaunch(handler, notebook, cwd):
    """Refuse what must not run, prefetch the first view, set the XSRF cookie.

    Args:
        handler: The request handler of the page view.
        notebook: The notebook about to be executed (read for this request).
        cwd: Its folder (unused; part of Voila's hook signature).

    Returns:
        The notebook with a ``prefetched = "<file>"`` cell after its parameters, or
        None (run as published) when nothing could be prefetched.

    Raises:
        tornado.web.HTTPError: 403 for a notebook that is not a dashboard, 503 when
            the kernel cap is reached.
    """
    meta = (notebook.get("metadata") or {}).get(METADATA_KEY)
    if not isinstance(meta, dict) or meta.get("template") not in TEMPLATES:
        # Voila's error page shows the reason phrase only.
        raise web.HTTPError(403, "not a published dashboard",
                            reason="This notebook is not a published dashboard")
    manager = handler.kernel_manager
    if getattr(manager, "active_count", 0) >= getattr(manager, "max_kernels", float("inf")):
        raise web.HTTPError(503, "kernel cap reached", reason=BUSY_REASON)
    handler.xsrf_token  # noqa: B018 - reading it sets the cookie on this response
    return _with_prefetched(handler, notebook, meta)


def _with_prefetched(handler, notebook, meta: dict):
    import nbformat

    try:
        path = prefetch.write(prefetch.collect(meta["template"], str(meta.get("model"))))
    except Exception as exc:  # noqa: BLE001 - the kernel reads the store and explains
        handler.log.info("dashboard %s: not prefetched (%s)", meta.get("model"),
                         type(exc).__name__)
        return None
    cell = nbformat.v4.new_code_cell(f"{prefetch.PARAMETER} = {str(path)!r}")
    cell.metadata["tags"] = [PREFETCH_TAG]
    tags = [cell_.get("metadata", {}).get("tags", []) for cell_ in notebook.cells]
    after = next((index for index, found in enumerate(tags) if "injected-parameters" in found),
                 next((index for index, found in enumerate(tags) if "parameters" in found), -1))
    notebook.cells.insert(after + 1, cell)
    return notebook
