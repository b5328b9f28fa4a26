"""IPython magics: ``%mlops`` and ``%%mlops`` (argument parsing and rendering only)."""

from __future__ import annotations


def register(ipython) -> None:
    """Register the magics and the cell hooks on ``ipython``."""
    from .mlops import MLOpsMagics

    magics = MLOpsMagics(ipython)
    ipython.register_magics(magics)
    ipython.events.register("pre_run_cell", magics.pre_run_cell)
    ipython.events.register("post_run_cell", magics.post_run_cell)
    ipython._mlops_magics = magics


def unregister(ipython) -> None:
    """Remove the cell hooks and end tracking (flushing what is queued)."""
    magics = getattr(ipython, "_mlops_magics", None)
    if magics is None:
        return
    ipython.events.unregister("pre_run_cell", magics.pre_run_cell)
    ipython.events.unregister("post_run_cell", magics.post_run_cell)
    magics.close()
    del ipython._mlops_magics
