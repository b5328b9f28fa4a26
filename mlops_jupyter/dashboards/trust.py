"""Signatures of published dashboards: only what ``mlops dashboard publish`` wrote runs.

A dashboard is executed by Voila for anyone holding the token, so "a notebook in the
folder whose metadata says ``mlops_dashboard``" is not enough: anyone who can drop a
file there could run code as the server. :func:`mlops_jupyter.dashboards.publish.publish`
therefore signs every notebook it writes with nbformat's notary
(:class:`nbformat.sign.NotebookNotary`: an HMAC of the whole notebook, kept in a
signature database), and Voila's prelaunch hook (:mod:`.hooks`) executes a notebook
only when the file on disk carries a known signature — a hand-written notebook or a
published one changed afterwards is refused with 403 before any kernel starts.

The secret key and the signature database live in the mlops-jupyter home
(``<home>/dashboard-trust/``, mode 0700), never in the user's Jupyter data
directory: trusting a notebook in JupyterLab must not make it a dashboard.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from .. import config
from ..exceptions import ConfigurationError

TRUST_DIR = "dashboard-trust"
SECRET_FILE = "secret"
DB_FILE = "signatures.db"


def trust_dir(create: bool = False) -> Path:
    """``<home>/dashboard-trust``: the signing key and the signature database."""
    folder = config.home_dir(create=create) / TRUST_DIR
    if create:
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            os.chmod(folder, 0o700)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot create the dashboard signing folder: {exc.strerror}") from None
    return folder


@contextlib.contextmanager
def notary(create: bool = False) -> Iterator:
    """The notary of the home, or None when nothing was ever signed there (and
    ``create`` is False): then no notebook is trusted, and no key is made up."""
    from nbformat.sign import NotebookNotary

    folder = trust_dir(create=create)
    secret, database = folder / SECRET_FILE, folder / DB_FILE
    if not create and not (secret.is_file() and database.is_file()):
        yield None
        return
    if create and not secret.exists():
        _write_secret(secret)
    with NotebookNotary(data_dir=str(folder), secret_file=str(secret),
                        db_file=str(database)) as found:
        yield found


def _write_secret(path: Path) -> None:
    # Created 0600 from the start (the notary itself writes, then chmods).
    import secrets

    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise ConfigurationError(f"cannot create the dashboard signing key: {exc.strerror}") \
            from None
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(secrets.token_bytes(64))


def read(path: str | os.PathLike):
    """The notebook at ``path`` read as nbformat 4, or None when it is not one."""
    import nbformat

    try:
        with open(path, encoding="utf-8") as stream:
            return nbformat.read(stream, as_version=4)
    except Exception:  # noqa: BLE001 - unreadable, not JSON, not a notebook: not signed
        return None


def sign_file(path: str | os.PathLike) -> None:
    """Sign the notebook file ``path`` as it is on disk (just written by publish).

    Raises:
        ConfigurationError: the file cannot be read back or the key not created.
    """
    notebook = read(path)
    if notebook is None:
        raise ConfigurationError(f"cannot read back the dashboard {Path(path).name!r}")
    with notary(create=True) as found:
        found.sign(notebook)


def unsign_file(path: str | os.PathLike) -> None:
    """Forget the signature of the notebook at ``path`` (it is being replaced)."""
    notebook = read(path)
    if notebook is None:
        return
    with notary() as found:
        if found is not None:
            found.unsign(notebook)


def read_signed(path: str | os.PathLike, found=None):
    """The notebook at ``path`` when its signature is known, else None.

    Args:
        path: A notebook file.
        found: An open notary (from :func:`notary`) to reuse for many files.
    """
    notebook = read(path)
    if notebook is None:
        return None
    if found is None:
        with notary() as opened:
            return notebook if opened is not None and opened.check_signature(notebook) \
                else None
    return notebook if found.check_signature(notebook) else None
