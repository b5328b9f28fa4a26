"""Words for counts, one rule everywhere: ``1 column``, ``2 columns``, ``1 alert``,
``0 checks`` — never ``column(s)``."""

from __future__ import annotations

#: Nouns whose plural is not the singular + "s".
IRREGULAR = {"was": "were", "is": "are", "has": "have", "this": "these", "entry": "entries",
             "retry": "retries", "match": "matches", "batch": "batches"}


def plural(count: float | None, singular: str, many: str | None = None) -> str:
    """``count`` followed by ``singular`` or its plural form.

    Args:
        count: How many (None counts as 0); whole counts of 1000 and more get
            thousands separators.
        singular: The noun for one (``"column"``, ``"drift check"``).
        many: The plural when it is not the singular + "s" and not in
            :data:`IRREGULAR`.

    >>> plural(1, "column"), plural(2, "column"), plural(0, "alert")
    ('1 column', '2 columns', '0 alerts')
    """
    number = 0 if count is None else count
    return f"{_number(number)} {noun(number, singular, many)}"


def noun(count: float | None, singular: str, many: str | None = None) -> str:
    """The noun alone, in the form ``count`` needs (``columns drifted`` after a
    number written elsewhere)."""
    if count == 1:
        return singular
    if many is not None:
        return many
    head, _, last = singular.rpartition(" ")
    word = IRREGULAR.get(last) or (last[:-1] + "ies" if last.endswith("y") and len(last) > 1
                                   and last[-2] not in "aeiou" else last + "s")
    return f"{head} {word}" if head else word


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


__all__ = ["IRREGULAR", "noun", "plural"]
