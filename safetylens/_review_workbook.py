"""The review workbook on disk: one job, writing it and reading it back.

A workbook has three sheets. ``Review``: one row per sampled report with the columns ``row``,
the identifier column if any, ``text``, ``reviewed``, one column per label and ``comment``.
``Guide``: how to fill it in, then the taxonomy. ``Design`` (hidden and protected): key/value
lines describing the sample (strategy, seed, model and source hashes, ...), then one line per
sampled report with its design weight and the model's labels and probabilities at sampling time.

Reading accepts the workbook as saved by Excel or LibreOffice, or its ``Review`` sheet saved as
CSV together with the workbook ``review sample`` wrote (for the design). Cells count as yes when
they hold ``yes``, ``y``, ``x``, ``1`` or ``TRUE`` in any case, with spaces around or not.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from safetylens._formula import neutralise_formula
from safetylens._readers import read_table
from safetylens.exceptions import ReviewFormatError
from safetylens.taxonomy import LABELS

REVIEW_SHEET = "Review"
GUIDE_SHEET = "Guide"
DESIGN_SHEET = "Design"
DESIGN_FORMAT = "safetylens review design"
DESIGN_VERSION = 1
REPORTS_MARKER = "[reports]"
USER_COLUMN = "column: "
"""Prefix of the design sheet's copies of input columns (id, strata, --keep)."""

YES = frozenset({"yes", "y", "x", "1", "true", "1.0"})
NO = frozenset({"", "no", "n", "0", "false", "0.0", "-"})
TEXT_WIDTH = 80
"""Width of the text column, in characters."""
MAX_CELL = 32_767
"""Excel's limit on the characters in one cell."""
_TRUNCATED = " [... truncated: the report is longer than an Excel cell holds]"
_FORMULA_GUARDED = re.compile(r"'[=+\-@\t\r]")

DESIGN_FIELDS = (
    "row",
    "part",
    "stratum",
    "stratum_size",
    "stratum_sample_size",
    "inclusion_probability",
    "weight",
    "model_labels",
    *(f"p_{label}" for label in LABELS),
    "text_check",
)


def text_check(text: object) -> str:
    """A short fingerprint of a report's letters and digits, to spot misaligned rows.

    Only ASCII letters and digits count, so a CSV saved in another encoding, changed line
    ends or the formula guard do not change it.

    Examples
    --------
    >>> text_check("Pt fell.\\r\\nNo harm") == text_check("'pt fell no harm")
    True
    """
    import hashlib

    letters = re.sub(r"[^a-z0-9]", "", str(text or "").casefold())
    return hashlib.sha256(letters.encode("ascii")).hexdigest()[:12]


