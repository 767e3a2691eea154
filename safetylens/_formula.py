"""The spreadsheet-formula guard: cells that Excel would run are made plain text."""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
RISKY_START = r"[=+\-@\t\r]"
"""A regular expression matching the first character of a cell that may be run as a formula."""


def neutralise_formula(value: str) -> str:
    """Make a cell safe to open in a spreadsheet (OWASP CSV-injection advice).

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with a single
    quote so Excel shows it as text instead of running it. Plain numbers such as ``-3.5`` are
    left alone.

    Examples
    --------
    >>> neutralise_formula("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise_formula("-2.5")
    '-2.5'
    >>> neutralise_formula("pt fell")
    'pt fell'
    """
    if value and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value
