"""Reading the YAML documents users write (pipeline.yaml, monitor.yaml, gate blocks).

One safe way for every validator: a bounded read, ``yaml.safe_load`` (never a
Python object), bounds on size, nesting depth and node count (YAML aliases can make
a small file expand into a huge structure), and one-line errors that name the line
or the key path at fault. The validators then check their own fields and word their
own messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .exceptions import NotFoundError, UsageError

#: The largest document read (bytes).
MAX_DOCUMENT_BYTES = 512 * 1024
#: How deeply mappings and lists may nest.
MAX_DEPTH = 32
#: How many values a document may hold once aliases are expanded.
MAX_NODES = 100_000


class DocumentError(UsageError):
    """A document that is not readable YAML, or too large or deep.

    Attributes:
        where: ``"line N"`` when the parser knows it, else ``"YAML"``.
        problem: what is wrong, one line.
    """

    def __init__(self, name: str, where: str, problem: str):
        super().__init__(f"{name}: {where}: {problem}")
        self.where = where
        self.problem = problem


def read_document(path: str | Path, *, what: str = "file") -> str:
    """The text of ``path``, at most :data:`MAX_DOCUMENT_BYTES`.

    Raises:
        NotFoundError: no such file.
        UsageError: unreadable, not UTF-8, or too large.
    """
    file = Path(path)
    if not file.is_file():
        raise NotFoundError(f"no {what} {str(path)!r}")
    try:
        if file.stat().st_size > MAX_DOCUMENT_BYTES:
            raise UsageError(f"{file.name} is larger than {MAX_DOCUMENT_BYTES // 1024} KiB")
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {file.name}: {exc}") from None


def load_yaml(text: str, name: str) -> Any:
    """``yaml.safe_load(text)`` within the bounds above.

    Args:
        text: the document.
        name: how messages name it (the file name).

    Raises:
        DocumentError: not YAML, or over a bound.
    """
    import yaml

    if len(text.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES:
        raise DocumentError(name, "YAML", f"larger than {MAX_DOCUMENT_BYTES // 1024} KiB")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "YAML"
        problem = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
        raise DocumentError(name, where, problem) from None
    except RecursionError:
        raise DocumentError(name, "YAML", f"nested deeper than {MAX_DEPTH} levels") from None
    _check_shape(data, name)
    return data


def _check_shape(data: Any, name: str) -> None:
    nodes = 0
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise DocumentError(name, "YAML", f"more than {MAX_NODES} values (aliases "
                                              "expanded)")
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise DocumentError(name, "YAML", f"nested deeper than {MAX_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((item, depth + 1) for _key, item in items)


def unknown_keys(mapping: dict, allowed: Iterable[str]) -> list[str]:
    """The keys of ``mapping`` not in ``allowed``, sorted, as text."""
    return sorted({str(key) for key in mapping} - set(allowed))
