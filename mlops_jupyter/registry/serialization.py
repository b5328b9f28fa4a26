"""How a registered model is serialized, and which types loading it may build.

The one place that decides it, at save time and again before a load.

scikit-learn models are stored in skops format (MLflow 3's default): loading one
builds only the types it is told to trust, never runs pickle's arbitrary callables.
skops trusts plain estimators out of the box but not, for instance, the
``sklearn.tree._tree.Tree`` every tree ensemble holds, so without more a
``RandomForestClassifier`` cannot be loaded back. The types a model needs beyond
skops' defaults are computed when it is saved, from the model's own object graph
(the skops schema), and each must pass :func:`refused_reason`:

* an *instance* (an object rebuilt from its state) of a class from scikit-learn,
  NumPy or ``scipy.sparse`` — minus their test, dataset and file helpers;
* an object built by *calling* its class with arguments from the file (skops'
  reduce nodes, e.g. a tree's node storage) only for scikit-learn classes;
* a *reference* to a callable (a function, a class as a value, a bound method)
  only from ``sklearn.metrics`` and ``sklearn.feature_selection`` (score
  functions); NumPy/SciPy ufuncs are trusted by skops itself.

The result is stored with the model (``skops_trusted_types`` in its MLmodel), so
MLflow's own loader (``mlflow.pyfunc.load_model``) loads it. A model needing
anything else (a class defined in the notebook, a lambda, a pandas object) is
refused at registration with one line naming the type.

The trusted list in an MLmodel is written by whoever wrote the model, so before a
load :func:`check_model_dir` recomputes it from the model file itself and refuses
a model whose file or MLmodel trusts more, a scikit-learn or torch model in pickle
format, code shipped with the model, or a pyfunc loader other than scikit-learn's
and torch's. :func:`load_checked` is that check followed by MLflow's own loader.

Torch modules are saved in ``pt2`` format (``torch.export``: the traced graph and
its tensors, no pickle), which needs an input example to trace. MLflow's loader
would also load a pickled module (``model.pth``), and checks a ``pt2`` archive for
pickle payloads only when pickle loading is off process-wide (which also refuses
every skops model), so :func:`check_model_dir` refuses the former and runs that
check itself.

Trees (``sklearn.tree._tree.Tree``, the histogram-boosting ``TreePredictor``)
hold raw node indices that scikit-learn follows without bounds checks: a crafted
file can crash the process that predicts with it. That is why only versions stored
in the registry's own artifact store are loaded, in a process of their own.
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any

from ..exceptions import UsageError
from . import flavors

SKOPS = "skops"
PT2 = "pt2"

# Classes whose objects may be rebuilt from their state (``cls.__new__`` + state).
INSTANCE_PREFIXES = ("sklearn.", "numpy.", "scipy.sparse.")
# Classes that may be *called* with arguments read from the file.
CONSTRUCTED_PREFIXES = ("sklearn.",)
# Callables that may be stored as values (an estimator's ``score_func``, ``metric``).
REFERENCE_PREFIXES = ("sklearn.metrics.", "sklearn.feature_selection.")
# Never, whatever the prefix says: test/dataset helpers, vendored code, file access.
EXCLUDED_PREFIXES = (
    "sklearn.externals.", "sklearn.utils._testing", "sklearn.datasets.",
    "sklearn.utils._joblib", "numpy.lib.", "numpy.testing.", "numpy.f2py.",
    "numpy.distutils.", "numpy.ctypeslib", "numpy.memmap", "numpy.DataSource",
)

# skops loaders, by what they do with the named type.
_INSTANCE_LOADERS = frozenset({"ObjectNode", "NdArrayNode", "MaskedArrayNode", "DTypeNode",
                               "SparseMatrixNode", "RandomStateNode", "RandomGeneratorNode"})
_CONSTRUCTING_LOADERS = frozenset({"ReduceNode", "TreeNode", "LossNode",
                                   "ConstructorFromReduceNode", "QuantileForestNode",
                                   # containers: their (sub)class is called, then filled
                                   "DictNode", "DefaultDictNode", "ListNode", "SetNode",
                                   "TupleNode", "SliceNode"})
_REFERENCE_LOADERS = frozenset({"FunctionNode", "TypeNode", "MethodNode", "PartialNode",
                                "OperatorFuncNode"})

_PYFUNC_LOADERS = {"mlflow.sklearn", "mlflow.pytorch"}
_MAX_LISTED = 3

# Importing skops.io computes its default trusted types from scikit-learn's
# ``all_estimators()``, which imports every scikit-learn package it walks, among them
# the vendored array-API adapters for torch, dask and cupy: they import those
# libraries (torch alone ~1.5 s, then ~1000 more modules for skops' ``whichmodule``
# to scan). No estimator lives there, so skops' default lists are the same without
# them (checked: the same 528 names either way); they are refused for the duration
# of that one import only. Later imports of them (array-API dispatch on torch or
# dask arrays) work as usual.
_SKIPPED_ON_SKOPS_IMPORT = frozenset(f"sklearn.externals.array_api_compat.{name}"
                                     for name in ("torch", "dask", "cupy"))
_SKOPS_IMPORT = threading.Lock()


class _SkipArrayAdapters:
    """A ``sys.meta_path`` finder refusing :data:`_SKIPPED_ON_SKOPS_IMPORT`."""

    def find_spec(self, name, path=None, target=None):
        """Refuse the skipped modules; ``None`` (not mine) for every other."""
        if name in _SKIPPED_ON_SKOPS_IMPORT:
            raise ModuleNotFoundError(f"skipped while importing skops: {name}", name=name)


def import_skops():
    """``skops.io``, imported without pulling in torch or dask (see above) when it
    is not imported yet."""
    if "skops.io" not in sys.modules:
        with _SKOPS_IMPORT:
            if "skops.io" not in sys.modules:
                finder = _SkipArrayAdapters()
                sys.meta_path.insert(0, finder)
                try:
                    import skops.io
                finally:
                    sys.meta_path.remove(finder)
    import skops.io  # waits for an import another thread has under way

    return skops.io


def refused_reason(name: str, loaders: set[str]) -> str | None:
    """Why type ``name``, built by the skops ``loaders``, is not trusted (None: trusted)."""
    if not loaders:
        return "not found in the model's schema"
    if name.startswith(EXCLUDED_PREFIXES):
        return "excluded"
    for loader in sorted(loaders):
        if loader in _INSTANCE_LOADERS:
            allowed = INSTANCE_PREFIXES
        elif loader in _CONSTRUCTING_LOADERS:
            allowed = CONSTRUCTED_PREFIXES
        elif loader in _REFERENCE_LOADERS:
            allowed = REFERENCE_PREFIXES
        else:
            return f"built by an unreviewed skops loader ({loader})"
        if not name.startswith(allowed):
            return "outside scikit-learn, NumPy and SciPy" if loader in _INSTANCE_LOADERS \
                else f"a stored callable, {loader}"
    return None


def _schema_loaders(schema: Any) -> dict[str, set[str]]:
    """``{"module.Class": {skops loaders building it}}`` over the whole schema tree."""
    found: dict[str, set[str]] = {}
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            loader = node.get("__loader__")
            if isinstance(loader, str):
                name = f"{node.get('__module__')}.{node.get('__class__')}"
                found.setdefault(name, set()).add(loader)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _read_schema(data: bytes | None = None, file: str | os.PathLike | None = None) -> Any:
    with zipfile.ZipFile(io.BytesIO(data) if data is not None else file) as archive:
        return json.loads(archive.read("schema.json"))


def trusted_types(*, data: bytes | None = None, file: str | os.PathLike | None = None,
                  label: str = "the model") -> list[str]:
    """The types beyond skops' defaults that loading this skops dump needs.

    Args:
        data: the dump as bytes (``skops.io.dumps``), or
        file: a ``.skops`` file.
        label: how to name the model in the error.

    Raises:
        UsageError: the dump needs a type the allow-list does not trust.
    """
    skops_io = import_skops()
    try:
        untrusted = skops_io.get_untrusted_types(data=data, file=file)
        loaders = _schema_loaders(_read_schema(data, file))
    except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        raise UsageError(f"{label} is not a readable skops file "
                         f"({type(exc).__name__})") from None
    refused = [(name, reason) for name in untrusted
               if (reason := refused_reason(name, loaders.get(name, set())))]
    if refused:
        listed = "; ".join(f"{name[:120]} ({reason})" for name, reason in refused[:_MAX_LISTED])
        more = f" and {len(refused) - _MAX_LISTED} more" if len(refused) > _MAX_LISTED else ""
        raise UsageError(f"{label} contains types that are not loaded back safely: "
                         f"{listed}{more}; only scikit-learn, NumPy and SciPy types are trusted")
    return sorted(untrusted)


def save_options(model: Any, flavor: str, label: str = "the model",
                 input_example: Any = None) -> dict[str, Any]:
    """Keyword arguments for the flavor's ``save_model``.

    For scikit-learn: skops format and the trusted types this model needs. For torch:
    ``pt2`` (``torch.export``), traced from ``input_example``, which is required.

    Raises:
        UsageError: the model cannot be stored in skops format, or needs a type
            outside the allow-list (a class defined in the notebook, a lambda...).
    """
    if flavor == flavors.PYTORCH:
        if input_example is None:
            raise UsageError(f"{label} is a torch module: give an input example "
                             "(input_example= / --input-example); its graph is exported "
                             "from it, so no pickle is stored")
        return {"serialization_format": PT2}
    skops_io = import_skops()
    try:
        data = skops_io.dumps(model)
    except Exception as exc:  # noqa: BLE001 - skops raises many kinds for what it cannot store
        detail = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        raise UsageError(f"{label} cannot be stored in skops format (lambdas, local "
                         f"functions and classes are not): {type(exc).__name__}"
                         f"{': ' + detail if detail else ''}") from None
    return {"serialization_format": SKOPS,
            "skops_trusted_types": trusted_types(data=data, label=label) or None}


def save_model(model: Any, flavor: str, path: str, options: dict[str, Any],
               **kwargs: Any) -> None:
    """Save ``model`` as an MLflow model folder at ``path`` with :func:`save_options`
    ``options`` (and ``kwargs`` for the flavor's ``save_model``), then run the check
    a loader will run (:func:`check_model_dir`), so what registers loads back.

    Raises:
        UsageError: the flavor cannot store it (e.g. ``torch.export`` cannot trace a
            module whose control flow depends on the data), or the check refuses it.
    """
    from mlflow.exceptions import MlflowException

    if flavor == flavors.PYTORCH:
        import mlflow.pytorch as module
    else:
        import mlflow.sklearn as module
    try:
        module.save_model(model, path, **kwargs, **options)
    except Exception as exc:  # noqa: BLE001 - torch.export and skops raise many kinds
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        how = "export the torch module (torch.export)" if flavor == flavors.PYTORCH \
            else "store the model"
        kind = "" if isinstance(exc, MlflowException) else f"{type(exc).__name__}: "
        raise UsageError(f"cannot {how}: {kind}{first}") from None
    check_model_dir(path)


def check_model_dir(path: str | os.PathLike) -> dict[str, Any]:
    """Refuse a downloaded MLflow model directory that loading would make unsafe.

    Call it on the local copy right before ``mlflow.pyfunc.load_model(path)``. It
    reads files only (the MLmodel and the skops schema); nothing is unpickled or built.

    Returns:
        The MLmodel's flavors (as MLflow parsed them).

    Raises:
        UsageError: no MLmodel; a pyfunc loader other than scikit-learn's or
            torch's; code shipped with the model; a scikit-learn model not in skops
            format, or whose file or declared trusted types need a type outside
            the allow-list; a torch model not in pt2 format or with pickle records.
    """
    from mlflow.models import Model

    root = Path(path)
    try:
        flavors = Model.load(str(root)).flavors
    except Exception:  # noqa: BLE001 - missing or malformed MLmodel: one line, no path
        raise UsageError("refused model: no readable MLmodel file") from None
    pyfunc = flavors.get("python_function") or {}
    loader = pyfunc.get("loader_module")
    if loader not in _PYFUNC_LOADERS:
        raise UsageError(f"refused model: loader {str(loader)[:60]!r} is not scikit-learn's "
                         "or torch's")
    for conf in flavors.values():
        if isinstance(conf, dict) and conf.get("code"):
            raise UsageError("refused model: it ships code to import")
    if loader == "mlflow.sklearn":
        _check_sklearn(root, flavors.get("sklearn") or {}, pyfunc)
    else:
        _check_torch(root, pyfunc)
    return flavors


def load_checked(path: str | os.PathLike, *, dependency_warnings: bool = True):
    """:func:`check_model_dir`, then MLflow's own loader on the same local folder.

    Args:
        path: the local model folder.
        dependency_warnings: let MLflow warn when the model's recorded requirements
            or Python version differ from this environment's. Warnings only (nothing
            is refused or allowed by them); MLflow's check maps every installed
            distribution's modules, ~1 s, so a server starting up skips it.

    Returns:
        The ``mlflow.pyfunc.PyFuncModel``.

    Raises:
        UsageError: the model is refused, or MLflow cannot load it.
    """
    check_model_dir(path)
    import mlflow.pyfunc
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.pyfunc.load_model(str(path),
                                        suppress_warnings=not dependency_warnings)
    except MlflowException as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise UsageError(f"cannot load the model: {first}") from None


def _inside(root: Path, relative: Any) -> Path:
    path = (root / str(relative or "")).resolve()
    if not path.exists() or root.resolve() not in path.parents:
        raise UsageError("refused model: its model file is missing or outside the model")
    return path


def _check_torch(root: Path, pyfunc: dict[str, Any]) -> None:
    from mlflow.exceptions import MlflowException
    from mlflow.pytorch import _validate_pt2_archive_is_pickle_free

    data = _inside(root, pyfunc.get("data"))
    archive = data / "model.pt2" if data.is_dir() else data
    if not archive.is_file() or (data.is_dir() and (data / "model.pth").exists()):
        raise UsageError("refused model: a torch model not in pt2 format (pickle runs code "
                         "on load); register it again with mlops")
    # MLflow runs this check only when pickle loading is switched off process-wide,
    # which would also switch off skops; so it is run here, for every load.
    try:
        _validate_pt2_archive_is_pickle_free(str(archive))
    except MlflowException:
        raise UsageError("refused model: its pt2 archive is not verifiably free of pickle "
                         "payloads (a pickle record, or torch older than 2.10)") from None


def _check_sklearn(root: Path, conf: dict[str, Any], pyfunc: dict[str, Any]) -> None:
    if conf.get("serialization_format") != SKOPS:
        raise UsageError("refused model: a scikit-learn model not in skops format (pickle "
                         "runs code on load); register it again with mlops")
    data_path = _inside(root, pyfunc.get("model_path") or conf.get("pickled_model"))
    if not data_path.is_file():
        raise UsageError("refused model: its model file is missing or outside the model")
    trusted_types(file=data_path, label="the model file")  # what the file needs passes
    declared = conf.get("skops_trusted_types") or []
    if not isinstance(declared, list) or not all(isinstance(n, str) for n in declared):
        raise UsageError("refused model: malformed skops_trusted_types")
    # What the MLmodel trusts must pass too, for every way the file uses it (a name
    # the file does not use is never consulted by skops).
    loaders = _schema_loaders(_read_schema(file=data_path))
    refused = [name for name in declared
               if name in loaders and refused_reason(name, loaders[name])]
    if refused:
        raise UsageError(f"refused model: it trusts types outside the allow-list "
                         f"({', '.join(n[:120] for n in refused[:_MAX_LISTED])})")
