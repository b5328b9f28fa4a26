"""The models an endpoint serves, and how it follows their aliases.

Each role (champion, challenger, shadow) has a :class:`Slot` holding the
:class:`Loaded` model that answers now. A :class:`Follower` thread asks the registry
every poll interval which version each alias names; when it moved, the new version
is loaded with :func:`registry.safety.load_pyfunc` (the only loader), checked (a
signature; a prediction on its stored input example) and swapped in with one
reference assignment. A version that fails is refused and not retried until the
alias moves again; the old model keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import protocol

LOG = logging.getLogger("mlops_jupyter.serving")
MAX_SWAPS = 50


@dataclass
class Loaded:
    """One loaded, checked model version."""

    model: Any
    name: str
    alias: str
    version: str
    schema: list[tuple[str, str, bool]] | None
    input_schema: Any
    check: str
    since: float = field(default_factory=time.time)

    def predict(self, data: Any) -> Any:
        """The model's predictions on a frame (or MLflow-parsed input)."""
        return self.model.predict(data)


def _example(model: Any) -> Any:
    try:
        return model.input_example
    except Exception:  # noqa: BLE001 - a missing or unreadable example
        return None


def warm_up() -> None:
    """Import what loading a scikit-learn model needs (skops, scikit-learn) first,
    before MLflow: skops' import scans every loaded module once per NumPy/SciPy ufunc
    (~850) to name its default trusted types, so it is ~0.5 s cheaper while MLflow's
    ~1000 modules are not loaded yet (the names it finds are the same). A torch model
    pays it for nothing (~1.5 s, less than importing torch itself)."""
    from ..registry import serialization

    serialization.import_skops()


def load(name: str, alias: str, version: str) -> Loaded:
    """Load ``name`` version ``version`` and check it.

    Raises:
        Exception: it does not load, has no signature, or fails on its input example.
    """
    from ..registry import safety

    # MLflow's requirement-mismatch warnings cost ~1 s per process (a map of every
    # installed distribution's modules) and hold the GIL during a swap: skipped.
    model = safety.load_pyfunc(f"models:/{name}/{version}", dependency_warnings=False)
    try:
        input_schema = model.metadata.get_input_schema()
    except Exception:  # noqa: BLE001
        input_schema = None
    if input_schema is None:
        raise ValueError(f"version {version} has no signature")
    loaded = Loaded(model, name, alias, str(version), protocol.named_schema(model),
                    input_schema, "signature")
    example = _example(model)
    if example is not None:
        import pandas as pd

        if loaded.schema is not None and isinstance(example, pd.DataFrame):
            data = protocol.enforce({c: example[c].tolist() for c in example.columns},
                                    loaded.schema)
            frame = to_frame([data])
        else:
            frame = example
        loaded.predict(frame)
        loaded.check = "signature+example"
    return loaded


def to_frame(items: list[protocol.Columns]):
    """One DataFrame of the rows of ``items`` (same columns, in order).

    When every column has the same numeric dtype (the usual case: all doubles) the
    frame is built on one 2-D block, which is several times cheaper than a frame of
    separate columns and makes per-request slices (:func:`slices`) cheap too.
    """
    import numpy as np
    import pandas as pd

    first = items[0].arrays
    names = list(first)
    if all(item.block is not None for item in items):
        block = items[0].block if len(items) == 1 else np.vstack([i.block for i in items])
        return pd.DataFrame(block, columns=names, copy=False)
    dtypes = {array.dtype for array in first.values()}
    if len(dtypes) == 1 and next(iter(dtypes)) != object and names:
        block = np.column_stack([np.concatenate([item.arrays[name] for item in items])
                                 if len(items) > 1 else first[name] for name in names])
        return pd.DataFrame(block, columns=names, copy=False)
    if len(items) == 1:
        return pd.DataFrame(first, copy=False)
    return pd.DataFrame({name: np.concatenate([item.arrays[name] for item in items])
                         for name in names}, copy=False)


def slices(frame, sizes: list[int]) -> list:
    """``frame`` cut into consecutive frames of ``sizes`` rows (for the log)."""
    import pandas as pd

    if len(sizes) == 1:
        return [frame]
    out, start = [], 0
    if len(frame._mgr.blocks) == 1:  # one 2-D block: rebuild light frames on views
        values, columns = frame.to_numpy(copy=False), frame.columns
        for size in sizes:
            out.append(pd.DataFrame(values[start:start + size], columns=columns, copy=False))
            start += size
        return out
    for size in sizes:
        out.append(frame.iloc[start:start + size])
        start += size
    return out


class Slot:
    """The model answering for one role now (swapped by one assignment)."""

    def __init__(self, role: str, alias: str, loaded: Loaded):
        self.role = role
        self.alias = alias
        self.current = loaded
        self.refused: str | None = None


class Follower:
    """Polls the registry for each slot's alias; loads, checks and swaps.

    ``on_swap(entry)`` is called for every switched or refused version with the swap
    record ``{time, role, alias, from_version, to_version, outcome, error}``.
    """

    def __init__(self, slots: dict[str, Slot], interval: float,
                 on_swap: Callable[[dict[str, Any]], None]):
        self.slots = slots
        self.interval = interval
        self.on_swap = on_swap
        self.swaps: list[dict[str, Any]] = []
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mlops-alias-follower",
                                        daemon=True)

    def start(self) -> None:
        """Start polling in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (returns once the thread ended, or after a few seconds)."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for slot in list(self.slots.values()):
                if self._stop.is_set():
                    return
                try:
                    self.poll(slot)
                except Exception as exc:  # noqa: BLE001 - keep following
                    self.last_error = f"cannot read alias {slot.alias!r}: " \
                                      f"{str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}"

    def poll(self, slot: Slot) -> dict[str, Any] | None:
        """Check one slot's alias now; returns the swap record when it moved."""
        from ..registry import common

        version = str(common.resolve_reference(slot.current.name, slot.alias).version)
        if version == slot.current.version:
            slot.refused = None
            return None
        if version == slot.refused:
            return None
        entry = {"time": time.time(), "role": slot.role, "alias": slot.alias,
                 "from_version": slot.current.version, "to_version": version}
        try:
            loaded = load(slot.current.name, slot.alias, version)
        except Exception as exc:  # noqa: BLE001 - any failure refuses the version
            message = (str(exc).splitlines() or [""])[0][:200] or type(exc).__name__
            slot.refused = version
            entry.update(outcome="refused", error=f"{type(exc).__name__}: {message}")
            self.last_error = f"version {version} of {slot.alias!r} refused: {entry['error']}"
            LOG.error("mlops serve: %s", self.last_error)
        else:
            slot.current = loaded  # the swap: in-flight batches keep the old object
            slot.refused = None
            entry.update(outcome="switched", error=None, check=loaded.check)
        self.swaps.append(entry)
        del self.swaps[:-MAX_SWAPS]
        self.on_swap(entry)
        return entry
