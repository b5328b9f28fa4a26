"""The one path jail: a path a user names stays inside the folder it belongs to.

Every path that comes from a request, a pipeline/monitor/gate document or a command
line and must stay below a root goes through :func:`resolve_inside` (or its
non-raising form :func:`inside`). It refuses, before touching the file system,
what MLflow's ``validate_path_is_safe`` refuses and more:

- anything but a non-empty string, or one longer than :data:`MAX_PATH_CHARS`;
- NUL and other control characters, and percent-escapes of ``. / \\`` or NUL left
  after the one decoding a server does (only a double encoding leaves them);
- absolute spellings: ``/x``, ``\\x``, ``~user``, ``C:``;
- ``..`` components (unless the caller allows them: then only the resolved result
  counts), lone surrogates, names longer than :data:`MAX_NAME_BYTES` bytes;

and then resolves the path, symlinks included, and refuses a result outside the
root. :func:`scrub` takes absolute folders out of messages users see.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from .exceptions import NotFoundError, UsageError

#: The longest path accepted (characters).
MAX_PATH_CHARS = 1024
#: The longest file or folder name (NAME_MAX of common file systems).
MAX_NAME_BYTES = 255
# A path that still holds percent-escapes of '.', '/', '\' or NUL after the server
# decoded it once was encoded twice, which only an attack does.
_ENCODED = re.compile(r"%(2e|2f|5c|00)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_SEPARATORS = re.compile(r"[\\/]")


class PathRefusedError(UsageError):
    """A path refused by the jail.

    Attributes:
        reason: why, for callers that word their own message: ``"empty"``,
            ``"too_long"``, ``"characters"``, ``"absolute"``, ``"parent"``,
            ``"unicode"``, ``"name_too_long"``, ``"outside"`` or ``"unreadable"``.
    """

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def quote(value: Any, limit: int = 80) -> str:
    """``value`` for a message: repr, cut to ``limit`` characters."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")


def check_relative(relative: Any, *, what: str = "path", within: str = "the server root",
                   parent_refs: bool = False) -> str:
    """The lexical checks of :func:`resolve_inside` (no file system access).

    Raises:
        PathRefusedError: see the module docstring.
    """
    if not isinstance(relative, str) or not relative.strip():
        raise PathRefusedError(f"{what} must be a non-empty path relative to {within}", "empty")
    if len(relative) > MAX_PATH_CHARS:
        raise PathRefusedError(f"{what} is too long", "too_long")
    if _CONTROL.search(relative) or _ENCODED.search(relative):
        raise PathRefusedError(f"{what} holds characters that are not allowed in a path",
                               "characters")
    if relative.startswith(("/", "\\", "~")) or _DRIVE.match(relative):
        raise PathRefusedError(f"{what} must be relative to {within}", "absolute")
    parts = _SEPARATORS.split(relative)
    if not parent_refs and ".." in parts:
        raise PathRefusedError(f"{what} may not contain '..'", "parent")
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        raise PathRefusedError(f"{what} holds invalid Unicode (a lone surrogate)",
                               "unicode") from None
    if any(len(part.encode("utf-8")) > MAX_NAME_BYTES for part in parts):
        raise PathRefusedError(f"{what} has a file or folder name longer than "
                               f"{MAX_NAME_BYTES} bytes", "name_too_long")
    return relative


def resolve_inside(root: Path | str, relative: Any, *, what: str = "path",
                   within: str = "the server root", must_exist: bool = False,
                   parent_refs: bool = False) -> Path:
    """The file ``relative`` names inside ``root``, resolved (symlinks too).

    Args:
        root: the folder the path may not leave.
        relative: the path as the user gave it.
        what: how messages name the path (``"target"``, ``"data 'x.csv'"``).
        within: how messages name the root (``"the server root"``).
        must_exist: raise NotFoundError when nothing is there.
        parent_refs: accept ``..`` components whose result stays inside (documents
            such as pipeline.yaml); requests never get this.

    Raises:
        PathRefusedError: refused (see the module docstring), or the resolved path
            leaves ``root`` (reason ``"outside"``) or cannot be resolved.
        NotFoundError: ``must_exist`` and nothing is there.
    """
    check_relative(relative, what=what, within=within, parent_refs=parent_refs)
    base = Path(root).expanduser().resolve()
    try:
        resolved = (base / relative).resolve()
        if not resolved.is_relative_to(base):
            raise PathRefusedError(f"{what} leads outside {within}", "outside")
        exists = resolved.exists() if must_exist else True
    except (OSError, RuntimeError):  # e.g. a symlink loop, a name the system refuses
        raise PathRefusedError(f"{what} {quote(relative)} cannot be opened",
                               "unreadable") from None
    if not exists:
        raise NotFoundError(f"{what} {quote(relative)} does not exist")
    return resolved


def inside(root: Path | str, relative: Any, *, parent_refs: bool = True) -> Path | None:
    """``root/relative`` resolved if the jail accepts it, else None (never raises)."""
    try:
        return resolve_inside(root, relative, parent_refs=parent_refs)
    except UsageError:
        return None


def relative_to_root(root: Path | str, path: Path | str) -> str:
    """``path`` (inside ``root``) as the root-relative POSIX path JupyterLab uses.

    Raises:
        PathRefusedError: ``path`` is not inside ``root``.
    """
    base = Path(root).expanduser().resolve()
    try:
        return Path(path).resolve().relative_to(base).as_posix()
    except ValueError:
        raise PathRefusedError("the path leads outside its root", "outside") from None


def relative_if_inside(root: Path | str, path: Path | str) -> str | None:
    """``path`` (absolute, symlinks resolved) relative to ``root`` as a POSIX path, or
    None when it is not absolute, not inside ``root`` or cannot be resolved — for
    showing a file the store or a status names without its absolute location."""
    path = Path(path)
    if not path.is_absolute():
        return None
    try:
        return relative_to_root(root, path)
    except (PathRefusedError, OSError, RuntimeError):
        return None


def scrub(message: str, *roots: Path | str | None) -> str:
    """``message`` with every absolute ``roots`` folder replaced by a relative spelling.

    Both the spelling given and the resolved one (symlinks) are replaced: a file
    below a root loses the root (``/srv/work/a.yaml`` -> ``a.yaml``), the root
    itself becomes ``.``. ``None`` roots are skipped, ``/`` is never replaced.
    """
    for root in roots:
        if root is None:
            continue
        root = Path(root)
        for spelling in sorted({str(root), str(root.resolve())}, key=len, reverse=True):
            if spelling and spelling != "/":
                message = message.replace(spelling + os.sep, "").replace(spelling, ".")
    return message
