"""The information-linked incident categories, in their fixed order, and the taxonomy's text.

The full text (definitions, typical signals, what each label is not, and the v1.1 decision rules
for borderline reports) ships inside the package: :func:`taxonomy_text` returns it, for
reviewers and for the review workbook's Guide sheet.
"""

from __future__ import annotations

LABELS: tuple[str, ...] = (
    "records_unavailable",
    "patient_identification",
    "medication_information",
    "test_results",
    "communication_handover",
    "documentation_quality",
    "it_system",
)
"""Label names in taxonomy order; outputs always list labels in this order."""

LABEL_SEPARATOR = ";"
"""Separator used when several labels are written in one text cell."""


def parse_labels(cell: object) -> list[str]:
    """Split a ``labels`` cell (``"a;b"``, empty or missing) into a list in taxonomy order.

    Parameters
    ----------
    cell : object
        A string such as ``"it_system;records_unavailable"``, an empty string, ``None`` or NaN.

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        If a name is not one of :data:`LABELS`.

    Examples
    --------
    >>> parse_labels("it_system; records_unavailable")
    ['records_unavailable', 'it_system']
    >>> parse_labels(None)
    []
    """
    if cell is None or (isinstance(cell, float) and cell != cell):
        return []
    names = {
        part.strip() for part in str(cell).replace(",", LABEL_SEPARATOR).split(LABEL_SEPARATOR)
    }
    names.discard("")
    unknown = sorted(names.difference(LABELS))
    if unknown:
        raise ValueError(f"unknown label(s) {unknown}; expected some of {list(LABELS)}")
    return [label for label in LABELS if label in names]


def join_labels(labels) -> str:
    """Join label names with ``;`` in taxonomy order.

    Examples
    --------
    >>> join_labels(["it_system", "records_unavailable"])
    'records_unavailable;it_system'
    """
    chosen = set(labels)
    return LABEL_SEPARATOR.join(label for label in LABELS if label in chosen)


def taxonomy_text() -> str:
    """The taxonomy (v1.1) as Markdown: definitions, signals and decision rules.

    Examples
    --------
    >>> taxonomy_text().splitlines()[0]
    '# Information-linked incident categories (v1)'
    """
    from importlib.resources import files

    return files("safetylens").joinpath("data/taxonomy.md").read_text(encoding="utf-8")
