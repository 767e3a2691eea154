"""Rendering names a user supplied (column names, group values, sheet names) for a message.

Any message may end up in a log, a ticket or an e-mail, and a "column name" is sometimes the
first report of a headerless export. Every command renders user-supplied names through
:func:`shown` and :func:`column_list`, which hide anything that could be report text or an
identifier.
"""

from __future__ import annotations

import re

_MAX_CHARS = 40
_MAX_WORDS = 5
_IDENTIFIER = re.compile(
    r"\d{4,}"  # NHS numbers, MRNs, phone numbers, years in dates of birth
    r"|\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}"  # dates
    r"|@"  # e-mail addresses
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b",  # postcodes
    re.IGNORECASE,
)
HIDDEN = "(not shown: looks like report text)"


def looks_like_text(name) -> bool:
    """True for a name that could be report text or an identifier rather than a column name.

    Examples
    --------
    >>> looks_like_text("Describe what happened")
    False
    >>> looks_like_text("IN07")
    False
    >>> looks_like_text("Pt fell at 0300 on ward 7 and was found by the HCA")
    True
    >>> looks_like_text("943 476 5919"), looks_like_text("jo@nhs.net"), looks_like_text("SW1A 1AA")
    (True, True, True)
    """
    name = str(name)
    return (
        len(name) > _MAX_CHARS
        or len(name.split()) > _MAX_WORDS
        or any(ord(ch) < 32 for ch in name)
        or bool(_IDENTIFIER.search(name))
    )


def shown(name) -> str:
    """A user-supplied name, safe to print: quoted, or a placeholder when it looks like text.

    Examples
    --------
    >>> shown("site")
    "'site'"
    >>> shown("Mr Smith 12/03/1954")
    '(not shown: looks like report text)'
    """
    return HIDDEN if looks_like_text(name) else repr(str(name))


def column_list(columns, limit: int = 30) -> str:
    """A list of column names for a message, hiding the ones that look like report text.

    Examples
    --------
    >>> column_list(["id", "date", "Pt found on floor by bed, no injury, obs fine"])
    "'id', 'date' (1 column not shown: it looks like report text)"
    """
    columns = [str(c) for c in columns]
    safe = [c for c in columns if not looks_like_text(c)]
    hidden = len(columns) - len(safe)
    text = ", ".join(repr(c) for c in safe[:limit]) or "(none shown)"
    if len(safe) > limit:
        text += f", ... ({len(safe)} in all)"
    if hidden:
        text += (
            f" ({hidden} column not shown: it looks like report text)"
            if hidden == 1
            else f" ({hidden} columns not shown: they look like report text)"
        )
    return text