def is_yes(value: object) -> bool | None:
    """``True`` for a yes cell, ``False`` for a blank or no, ``None`` for anything else.

    Examples
    --------
    >>> [is_yes(v) for v in ["Yes ", "TRUE", "x", " 1", "", "no", "maybe"]]
    [True, True, True, True, False, False, None]
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    text = str(value).strip().casefold()
    if text in YES:
        return True
    if text in NO:
        return False
    return None


def safe_cell(value: object) -> object:
    """A value safe to put in a spreadsheet cell: never a formula, never too long.

    Strings lose the control characters Excel refuses, are cut to Excel's cell limit, and get
    the same formula guard as ``classify`` output (a leading ``'`` before ``=``, ``+``, ``-``,
    ``@``, tab or carriage return).

    Examples
    --------
    >>> safe_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> safe_cell("bell\\x07 rang")
    'bell rang'
    """
    if not isinstance(value, str):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    text = neutralise_formula(text)
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - len(_TRUNCATED)] + _TRUNCATED
    return text


def unguard(text: str) -> str:
    """Undo the formula guard of :func:`safe_cell`.

    Examples
    --------
    >>> unguard("'=1+1"), unguard("'quoted'")
    ('=1+1', "'quoted'")
    """
    if isinstance(text, str) and _FORMULA_GUARDED.match(text):
        return text[1:]
    return text


def _put(ws, row: int, column: int, value):
    cell = ws.cell(row=row, column=column, value=safe_cell(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever openpyxl would guess
    return cell


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def write_workbook(path, *, review, design, metadata: dict, id_col: str | None, guide: str):
    """Write the review workbook to ``path`` (a temporary path; the caller moves it in place).

    Parameters
    ----------
    review : pandas.DataFrame
        Columns ``row``, ``text`` and, for a prefilled workbook, ``model_labels`` (lists);
        ``id`` when ``id_col`` is given.
    design : pandas.DataFrame
        :data:`DESIGN_FIELDS` plus ``column: <name>`` copies of input columns.
    metadata : dict
        Key/value lines for the design sheet (JSON-encoded there).
    id_col : str or None
        Name of the identifier column shown in the Review sheet.
    guide : str
        The taxonomy text (Markdown) for the Guide sheet.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.workbook.protection import WorkbookProtection
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    ws = book.active
    ws.title = REVIEW_SHEET
    header = ["row", *([id_col] if id_col else []), "text", "reviewed", *LABELS, "comment"]
    # The yes/blank columns are narrow with their names turned upright, so the text, the
    # reviewed column and all seven labels fit on one screen.
    widths = {"row": 7, "text": TEXT_WIDTH, "reviewed": 7, "comment": 40}
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    top_wrap = Alignment(wrap_text=True, vertical="top")
    upright = ("reviewed", *LABELS)
    for j, name in enumerate(header, start=1):
        cell = _put(ws, 1, j, name)
        cell.font = bold
        cell.fill = fill
        if name in upright and not (id_col and j == 2):
            cell.alignment = Alignment(text_rotation=90, horizontal="center", vertical="bottom")
            width = 7
        else:
            cell.alignment = Alignment(wrap_text=True, vertical="bottom")
            width = widths.get(name, 14)
        if id_col and j == 2:
            width = min(max(len(str(id_col)) + 2, 12), 30)
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.row_dimensions[1].height = 150
    text_at = header.index("text") + 1
    first_label = header.index(LABELS[0]) + 1
    prefilled = "model_labels" in review.columns
    for i, record in enumerate(review.itertuples(index=False), start=2):
        values = record._asdict()
        _put(ws, i, 1, int(values["row"]))
        if id_col:
            _put(ws, i, 2, values["id"])
        _put(ws, i, text_at, values["text"])
        if prefilled:
            for k, label in enumerate(LABELS):
                if label in values["model_labels"]:
                    _put(ws, i, first_label + k, "yes")
        for j in range(1, len(header) + 1):
            ws.cell(row=i, column=j).alignment = top_wrap
        lines = sum(
            max(1, math.ceil(len(part) / (TEXT_WIDTH * 1.05)))
            for part in str(values["text"]).split("\n")
        )
        ws.row_dimensions[i].height = min(409, 15 * max(1, lines))
    last = len(review) + 1
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(last, 2)}"
    choice = DataValidation(type="list", formula1='"yes"', allow_blank=True, showErrorMessage=False)
    choice.prompt = "yes, or leave blank"
    choice.showInputMessage = True
    ws.add_data_validation(choice)
    reviewed_col = get_column_letter(header.index("reviewed") + 1)
    label_cols = (get_column_letter(first_label), get_column_letter(first_label + len(LABELS) - 1))
    if last >= 2:
        choice.add(f"{reviewed_col}2:{reviewed_col}{last}")
        choice.add(f"{label_cols[0]}2:{label_cols[1]}{last}")

    _write_guide(book.create_sheet(GUIDE_SHEET), guide, bold)
    _write_design(book.create_sheet(DESIGN_SHEET), design, metadata)
    book.active = 0
    book.security = WorkbookProtection(lockStructure=True)
    book.properties.creator = "safetylens"
    book.save(path)


