"""The one place the review modules import other safetylens helpers from.

The readers, the formula guard, atomic writing, redaction, dates and model cards may move
between modules; only this file then needs repointing. Nothing here imports pandas at import
time.
"""

from __future__ import annotations

from safetylens._classify import find_text_column
from safetylens._dates import parse_date
from safetylens._formula import neutralise_formula
from safetylens._modelcard import read_card, sha256_file
from safetylens._readers import iter_table, read_table
from safetylens._redact import redact
from safetylens._writers import atomic_path, check_not_same_file
from safetylens.taxonomy import LABELS, join_labels, parse_labels

__all__ = [
    "LABELS",
    "atomic_path",
    "check_not_same_file",
    "find_text_column",
    "iter_table",
    "join_labels",
    "neutralise_formula",
    "parse_date",
    "parse_labels",
    "read_card",
    "read_table",
    "redact",
    "sha256_file",
]
