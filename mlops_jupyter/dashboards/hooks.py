"""Voila's ``prelaunch_hook`` for ``mlops dashboard serve`` (runs in the Voila process).

Called by Voila with the request handler before a page view's kernel starts:

* only **published dashboards** are executed: the file on disk must carry a
  signature written by ``mlops dashboard publish`` (:mod:`.trust`). A notebook that
  merely claims ``metadata.mlops_dashboard``, or a published one changed since, is
  refused (403) before any kernel starts, so dropping or editing a notebook there
  never runs its code. What runs is the notebook as verified, not a second read;
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

from . import prefetch, trust
from .kernels import BUSY_REASON
from .publish import METADATA_KEY, TEMPLATES

PREFETCH_TAG = "injected-prefetched"
# Voila's error page shows the status line's reason phrase only.
NOT_PUBLISHED = "This notebook is not a published dashboard (or it was changed since)"


def verified_notebook(handler):
    """The page's notebook as signed by ``mlops dashboard publish``, read from disk
    through the handler's own contents root; None when it is not signed."""
    path = getattr(handler, "notebook_path", None) or (handler.path_args or [""])[0]
    try:
        # The same jail Voila used to load the page (404 outside the root).
        os_path = handler.contents_manager._get_os_path(path)
    except web.HTTPError:
        return None
    return trust.read_signed(os_path)


def prelaunch(handler, notebook, cwd, prefetched: bool = True):
    """Refuse what must not run, prefetch the first view, set the XSRF cookie.

    Args:
        handler: The request handler of the page view.
        notebook: The notebook Voila read for this request (unused: the file is read
            again and verified; that verified copy is what runs).
        cwd: Its folder (unused; part of Voila's hook signature).
        prefetched: Read the first view here (in ``mlops dashboard serve``'s own
            process); the Jupyter server passes False, its event loop serves others.

    Returns:
        The verified notebook, with a ``prefetched = "<file>"`` cell after its
        parameters when the first view could be prefetched.

    Raises:
        tornado.web.HTTPError: 403 for a notebook that is not a signed dashboard, 503
            when the kernel cap is reached.
    """
    verified = verified_notebook(handler)
    meta = None if verified is None else verified.metadata.get(METADATA_KEY)
    if not isinstance(meta, dict) or meta.get("template") not in TEMPLATES:
        handler.log.warning("refused %s: not a signed dashboard", handler.request.path)
        raise web.HTTPError(403, "not a published dashboard", reason=NOT_PUBLISHED)
    manager = handler.kernel_manager
    if getattr(manager, "active_count", 0) >= getattr(manager, "max_kernels", float("inf")):
        raise web.HTTPError(503, "kernel cap reached", reason=BUSY_REASON)
    handler.xsrf_token  # noqa: B018 - reading it sets the cookie on this response
    # Run what was verified (kernel included), not what Voila read a moment earlier.
    if not prefetched:
        return verified
    return _with_prefetched(handler, verified, meta) or verified


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
