"""Reading a user's data file (.csv or .parquet) with one clear error line."""

from __future__ import annotations

from pathlib import Path

from .exceptions import UsageError

SUFFIXES = (".csv", ".parquet")


def read_table(path: str | Path, *, label: str | None = None):
    """A DataFrame from ``path``; the caller checks first that the file exists.

    Args:
        path: a .csv or .parquet file.
        label: how errors name the file (default: its name).

    Raises:
        UsageError: another suffix, or a file the parser refuses (its first line).
    """
    import pandas as pd

    file = Path(path)
    label = label or file.name
    suffix = file.suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(f"{label}: expected a .csv or .parquet file")
    try:
        return pd.read_parquet(file) if suffix == ".parquet" else pd.read_csv(file)
    except Exception as error:  # noqa: BLE001 - any parser failure is the file's problem
        first = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise UsageError(f"cannot read {label}: {first}") from None
