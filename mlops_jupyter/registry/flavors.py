"""Which MLflow flavor can log an object — decided without importing ML libraries.

sklearn and torch are imported only when the object's own type comes from them,
so checking a DataFrame or an int never pays for ``import torch``.
"""

from __future__ import annotations

import sys
from typing import Any

from ..exceptions import UsageError

SKLEARN = "sklearn"
PYTORCH = "pytorch"
SUPPORTED = (SKLEARN, PYTORCH)


def _type_modules(obj: Any) -> list[str]:
    return [getattr(cls, "__module__", "") or "" for cls in type(obj).__mro__]


def _is_torch_module(obj: Any, modules: list[str]) -> bool:
    if not any(module.split(".")[0] == "torch" for module in modules):
        return False
    torch = sys.modules.get("torch")  # loaded already, since the object's class is from it
    return torch is not None and isinstance(obj, torch.nn.Module)


def _is_sklearn_estimator(obj: Any, modules: list[str]) -> bool:
    if not (callable(getattr(obj, "fit", None)) and callable(getattr(obj, "predict", None))):
        return False
    if any(module.split(".")[0] == "sklearn" for module in modules):
        return True
    base = sys.modules.get("sklearn.base")  # a third-party estimator subclassing sklearn's
    return base is not None and isinstance(obj, base.BaseEstimator)


def looks_like_model(obj: Any) -> bool:
    """True for anything model-shaped: an estimator API or a torch module."""
    return (callable(getattr(obj, "predict", None)) and callable(getattr(obj, "fit", None))) or \
        _is_torch_module(obj, _type_modules(obj)) or \
        callable(getattr(obj, "forward", None))


def detect_flavor(obj: Any, var: str | None = None) -> str:
    """Return ``"sklearn"`` or ``"pytorch"`` for ``obj``.

    Args:
        obj: the object to register.
        var: the variable name it came from, for messages (defaults to its type).

    Raises:
        UsageError: ``obj`` is not a model at all (a DataFrame, a number...), or a
            model of a kind we do not register (e.g. a Keras model).
    """
    modules = _type_modules(obj)
    if _is_torch_module(obj, modules):
        return PYTORCH
    if _is_sklearn_estimator(obj, modules):
        return SKLEARN
    kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if looks_like_model(obj):
        raise UsageError(f"unsupported object type {kind}: register a scikit-learn estimator "
                         "or a torch nn.Module")
    label = var or f"the {type(obj).__qualname__} object"
    raise UsageError(f"{label} is not a model (it is a {kind}): register a scikit-learn "
                     "estimator or a torch nn.Module")