INSTRUCTIONS = (
    "How to review",
    "1. Read each report in the Review sheet and decide which of the seven labels it carries, "
    "using the definitions and decision rules below. A report can carry none, one or several.",
    "2. Put yes in the column of each label that applies (pick it from the drop-down, or type "
    "yes, y, x, 1 or TRUE). Leave the cell blank when the label does not apply.",
    "3. When you have finished a report, put yes in its reviewed column. Only rows with "
    "reviewed = yes are counted, so you can stop and come back, in any order.",
    "4. Use comment for doubts or for a reason; it is not scored.",
    "5. Do not delete, rename or reorder the columns, do not change the row numbers, and save "
    "the file as .xlsx (saving the Review sheet as CSV works too; keep the .xlsx as well).",
    "Label what the report says contributed to the incident, not every word it mentions.",
)


def guide_blocks(markdown: str) -> list[tuple[str, object]]:
    r"""Split the taxonomy's Markdown into blocks for the Guide sheet.

    Returns ``(kind, content)`` pairs: ``("heading", text)``, ``("paragraph", text)`` (wrapped
    lines joined, bullets starting with a bullet sign) and ``("row", [cells])`` for table rows.
    Emphasis and code marks are dropped.

    Examples
    --------
    >>> blocks = guide_blocks("# T\n\nOne\ntwo\n\n| a | b |\n|---|---|\n| `x` | **y** |\n- p\n  q")
    >>> blocks[:3]
    [('heading', 'T'), ('paragraph', 'One two'), ('row', ['a', 'b'])]
    >>> blocks[3:] == [("row", ["x", "y"]), ("paragraph", "\u2022 p q")]
    True
    """

    def plain(text: str) -> str:
        return text.replace("**", "").replace("`", "").strip()

    blocks: list[tuple[str, object]] = []
    lines: list[str] = []

    def flush() -> None:
        if lines:
            blocks.append(("paragraph", plain(" ".join(lines))))
            lines.clear()

    for raw in markdown.splitlines():
        line = raw.rstrip()
        if not line.strip():
            flush()
        elif line.startswith("|"):
            flush()
            cells = [plain(c) for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= set("-: ") for c in cells):  # not the separator row
                blocks.append(("row", cells))
        elif line.startswith("#"):
            flush()
            blocks.append(("heading", plain(line.lstrip("#"))))
        elif line.startswith("- "):
            flush()
            lines.append("\u2022 " + line[2:])
        else:
            lines.append(line.strip())
    flush()
    return blocks


def _write_guide(ws, guide: str, bold) -> None:
    from openpyxl.styles import Alignment, Font

    wrap = Alignment(wrap_text=True, vertical="top")
    widths = (28, 45, 60, 45)
    for col, width in zip("ABCD", widths, strict=True):
        ws.column_dimensions[col].width = width
    full = sum(widths)

    def paragraph(row: int, text: str, font=None) -> None:
        cell = _put(ws, row, 1, text)
        cell.alignment = wrap
        if font is not None:
            cell.font = font
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        ws.row_dimensions[row].height = 15 * max(1, math.ceil(len(text) / (full * 1.05)))

    row = 1
    paragraph(row, INSTRUCTIONS[0], Font(bold=True, size=13))
    for line in INSTRUCTIONS[1:]:
        row += 1
        paragraph(row, line)
    row += 1
    for kind, content in guide_blocks(guide):
        row += 1
        if kind == "row":
            header = content[:1] == ["label"]
            longest = 1
            for j, value in enumerate(content[:4], start=1):
                cell = _put(ws, row, j, value)
                cell.alignment = wrap
                if header or j == 1:
                    cell.font = bold
                longest = max(longest, math.ceil(len(value) / (widths[j - 1] * 1.05)))
            ws.row_dimensions[row].height = 15 * longest
        elif kind == "heading":
            row += 1
            paragraph(row, content, Font(bold=True, size=12))
        else:
            paragraph(row, content)


