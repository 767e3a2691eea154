"""Reading messy incident exports: one job, tables in.

Inputs are CSV (UTF-8, UTF-8 with BOM, Windows-1252, or UTF-8 with stray Windows-1252 bytes),
Excel (.xlsx), Parquet or JSON Lines. Every cell is read as text so identifiers, codes and free
text come out exactly as they went in, and every reader counts the rows it yields.

Error messages name the file, the row or the column and what to do; they never quote a cell,
because cells hold patient text.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
from pathlib import Path

from safetylens._names import column_list, shown
from safetylens.exceptions import DataValidationError, InputFormatError

_SNIFF_BYTES = 64 * 1024
XLSX_MAX_UNCOMPRESSED = 512 * 1024 * 1024
"""Largest uncompressed size of a workbook read (512 MB, several times the largest real
export seen): a few-KB "zip bomb" that expands to gigabytes is refused before it is opened."""
EXCEL_SHEET_ROWS = 1_048_576
"""Rows in an Excel sheet: a sheet filled to exactly this many was probably cut short."""
_ERROR_HANDLER = "safetylens-cp1252"


def _cp1252_fallback(exc: UnicodeDecodeError) -> tuple[str, int]:
    """Decode bytes that are not valid UTF-8 as Windows-1252 (undefined bytes as Latin-1)."""
    bad = exc.object[exc.start : exc.end]
    return bad.decode("cp1252", errors="ignore") or bad.decode("latin-1"), exc.end


codecs.register_error(_ERROR_HANDLER, _cp1252_fallback)


def detect_format(path: str | os.PathLike) -> str:
    """Return the input format of ``path`` from its suffix.

    Examples
    --------
    >>> detect_format("export.XLSX")
    'xlsx'
    >>> detect_format("reports.ndjson")
    'jsonl'
    """
    suffix = Path(path).suffix.lower()
    mapping = {
        ".csv": "csv",
        ".txt": "csv",
        ".tsv": "csv",
        ".xlsx": "xlsx",
        ".xlsm": "xlsx",
        ".parquet": "parquet",
        ".pq": "parquet",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".json": "jsonl",
    }
    if suffix not in mapping:
        raise InputFormatError(
            f"{Path(path).name}: unknown file type '{suffix or '(none)'}'; "
            "use .csv, .xlsx, .parquet or .jsonl"
        )
    return mapping[suffix]


_DATA_SHAPES = re.compile(
    r"\d{3}[ .\-]?\d{3}[ .\-]?\d{4}"  # NHS-number shapes, phone numbers
    r"|\d{6,}"  # long digit runs (identifiers, dates written 12031954)
    r"|\b\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}\b"  # dates 12/03/2021
    r"|\b\d{4}-\d{1,2}-\d{1,2}\b"  # ISO dates
    r"|@"  # e-mail addresses
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b",  # postcodes
    re.IGNORECASE,
)
HEADER_MAX_CHARS = 120  # LFPSE headers are whole questions: allow them
HEADER_MAX_WORDS = 20


def header_looks_like_data(names) -> bool:
    """True when a header row looks like a data record: long text, dates or identifiers.

    Examples
    --------
    >>> header_looks_like_data(["Ref", "Incident date", "Describe what happened"])
    False
    >>> header_looks_like_data(["1", "12/03/2021", "Pt fell"])
    True
    """
    for name in names:
        name = "" if name is None else str(name)
        if (
            len(name) > HEADER_MAX_CHARS
            or len(name.split()) > HEADER_MAX_WORDS
            or _DATA_SHAPES.search(name)
        ):
            return True
    return False


def _refuse_data_header(path: Path, names) -> None:
    if header_looks_like_data(names):
        raise InputFormatError(
            f"{path.name}: the first row looks like report text, not a header (long text, a "
            "date or an identifier); if the file has no header row pass --no-header (classify, "
            "its) or add one, otherwise fix the header row"
        )


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise InputFormatError(f"{path.name}: no such file")
    if path.is_dir():
        raise InputFormatError(f"{path.name}: is a folder, not a file")
    if path.stat().st_size == 0:
        raise InputFormatError(f"{path.name}: the file is empty")


def _sniff_text(path: Path) -> tuple[str, str]:
    """Return (encoding, delimiter) for a CSV file, refusing binary files."""
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
        sample = head.decode("utf-16", errors="replace")
    else:
        if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
            raise InputFormatError(
                f"{path.name}: looks like an Excel or zip file, not CSV; save it as .xlsx "
                "or export it as CSV"
            )
        # A few NUL bytes or control codes in text are tolerated (NULs are dropped); text is
        # never mostly NULs (UTF-16 without a BOM) nor full of control codes (random binary
        # has about 10% of them).
        nul_share = head.count(b"\x00") / max(len(head), 1)
        controls = sum(1 for b in head if b < 9 or 13 < b < 32)
        if nul_share > 0.1 or (controls > 16 and controls / len(head) > 0.05):
            raise InputFormatError(
                f"{path.name}: looks like binary data, not text; export the report as CSV "
                "(UTF-8 or Windows-1252)"
            )
        encoding = "utf-8-sig"
        sample = head.decode("utf-8", errors=_ERROR_HANDLER).lstrip("\ufeff")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _choose_delimiter(sample)
    return encoding, delimiter


def _choose_delimiter(sample: str) -> str:
    """The delimiter whose header width the following records share most.

    Ties go to the header whose cells do not start with a space (a comma inside a name such as
    "Description (what, where)" leaves one), then to the widest header.

    Examples
    --------
    >>> _choose_delimiter("Ref;Description (what, where)\\n1;Pt fell, no injury\\n")
    ';'
    >>> _choose_delimiter("id,text\\n1,a;b\\n2,c\\n")
    ','
    """
    import io
    import itertools

    best, best_key = ",", None
    for delimiter in (",", ";", "\t", "|"):
        try:
            rows = [
                row
                for row in itertools.islice(
                    csv.reader(io.StringIO(sample), delimiter=delimiter), 60
                )
                if row
            ]
        except csv.Error:
            continue
        if len(rows) > 2:
            rows = rows[:-1]  # the sample may end mid-record
        if not rows or len(rows[0]) < 2:
            continue
        width, data = len(rows[0]), rows[1:]
        agreement = sum(len(row) == width for row in data) / len(data) if data else 1.0
        spaced = sum(cell[:1].isspace() for cell in rows[0])
        key = (agreement, -spaced, width)
        if best_key is None or key > best_key:
            best, best_key = delimiter, key
    return best


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
_BINARY_WINDOW = 8192


class _CleanTextReader:
    """A text stream that drops NUL characters (pandas' parser stops at them), refuses a block
    that turns binary part-way through the file, and drops a final Ctrl-Z (an old DOS
    end-of-file mark that would otherwise become a phantom row)."""

    def __init__(self, fh, *, final_eof: bool = False):
        self._fh = fh
        self.interrupted = False
        self.binary_at = None  # character offset of the first binary-looking window
        self._final_eof = final_eof
        self._chars = 0

    def _clean(self, data: str) -> str:
        if data and _CONTROL.search(data):
            self._check_binary(data)
        if self._final_eof and "\x1a" in data[-16:]:
            head, mark, tail = data.rpartition("\x1a")
            if not tail.strip():
                data = head + tail
        self._chars += len(data)
        return data.replace("\x00", "")

    def _check_binary(self, data: str) -> None:
        windows: dict[int, int] = {}
        for match in _CONTROL.finditer(data):
            key = match.start() // _BINARY_WINDOW
            windows[key] = windows.get(key, 0) + 1
        for key, count in sorted(windows.items()):
            size = min(_BINARY_WINDOW, len(data) - key * _BINARY_WINDOW)
            if count > 16 and count / max(size, 1) > 0.05:
                self.binary_at = self._chars + key * _BINARY_WINDOW
                raise InputFormatError("binary data")

    def read(self, size: int = -1) -> str:
        try:
            return self._clean(self._fh.read(size))
        except KeyboardInterrupt:
            # pandas' parser reports any exception in read() as a ParserError: remember it.
            self.interrupted = True
            raise

    def readline(self, size: int = -1) -> str:  # pragma: no cover - used by some engines
        return self._clean(self._fh.readline(size))

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def _ends_with_ctrl_z(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(max(path.stat().st_size - 64, 0))
        return fh.read().rstrip(b"\r\n \t\x00").endswith(b"\x1a")


def _swallowed_record(chunk, delimiter: str, width: int):
    """The first row of ``chunk`` with a quoted cell that holds whole records.

    A stray opening quote makes the parser read on, over line breaks and delimiters, until the
    next quote: the cell then contains lines that split into as many fields as the header, the
    first of them shaped like the first column of other rows (an incident number, say). Text
    that merely spans lines ("Obs:\nBP 120/80, HR 90") does not look like that.
    """
    if width < 2:
        return None
    import numpy as np

    values = chunk.to_numpy(dtype=object)
    rows, cols = np.nonzero(np.vectorize(lambda v: "\n" in v, otypes=[bool])(values))
    if not len(rows):
        return None
    shapes: dict[str, int] = {}
    for value in values[:, 0]:
        shape = _shape(value)
        shapes[shape] = shapes.get(shape, 0) + 1
    common = max(shapes, key=shapes.get)
    for row, col in zip(rows, cols, strict=True):
        for line in str(values[row, col]).splitlines()[1:]:
            fields = line.split(delimiter)
            if len(fields) == width and _shape(fields[0]) == common and fields[0].strip():
                return int(row)
    return None


def _shape(value) -> str:
    return re.sub(r"[0-9]+", "9", re.sub(r"[^\W\d_]+", "a", str(value).strip()))


def _csv_header(path: Path, encoding: str, delimiter: str) -> tuple[list[str], int]:
    """The header row and how many blank lines stand before it."""
    csv.field_size_limit(2**31 - 1)
    blank = 0
    with open(path, encoding=encoding, errors=_ERROR_HANDLER, newline="") as fh:
        try:
            for row in csv.reader(_CleanTextReader(fh), delimiter=delimiter):
                if row:
                    return [cell.strip() for cell in row], blank
                blank += 1
        except csv.Error:
            raise InputFormatError(
                f"{path.name}: cannot read the header row (an unclosed quote?); fix the first "
                "line of the file"
            ) from None
    raise InputFormatError(f"{path.name}: the file has no header row")


def _parser_message(path: Path, exc: Exception) -> InputFormatError:
    text = str(exc)
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if match:
        expected, line, saw = match.groups()
        return InputFormatError(
            f"{path.name}: line {line} has {saw} fields but the header has {expected}; "
            "quote text that contains the delimiter, or fix that row"
        )
    if "EOF inside string" in text or "EOF" in text:
        line = re.search(r"line (\d+)", text)
        where = f" starting at line {line.group(1)}" if line else ""
        return InputFormatError(
            f"{path.name}: a quoted field{where} is never closed; fix the quotes in that row"
        )
    return InputFormatError(f"{path.name}: cannot parse the CSV ({type(exc).__name__})")


class TableReader:
    """A table being read in chunks: its header, its chunks and how far reading has got.

    Attributes
    ----------
    path : Path
    columns : list of str
        Column names exactly as in the file header (duplicates kept).
    rows_read : int
        Data rows yielded so far (counted here, independently of any writer).
    """

    def __init__(self, path: Path, columns: list[str], chunks, size: int):
        self.path = path
        self.columns = columns
        self._chunks = chunks
        self._size = max(size, 1)
        self.done = 0  # bytes (text files) or rows (others) consumed so far
        self.rows_read = 0  # data rows yielded so far

    def __iter__(self):
        for chunk in self._chunks(self):
            self.rows_read += len(chunk)
            yield chunk

    @property
    def total(self) -> int:
        """The size against which :attr:`done` is measured."""
        return self._size


def iter_table(
    path: str | os.PathLike,
    *,
    chunk_size: int = 10_000,
    sheet: str | int | None = None,
    header: bool = True,
) -> TableReader:
    """Open a table for reading in chunks of rows, every cell as text.

    Parameters
    ----------
    path : path-like
        A .csv, .xlsx, .parquet or .jsonl file.
    chunk_size : int, default=10_000
        Rows per chunk.
    sheet : str or int, optional
        Excel sheet name or 0-based index (default: the first visible sheet).
    header : bool, default=True
        Whether a CSV or Excel file starts with a header row. A header row that looks like
        data (long text, dates, identifiers) is refused. Without one, columns are named
        ``column_1``, ``column_2``, ... and the first row is data.

    Returns
    -------
    TableReader
        ``table.columns`` is the header as written in the file; iterating gives DataFrames with
        unique column names (duplicates get ``.1``, ``.2`` suffixes), in order, with a running
        integer index.

    Raises
    ------
    InputFormatError
        When the file is missing, empty, binary, of an unknown type, has no data rows or has a
        malformed row.
    """
    path = Path(path)
    fmt = detect_format(path)
    _check_readable(path)
    if chunk_size < 1:
        raise DataValidationError(f"chunk size must be at least 1; got {chunk_size}")
    if fmt == "csv":
        return _iter_csv(path, chunk_size, header)
    if fmt == "parquet":
        return _iter_parquet(path, chunk_size)
    if fmt == "xlsx":
        return _iter_excel(path, chunk_size, sheet, header)
    return _iter_jsonl(path, chunk_size)


def _iter_csv(path: Path, chunk_size: int, header: bool = True) -> TableReader:
    import pandas as pd

    encoding, delimiter = _sniff_text(path)
    columns, blank_lines = _csv_header(path, encoding, delimiter)
    if header:
        if not any(columns):
            raise InputFormatError(f"{path.name}: the header row is empty")
        _refuse_data_header(path, columns)
    else:
        columns = [f"column_{i + 1}" for i in range(len(columns))]
    unique = _unique_names(columns)

    def chunks(table):
        rows = 0
        with open(path, encoding=encoding, errors=_ERROR_HANDLER, newline="") as fh:
            try:
                # The header is read as a data row so that pandas measures every row against
                # its width: a row with extra fields is an error, never a silent shift.
                text = _CleanTextReader(fh, final_eof=_ends_with_ctrl_z(path))
                reader = pd.read_csv(
                    text,
                    sep=delimiter,
                    dtype=str,
                    keep_default_na=False,
                    na_filter=False,
                    header=None,
                    index_col=False,
                    skiprows=blank_lines,
                    # In a one-column file an empty line is an empty report, not a gap.
                    skip_blank_lines=len(unique) > 1,
                    chunksize=chunk_size,
                    engine="c",
                )
                first = header
                for chunk in reader:
                    if first:
                        chunk = chunk.iloc[1:]
                        first = False
                    if chunk.shape[1] != len(unique):
                        raise InputFormatError(
                            f"{path.name}: rows have {chunk.shape[1]} fields but the header "
                            f"has {len(unique)}; fix the header row"
                        )
                    chunk.columns = unique
                    swallowed = _swallowed_record(chunk, delimiter, len(unique))
                    if swallowed is not None:
                        raise InputFormatError(
                            f"{path.name}: a quoted field starting in data row "
                            f"{rows + swallowed + 1} runs on over line breaks and delimiters "
                            "into what look like further records (a stray quote?); fix the "
                            "quotes in that row"
                        )
                    chunk.index = range(rows, rows + len(chunk))
                    rows += len(chunk)
                    table.done = fh.buffer.tell()
                    if len(chunk):
                        yield chunk
            except (pd.errors.ParserError, ValueError) as exc:
                if text.binary_at is not None:
                    raise InputFormatError(
                        f"{path.name}: turns into binary data at about character "
                        f"{text.binary_at:,}, not text; export the report as CSV again"
                    ) from None
                if isinstance(exc, InputFormatError):
                    raise
                if text.interrupted:
                    raise KeyboardInterrupt from None
                raise _parser_message(path, exc) from None
        if rows == 0:
            raise InputFormatError(f"{path.name}: the file has a header but no data rows")

    return TableReader(path, columns, chunks, path.stat().st_size)


def _unique_names(columns: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for i, name in enumerate(columns):
        name = name or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            candidate = f"{name}.{seen[name]}"
            while candidate in seen:
                seen[name] += 1
                candidate = f"{name}.{seen[name]}"
            seen[candidate] = 0
            unique.append(candidate)
        else:
            seen[name] = 0
            unique.append(name)
    return unique


def _sheet_data_rows(ws) -> int:
    """Data rows in a sheet (the header not counted), from its recorded dimensions."""
    rows = ws.max_row
    if rows is None:  # no <dimension> in the file: count them
        rows = sum(1 for row in ws.iter_rows(values_only=True) if any(not _blank(v) for v in row))
    return max(int(rows) - 1, 0)


def _warn_other_sheets(path: Path, visible, chosen) -> None:
    """Warn when more than one visible sheet holds data: only ``chosen`` is read."""
    import warnings

    from safetylens.exceptions import DataWarning

    counts = [(ws.title, _sheet_data_rows(ws)) for ws in visible]
    holding = [(name, n) for name, n in counts if n > 0]
    if len(holding) < 2:
        return
    listed = ", ".join(f"{shown(name)} ({n:,} row{'' if n == 1 else 's'})" for name, n in holding)
    warnings.warn(
        f"{path.name} has several sheets with data: {listed}; reading {shown(chosen.title)} "
        "(choose another with --sheet NAME|INDEX)",
        DataWarning,
        stacklevel=3,
    )


def _iter_excel(path: Path, chunk_size: int, sheet, header: bool = True) -> TableReader:
    """Stream an .xlsx sheet (openpyxl read-only mode): memory does not grow with its size."""
    import itertools

    import pandas as pd
    from openpyxl import load_workbook

    _refuse_zip_bomb(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False)
    except Exception:  # openpyxl raises many types on corrupt files
        raise InputFormatError(
            f"{path.name}: cannot read the Excel file; is it a real .xlsx?"
        ) from None
    try:
        if sheet is None:
            visible = [w for w in book.worksheets if w.sheet_state == "visible"]
            ws = (visible or book.worksheets)[0]
            _warn_other_sheets(path, visible, ws)
        elif isinstance(sheet, int) or str(sheet).isdigit():
            ws = book.worksheets[int(sheet)]
        else:
            ws = book[sheet]
    except (KeyError, IndexError):
        book.close()
        formulas.close()
        raise InputFormatError(
            f"{path.name}: no sheet {shown(sheet)}; sheets are: {column_list(book.sheetnames)}"
        ) from None
    if ws.max_row == EXCEL_SHEET_ROWS:
        _warn(
            f"{path.name}: the sheet has exactly {EXCEL_SHEET_ROWS:,} rows, the most Excel "
            "holds, so the export was probably cut short; export it as CSV to get every row"
        )
    uncached = [0]  # formula cells without a saved value

    def merged_rows():
        # The values Excel saved, and the formulas, read side by side: a formula cell without
        # a saved value (a workbook written by a program, never recalculated) reads as empty.
        with_formulas = formulas[ws.title].iter_rows(values_only=True)
        for values, cells in zip(ws.iter_rows(values_only=True), with_formulas, strict=False):
            if any(
                v is None and isinstance(f, str) and f.startswith("=")
                for v, f in zip(values, cells, strict=False)
            ):
                uncached[0] += sum(
                    1
                    for v, f in zip(values, cells, strict=False)
                    if v is None and isinstance(f, str) and f.startswith("=")
                )
            yield values

    rows = (row for row in merged_rows() if any(not _blank(v) for v in row))
    top = list(itertools.islice(rows, 15))
    if not top:
        book.close()
        formulas.close()
        raise InputFormatError(f"{path.name}: the sheet is empty")
    if header:
        header_at = _find_header_row(top)
        header_row = list(top[header_at])
        while header_row and _blank(header_row[-1]):
            header_row.pop()
        width = len(header_row)
        names = ["" if _blank(v) else str(v).strip() for v in header_row]
        _refuse_data_header(path, names)
        unique = _unique_names(names)
        columns = [c or u for c, u in zip(names, unique, strict=True)]
        first = top[header_at + 1 :]
    else:
        width = max(
            max((i + 1 for i, v in enumerate(row) if not _blank(v)), default=0) for row in top
        )
        columns = unique = [f"column_{i + 1}" for i in range(width)]
        first = top
    if not first:
        book.close()
        formulas.close()
        raise InputFormatError(f"{path.name}: the file has a header but no data rows")

    def chunks(table):
        done = 0
        source = itertools.chain(first, rows)
        try:
            while True:
                block = list(itertools.islice(source, chunk_size))
                if not block:
                    break
                cells = []
                for offset, row in enumerate(block):
                    if any(not _blank(v) for v in row[width:]):
                        raise InputFormatError(
                            f"{path.name}: data row {done + offset + 1} has values to the right "
                            "of the last named column; name that column in the header"
                        )
                    cells.append(
                        [_excel_cell_text(v) for v in row[:width]] + [""] * (width - len(row))
                    )
                frame = pd.DataFrame(cells, columns=unique, index=range(done, done + len(cells)))
                done += len(cells)
                table.done = done
                yield frame
            if uncached[0]:
                _warn(
                    f"{path.name}: {uncached[0]:,} formula cell(s) have no saved value (the "
                    "workbook was never recalculated) and are empty in the output; open and "
                    "save it in Excel to fill them"
                )
        finally:
            book.close()
            formulas.close()

    return TableReader(path, columns, chunks, max(ws.max_row or 1, 1))


def _warn(message: str) -> None:
    import warnings

    from safetylens.exceptions import DataWarning

    warnings.warn(message, DataWarning, stacklevel=3)


def _refuse_zip_bomb(path: Path) -> None:
    """Refuse a workbook whose parts add up to more than :data:`XLSX_MAX_UNCOMPRESSED`."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # load_workbook gives the error for a file that is not a workbook
    if size > XLSX_MAX_UNCOMPRESSED:
        raise InputFormatError(
            f"{path.name}: the workbook expands to {size / 2**20:,.0f} MB, more than the "
            f"{XLSX_MAX_UNCOMPRESSED / 2**20:,.0f} MB safetylens reads from Excel; export it "
            "as CSV"
        )


def _blank(value) -> bool:
    return (
        value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""
    )


def _excel_cell_text(value) -> str:
    import datetime as dt

    if _blank(value):
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _find_header_row(rows: list) -> int:
    """The header is the first of the top rows that fills most columns (skips merged titles)."""
    filled = [sum(not _blank(v) for v in row) for row in rows]
    target = max(filled)
    for i, n in enumerate(filled):
        if n >= max(2, 0.8 * target) or n == target:
            return i
    return 0


def _decode_binary_columns(batch):
    """Binary columns as text: UTF-8, with bytes that are not valid UTF-8 read as Windows-1252
    (as CSV files are)."""
    import pyarrow as pa

    if not any(
        pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type) for f in batch.schema
    ):
        return batch
    arrays = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            column = pa.array(
                [
                    None if v is None else v.decode("utf-8", errors=_ERROR_HANDLER)
                    for v in column.to_pylist()
                ],
                type=pa.string(),
            )
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _iter_parquet(path: Path, chunk_size: int) -> TableReader:
    import pandas as pd

    try:
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
    except Exception:
        raise InputFormatError(f"{path.name}: cannot read the Parquet file") from None
    columns = list(parquet.schema_arrow.names)
    total = parquet.metadata.num_rows
    if total == 0:
        raise InputFormatError(f"{path.name}: the file has no data rows")

    def chunks(table):
        rows = 0
        for batch in parquet.iter_batches(batch_size=chunk_size):
            batch = _decode_binary_columns(batch)
            # Arrow types keep integers with gaps as integers (not 101.0).
            frame = batch.to_pandas(types_mapper=pd.ArrowDtype).astype("string").fillna("")
            frame = frame.astype(object)
            frame.columns = _unique_names([str(c) for c in frame.columns])
            frame.index = range(rows, rows + len(frame))
            rows += len(frame)
            table.done = rows
            yield frame

    return TableReader(path, columns, chunks, total)


