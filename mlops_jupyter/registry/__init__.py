"""Model registry: register, aliases (with history), promotion gate, lineage.

The only package that talks to MLflow's model registry. Nothing here imports
IPython or tornado, and MLflow is imported inside functions so importing this
package stays cheap for the magics.
"""

from __future__ import annotations

from .aliases import alias_history, rollback, set_alias
from .gate import evaluate_gate, promote
from .lineage import lineage, render_tree
from .policy import parse_threshold
from .register import register_model

__all__ = [
    "alias_history",
    "evaluate_gate",
    "lineage",
    "parse_threshold",
    "promote",
    "register_model",
    "render_tree",
    "rollback",
    "set_alias",
]