def _write_design(ws, design, metadata: dict) -> None:
    ws.sheet_state = "hidden"
    _put(ws, 1, 1, DESIGN_FORMAT)
    _put(ws, 1, 2, DESIGN_VERSION)
    row = 2
    for key, value in metadata.items():
        _put(ws, row, 1, key)
        _put(ws, row, 2, json.dumps(value))
        row += 1
    _put(ws, row, 1, REPORTS_MARKER)
    row += 1
    columns = list(design.columns)
    for j, name in enumerate(columns, start=1):
        _put(ws, row, j, name)
    for values in design.itertuples(index=False):
        row += 1
        for j, value in enumerate(values, start=1):
            if isinstance(value, float) and math.isnan(value):
                continue
            if hasattr(value, "item"):
                value = value.item()
            _put(ws, row, j, value)
    ws.protection.sheet = True
    ws.protection.enable()


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


@dataclass
class Design:
    """The hidden design sheet: metadata and one row per sampled report."""

    metadata: dict
    rows: object  # pandas.DataFrame, DESIGN_FIELDS plus input columns (prefix removed)
    user_columns: list[str] = field(default_factory=list)


def read_design(path) -> Design:
    """Read the design sheet of a workbook written by ``review sample``.

    Raises
    ------
    ReviewFormatError
        When the file is not such a workbook or its design sheet was damaged.
    """
    import pandas as pd
    from openpyxl import load_workbook

    path = Path(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types on corrupt files
        raise ReviewFormatError(f"{path.name}: cannot read the Excel file") from None
    try:
        if DESIGN_SHEET not in book.sheetnames:
            raise ReviewFormatError(
                f"{path.name}: no hidden '{DESIGN_SHEET}' sheet; score the workbook that "
                "`safetylens review sample` wrote (re-saving it in Excel or LibreOffice keeps it)"
            )
        rows = book[DESIGN_SHEET].iter_rows(values_only=True)
        first = next(rows, None)
        if not first or first[0] != DESIGN_FORMAT:
            raise ReviewFormatError(f"{path.name}: the '{DESIGN_SHEET}' sheet is not a design")
        metadata: dict = {}
        header = None
        state = "metadata"
        records = []
        for values in rows:
            values = tuple(values or ())
            if state == "metadata":
                key = values[0] if values else None
                if key == REPORTS_MARKER:
                    state = "header"
                elif key is not None:
                    try:
                        raw = values[1] if len(values) > 1 else None
                        metadata[str(key)] = json.loads(raw) if raw else None
                    except (TypeError, ValueError):
                        raise ReviewFormatError(
                            f"{path.name}: the design entry '{key}' is damaged"
                        ) from None
            elif state == "header":
                header = [str(v) for v in values if v is not None]
                state = "reports"
            elif any(v is not None for v in values):
                records.append(list(values[: len(header)]) + [None] * (len(header) - len(values)))
    finally:
        book.close()
    if header is None:
        raise ReviewFormatError(f"{path.name}: the '{DESIGN_SHEET}' sheet has no report lines")
    frame = pd.DataFrame(records, columns=header)
    user = [c[len(USER_COLUMN) :] for c in header if c.startswith(USER_COLUMN)]
    frame = frame.rename(columns={USER_COLUMN + c: c for c in user})
    for name in user:
        frame[name] = frame[name].map(lambda v: "" if v is None else unguard(str(v)))
    frame["row"] = frame["row"].astype(int)
    for name in ("stratum_size", "stratum_sample_size", "inclusion_probability", "weight"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce")
    frame["stratum"] = frame["stratum"].map(lambda v: "" if v is None else unguard(str(v)))
    frame["model_labels"] = frame["model_labels"].fillna("").astype(str)
    return Design(metadata=metadata, rows=frame, user_columns=user)


def find_design_for(csv_path: Path, design: str | Path | None) -> Path | None:
    """The workbook holding the design for a CSV: ``design``, else ``<stem>.xlsx`` beside it."""
    if design is not None:
        return Path(design)
    sibling = csv_path.with_suffix(".xlsx")
    return sibling if sibling.exists() else None


def read_review_sheet(path):
    """The Review sheet (of a workbook, or saved as CSV) as text, with its columns checked.

    Returns
    -------
    pandas.DataFrame
        Columns renamed to their canonical names (``row``, ``text``, ``reviewed``, the labels,
        ``comment``) when they match ignoring case and spaces; other columns kept.

    Raises
    ------
    ReviewFormatError
        Naming the first required column that is missing (deleted or renamed).
    """
    path = Path(path)
    is_csv = path.suffix.lower() in (".csv", ".txt", ".tsv")
    frame = read_table(path) if is_csv else read_table(path, sheet=REVIEW_SHEET)
    wanted = ["row", "text", "reviewed", *LABELS, "comment"]
    folded = {re.sub(r"\s+", "", str(c)).casefold(): c for c in frame.columns}
    renames = {}
    for name in wanted:
        if name not in frame.columns and name.casefold() in folded:
            renames[folded[name.casefold()]] = name
    frame = frame.rename(columns=renames)
    for name in ["row", "reviewed", *LABELS]:
        if name not in frame.columns:
            what = "label column" if name in LABELS else "column"
            hint = ""
            if is_csv and "row" not in frame.columns:
                hint = " (a CSV keeps only the sheet that was open: save it from the Review sheet)"
            raise ReviewFormatError(
                f"{path.name}: the {what} '{name}' is missing from the Review sheet (deleted or "
                f"renamed?); put it back with the header '{name}' and score again{hint}"
            )
    rows = []
    for k, value in enumerate(frame["row"], start=2):
        try:
            rows.append(int(float(str(value).strip())))
        except ValueError:
            raise ReviewFormatError(
                f"{path.name}: Review sheet line {k}: the row number is missing or not a number; "
                "the row column must not be edited"
            ) from None
    frame["row"] = rows
    duplicated = frame["row"][frame["row"].duplicated()]
    if len(duplicated):
        raise ReviewFormatError(
            f"{path.name}: row {int(duplicated.iloc[0])} appears twice in the Review sheet; "
            "keep one line per report"
        )
    if "text" in frame.columns:
        frame["text"] = frame["text"].map(unguard)
    return frame


def parse_review_cells(frame, source: str):
    """Reviewed flags and label matrix from the Review sheet.

    Returns
    -------
    (reviewed, truth, labelled_not_reviewed)
        A bool Series, a bool DataFrame with one column per label, and how many rows carry a
        label but are not marked reviewed.

    Raises
    ------
    ReviewFormatError
        For label cells that are neither yes nor blank/no, listing up to five of them.
    """
    import pandas as pd

    reviewed = frame["reviewed"].map(lambda v: is_yes(v) is True)
    truth = {}
    bad_in_reviewed = []
    for label in LABELS:
        parsed = frame[label].map(is_yes)
        for position in parsed.index[parsed.isna() & reviewed]:
            bad_in_reviewed.append(f"{label} of report row {frame['row'][position]}")
        truth[label] = parsed.fillna(False).astype(bool)
    truth = pd.DataFrame(truth, index=frame.index)
    if bad_in_reviewed:
        shown = ", ".join(bad_in_reviewed[:5])
        more = f" and {len(bad_in_reviewed) - 5} more" if len(bad_in_reviewed) > 5 else ""
        raise ReviewFormatError(
            f"{source}: label cells that are neither yes nor blank in reviewed rows: {shown}{more};"
            " put yes (or y, x, 1, TRUE) for a label that applies and leave the others blank"
        )
    labelled_not_reviewed = int((truth.any(axis=1) & ~reviewed).sum())
    return reviewed, truth, labelled_not_reviewed