def _iter_jsonl(path: Path, chunk_size: int) -> TableReader:
    """JSON Lines in two passes: check every line and collect the keys, then stream chunks."""
    import json

    import pandas as pd

    def records():
        with open(path, encoding="utf-8-sig", errors=_ERROR_HANDLER) as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    # Integers are kept as written: no digit limit, no float rounding.
                    record = json.loads(line, parse_int=str)
                except json.JSONDecodeError:
                    raise InputFormatError(
                        f"{path.name}: line {number} is not valid JSON; each line must be one "
                        "object"
                    ) from None
                except (RecursionError, ValueError):
                    raise InputFormatError(
                        f"{path.name}: line {number} is nested too deeply or holds a number too "
                        "large to read; each line must be one flat object"
                    ) from None
                if not isinstance(record, dict):
                    raise InputFormatError(f"{path.name}: line {number} is not a JSON object")
                yield record

    keys: dict = {}
    total = 0
    for record in records():
        keys.update(dict.fromkeys(record))
        total += 1
    if not total:
        raise InputFormatError(f"{path.name}: the file has no records")
    columns = [str(k) for k in keys]

    def text(value) -> str:
        if value is None:
            return ""
        if isinstance(value, (list, dict)):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def chunks(table):
        done, block = 0, []
        for record in records():
            block.append([text(record.get(k)) for k in keys])
            if len(block) == chunk_size:
                yield pd.DataFrame(block, columns=columns, index=range(done, done + len(block)))
                done += len(block)
                table.done = done
                block = []
        if block:
            table.done = done + len(block)
            yield pd.DataFrame(block, columns=columns, index=range(done, done + len(block)))

    return TableReader(path, columns, chunks, total)


def read_table(path: str | os.PathLike, *, sheet: str | int | None = None, header: bool = True):
    """Read a whole table into a DataFrame, every cell as text.

    Parameters
    ----------
    path : path-like
        A .csv (UTF-8, UTF-8 with BOM or Windows-1252), .xlsx, .parquet or .jsonl file.
    sheet : str or int, optional
        Excel sheet name or 0-based index (default: the first visible sheet).
    header : bool, default=True
        See :func:`iter_table`.

    Returns
    -------
    pandas.DataFrame
        Columns as in the file (duplicate names get ``.1`` suffixes), a fresh ``RangeIndex``.

    Raises
    ------
    InputFormatError
        With a one-line message naming the file and what to do.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "r.csv").write_bytes("id,description\\n1,Caf\\xe9 fall\\n".encode("cp1252"))
    >>> read_table(folder / "r.csv")["description"].tolist()
    ['Café fall']
    """
    import pandas as pd

    frames = list(iter_table(path, chunk_size=100_000, sheet=sheet, header=header))
    frame = pd.concat(frames) if len(frames) > 1 else frames[0]
    frame.index = range(len(frame))
    return frame
