"""Reading messy incident exports and writing outputs safely.

One job: get tables in and out. Inputs are CSV (UTF-8, UTF-8 with BOM, Windows-1252, or UTF-8
with stray Windows-1252 bytes), Excel (.xlsx), Parquet or JSON Lines. Every cell is read as text
so identifiers, codes and free text come out exactly as they went in. Outputs are written to a
temporary file beside the target and moved into place, so an error or Ctrl-C never leaves a
partial file behind.

Error messages name the file, the row or the column and what to do; they never quote a cell,
because cells hold patient text.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from safetylens.exceptions import DataValidationError, InputFormatError

OUTPUT_FORMATS = ("csv", "parquet", "jsonl")
"""Output formats for ``classify``."""

TEXT_COLUMN_CANDIDATES: tuple[str, ...] = (
    "description",
    "describe what happened",
    "text",
    "in07",
    "f001",
    "incident description",
    "description of incident",
    "what happened",
    "details",
    "incident details",
    "description of what happened",
    "narrative",
    "free text",
    "report",
    "report text",
)
"""Free-text column names of common exports (Datix, NRLS ``IN07``, LFPSE ``F001``), in order."""

_SNIFF_BYTES = 64 * 1024
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_ERROR_HANDLER = "safetylens-cp1252"


def _cp1252_fallback(exc: UnicodeDecodeError) -> tuple[str, int]:
    """Decode bytes that are not valid UTF-8 as Windows-1252 (undefined bytes as Latin-1)."""
    bad = exc.object[exc.start : exc.end]
    return bad.decode("cp1252", errors="ignore") or bad.decode("latin-1"), exc.end


codecs.register_error(_ERROR_HANDLER, _cp1252_fallback)


def _label(path: Path) -> str:
    return path.name


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


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise InputFormatError(f"{_label(path)}: no such file")
    if path.is_dir():
        raise InputFormatError(f"{_label(path)}: is a folder, not a file")
    if path.stat().st_size == 0:
        raise InputFormatError(f"{_label(path)}: the file is empty")


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
                f"{_label(path)}: looks like an Excel or zip file, not CSV; save it as .xlsx "
                "or export it as CSV"
            )
        # A few NUL bytes or control codes in text are tolerated (NULs are dropped); text is
        # never mostly NULs (UTF-16 without a BOM) nor full of control codes (random binary
        # has about 10% of them).
        nul_share = head.count(b"\x00") / max(len(head), 1)
        controls = sum(1 for b in head if b < 9 or 13 < b < 32)
        if nul_share > 0.1 or (controls > 16 and controls / len(head) > 0.05):
            raise InputFormatError(
                f"{_label(path)}: looks like binary data, not text; export the report as CSV "
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


class _CleanTextReader:
    """A text stream that drops NUL characters (pandas' parser stops at them)."""

    def __init__(self, fh):
        self._fh = fh
        self.interrupted = False

    def read(self, size: int = -1) -> str:
        try:
            return self._fh.read(size).replace("\x00", "")
        except KeyboardInterrupt:
            # pandas' parser reports any exception in read() as a ParserError: remember it.
            self.interrupted = True
            raise

    def readline(self, size: int = -1) -> str:  # pragma: no cover - used by some engines
        return self._fh.readline(size).replace("\x00", "")

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


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
                f"{_label(path)}: cannot read the header row (an unclosed quote?); fix the first "
                "line of the file"
            ) from None
    raise InputFormatError(f"{_label(path)}: the file has no header row")


def _parser_message(path: Path, exc: Exception) -> InputFormatError:
    text = str(exc)
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if match:
        expected, line, saw = match.groups()
        return InputFormatError(
            f"{_label(path)}: line {line} has {saw} fields but the header has {expected}; "
            "quote text that contains the delimiter, or fix that row"
        )
    if "EOF inside string" in text or "EOF" in text:
        line = re.search(r"line (\d+)", text)
        where = f" starting at line {line.group(1)}" if line else ""
        return InputFormatError(
            f"{_label(path)}: a quoted field{where} is never closed; fix the quotes in that row"
        )
    return InputFormatError(f"{_label(path)}: cannot parse the CSV ({type(exc).__name__})")


class Table:
    """A table being read in chunks: its header, its chunks and how far reading has got.

    Attributes
    ----------
    path : Path
    columns : list of str
        Column names exactly as in the file header (duplicates kept).
    """

    def __init__(self, path: Path, columns: list[str], chunks, size: int):
        self.path = path
        self.columns = columns
        self._chunks = chunks
        self._size = max(size, 1)
        self.done = 0  # bytes (text files) or rows (others) consumed so far

    def __iter__(self):
        return self._chunks(self)

    @property
    def total(self) -> int:
        """The size against which :attr:`done` is measured."""
        return self._size


def iter_table(
    path: str | os.PathLike, *, chunk_size: int = 10_000, sheet: str | int | None = None
) -> Table:
    """Open a table for reading in chunks of rows, every cell as text.

    Parameters
    ----------
    path : path-like
        A .csv, .xlsx, .parquet or .jsonl file.
    chunk_size : int, default=10_000
        Rows per chunk.
    sheet : str or int, optional
        Excel sheet name or index (default: the first sheet).

    Returns
    -------
    Table
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
        return _iter_csv(path, chunk_size)
    if fmt == "parquet":
        return _iter_parquet(path, chunk_size)
    if fmt == "xlsx":
        return _iter_excel(path, chunk_size, sheet)
    return _iter_jsonl(path, chunk_size)


def _iter_csv(path: Path, chunk_size: int) -> Table:
    import pandas as pd

    encoding, delimiter = _sniff_text(path)
    columns, blank_lines = _csv_header(path, encoding, delimiter)
    if not any(columns):
        raise InputFormatError(f"{_label(path)}: the header row is empty")
    unique = _unique_names(columns)

    def chunks(table):
        rows = 0
        with open(path, encoding=encoding, errors=_ERROR_HANDLER, newline="") as fh:
            try:
                # The header is read as a data row so that pandas measures every row against
                # its width: a row with extra fields is an error, never a silent shift.
                text = _CleanTextReader(fh)
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
                first = True
                for chunk in reader:
                    if first:
                        chunk = chunk.iloc[1:]
                        first = False
                    if chunk.shape[1] != len(unique):
                        raise InputFormatError(
                            f"{_label(path)}: rows have {chunk.shape[1]} fields but the header "
                            f"has {len(unique)}; fix the header row"
                        )
                    chunk.columns = unique
                    chunk.index = range(rows, rows + len(chunk))
                    rows += len(chunk)
                    table.done = fh.buffer.tell()
                    if len(chunk):
                        yield chunk
            except (pd.errors.ParserError, ValueError) as exc:
                if isinstance(exc, InputFormatError):
                    raise
                if text.interrupted:
                    raise KeyboardInterrupt from None
                raise _parser_message(path, exc) from None
        if rows == 0:
            raise InputFormatError(f"{_label(path)}: the file has a header but no data rows")

    return Table(path, columns, chunks, path.stat().st_size)


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


def _iter_excel(path: Path, chunk_size: int, sheet) -> Table:
    """Stream an .xlsx sheet (openpyxl read-only mode): memory does not grow with its size."""
    import itertools

    import pandas as pd
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types on corrupt files
        raise InputFormatError(
            f"{_label(path)}: cannot read the Excel file; is it a real .xlsx?"
        ) from None
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif isinstance(sheet, int) or str(sheet).isdigit():
            ws = book.worksheets[int(sheet)]
        else:
            ws = book[sheet]
    except (KeyError, IndexError):
        book.close()
        raise InputFormatError(
            f"{_label(path)}: no sheet {sheet!r}; sheets are: {', '.join(book.sheetnames)}"
        ) from None
    rows = (row for row in ws.iter_rows(values_only=True) if any(not _blank(v) for v in row))
    top = list(itertools.islice(rows, 15))
    if not top:
        book.close()
        raise InputFormatError(f"{_label(path)}: the sheet is empty")
    header_at = _find_header_row(top)
    header = list(top[header_at])
    while header and _blank(header[-1]):
        header.pop()
    width = len(header)
    names = ["" if _blank(v) else str(v).strip() for v in header]
    unique = _unique_names(names)
    columns = [c or u for c, u in zip(names, unique, strict=True)]
    first = top[header_at + 1 :]
    if not first:
        book.close()
        raise InputFormatError(f"{_label(path)}: the file has a header but no data rows")

    def chunks(table):
        done = 0
        source = itertools.chain(first, rows)
        try:
            while True:
                block = list(itertools.islice(source, chunk_size))
                if not block:
                    return
                cells = []
                for offset, row in enumerate(block):
                    if any(not _blank(v) for v in row[width:]):
                        raise InputFormatError(
                            f"{_label(path)}: data row {done + offset + 1} has values to the right "
                            "of the last named column; name that column in the header"
                        )
                    cells.append(
                        [_excel_cell_text(v) for v in row[:width]] + [""] * (width - len(row))
                    )
                frame = pd.DataFrame(cells, columns=unique, index=range(done, done + len(cells)))
                done += len(cells)
                table.done = done
                yield frame
        finally:
            book.close()

    return Table(path, columns, chunks, max(ws.max_row or 1, 1))


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


def _iter_parquet(path: Path, chunk_size: int) -> Table:
    import pandas as pd

    try:
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
    except Exception:
        raise InputFormatError(f"{_label(path)}: cannot read the Parquet file") from None
    columns = list(parquet.schema_arrow.names)
    total = parquet.metadata.num_rows
    if total == 0:
        raise InputFormatError(f"{_label(path)}: the file has no data rows")

    def chunks(table):
        rows = 0
        for batch in parquet.iter_batches(batch_size=chunk_size):
            # Arrow types keep integers with gaps as integers (not 101.0).
            frame = batch.to_pandas(types_mapper=pd.ArrowDtype).astype("string").fillna("")
            frame = frame.astype(object)
            frame.columns = _unique_names([str(c) for c in frame.columns])
            frame.index = range(rows, rows + len(frame))
            rows += len(frame)
            table.done = rows
            yield frame

    return Table(path, columns, chunks, total)


def _iter_jsonl(path: Path, chunk_size: int) -> Table:
    """JSON Lines in two passes: check every line and collect the keys, then stream chunks."""
    import json

    import pandas as pd

    def records():
        with open(path, encoding="utf-8-sig", errors=_ERROR_HANDLER) as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    raise InputFormatError(
                        f"{_label(path)}: line {number} is not valid JSON; each line must be one "
                        "object"
                    ) from None
                if not isinstance(record, dict):
                    raise InputFormatError(f"{_label(path)}: line {number} is not a JSON object")
                yield record

    keys: dict = {}
    total = 0
    for record in records():
        keys.update(dict.fromkeys(record))
        total += 1
    if not total:
        raise InputFormatError(f"{_label(path)}: the file has no records")
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

    return Table(path, columns, chunks, total)


def read_table(path: str | os.PathLike, *, sheet: str | int | None = None):
    """Read a whole table into a DataFrame, every cell as text.

    Parameters
    ----------
    path : path-like
        A .csv (UTF-8, UTF-8 with BOM or Windows-1252), .xlsx, .parquet or .jsonl file.
    sheet : str or int, optional
        Excel sheet name or index (default: the first sheet).

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

    frames = list(iter_table(path, chunk_size=100_000, sheet=sheet))
    frame = pd.concat(frames) if len(frames) > 1 else frames[0]
    frame.index = range(len(frame))
    return frame


def find_text_column(
    columns: list[str], requested: str | None = None, *, source: str = "input"
) -> str:
    """Choose the free-text column.

    Parameters
    ----------
    columns : list of str
        Column names of the input.
    requested : str, optional
        A name given by the user (``--text-col``); matched exactly, then ignoring case.
    source : str
        The file name, for messages.

    Returns
    -------
    str

    Raises
    ------
    DataValidationError
        If the requested column is absent or no known column is found; the message lists the
        columns seen.

    Examples
    --------
    >>> find_text_column(["Ref", "Date", "Describe what happened"])
    'Describe what happened'
    >>> find_text_column(["IN01", "IN07"])
    'IN07'
    """
    if requested is not None:
        if requested in columns:
            return requested
        folded = {c.casefold(): c for c in columns}
        if requested.casefold() in folded:
            return folded[requested.casefold()]
        raise DataValidationError(
            f"{source}: no column named '{_shown(requested)}'; columns are: {_column_list(columns)}"
        )
    keyed = {_key(c): c for c in reversed(columns)}
    for candidate in TEXT_COLUMN_CANDIDATES:
        if _key(candidate) in keyed:
            return keyed[_key(candidate)]
    for column in columns:
        key = _key(column)
        if _looks_like_data(column):
            continue
        if "describe" in key or "description" in key or "whathappened" in key:
            return column
    if sum(_looks_like_data(c) for c in columns):
        raise DataValidationError(
            f"{source}: the first row looks like report text, not a header; add a header row "
            "naming the columns"
        )
    raise DataValidationError(
        f"{source}: cannot tell which column holds the report text; pass --text-col. "
        f"Columns are: {_column_list(columns)}"
    )


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).casefold())


def _looks_like_data(name) -> bool:
    """A header cell that reads like a report (long, many words) rather than a column name."""
    name = str(name)
    return len(name) > 60 or len(name.split()) > 7 or bool(re.search(r"\d{6,}", name))


def _shown(name) -> str:
    """A column name safe to print: names that look like report text are not shown."""
    return "(long text, not shown)" if _looks_like_data(name) else str(name)


def _column_list(columns: list[str], limit: int = 30) -> str:
    shown = ", ".join(repr(_shown(c)) for c in columns[:limit])
    return shown + (f", ... ({len(columns)} in all)" if len(columns) > limit else "")


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


def check_not_same_file(input_path: str | os.PathLike, output_path: str | os.PathLike) -> None:
    """Refuse to write over the input file.

    Raises
    ------
    DataValidationError
        If both paths name the same file.
    """
    out = Path(output_path)
    inp = Path(input_path)
    same = out.resolve() == inp.resolve()
    if not same and out.exists() and inp.exists():
        same = os.path.samefile(out, inp)
    if same:
        raise DataValidationError(
            f"{out.name}: the output would overwrite the input; choose another output path"
        )


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place only on success.

    On any error (or Ctrl-C) the temporary file is removed and ``target`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("done")
    >>> out.read_text()
    'done'
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise DataValidationError(f"{target}: the folder {folder} does not exist")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if target.exists():
            try:
                os.chmod(tmp, target.stat().st_mode & 0o777)
            except OSError:
                pass
        else:
            os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def format_rows(frame, fmt: str, *, neutralise: bool = True) -> str:
    """The rows of ``frame`` as CSV (CRLF, no header) or JSON Lines text.

    Kept apart from :class:`TableWriter` so worker processes can format their own chunks.
    In CSV, booleans are written ``true``/``false`` and, with ``neutralise``, cells a
    spreadsheet would run as formulas are neutralised (:func:`neutralise_formula`).
    """
    import pandas as pd

    if fmt == "jsonl":
        # pandas ends JSON Lines output with a newline.
        if not len(frame):
            return ""
        return frame.to_json(orient="records", lines=True, force_ascii=False, double_precision=6)
    frame = frame.copy()
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_bool_dtype(series):
            frame[column] = series.map({True: "true", False: "false"})
        elif neutralise and (
            pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)
        ):
            text = series.astype(str)
            risky = text.str.match(r"[=+\-@\t\r]", na=False)
            if risky.any():
                frame[column] = series.where(~risky, text.map(neutralise_formula))
    # CRLF line ends also make the csv writer quote a bare CR inside a cell.
    return frame.to_csv(header=False, index=False, lineterminator="\r\n")


class TableWriter:
    """Write DataFrame chunks to one CSV, Parquet or JSON Lines file (or CSV to a stream).

    Parameters
    ----------
    target : path-like or file object
        A path (written atomically: nothing appears there until :meth:`close` succeeds) or an
        open text stream such as ``sys.stdout`` (CSV only).
    fmt : {"csv", "parquet", "jsonl"}
    header : list of str, optional
        Column names to write in a CSV header, for example an input header with duplicate names
        that the DataFrames had to make unique.
    neutralise : bool, default=True
        In CSV, neutralise cells a spreadsheet would run as formulas (:func:`neutralise_formula`).

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "o.csv"
    >>> with TableWriter(out, "csv") as w:
    ...     w.write(pd.DataFrame({"a": ["=1+1", "x"], "ok": [True, False]}))
    >>> out.read_bytes()
    b"\\xef\\xbb\\xbfa,ok\\r\\n'=1+1,true\\r\\nx,false\\r\\n"
    """

    def __init__(self, target, fmt: str, *, header: list[str] | None = None, neutralise=True):
        if fmt not in OUTPUT_FORMATS:
            raise DataValidationError(
                f"unknown output format '{fmt}'; use {', '.join(OUTPUT_FORMATS)}"
            )
        self.fmt = fmt
        self.header = header
        self.neutralise = neutralise
        self._stream = None
        self._atomic = None
        self._parquet = None
        self._started = False
        if hasattr(target, "write"):
            if fmt != "csv":
                raise DataValidationError(
                    f"{fmt} output needs a file path (-o); only CSV goes to stdout"
                )
            self._stream = target
        else:
            self._atomic = atomic_path(target)
            self._tmp = self._atomic.__enter__()
            if fmt != "parquet":
                encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
                self._stream = open(self._tmp, "w", encoding=encoding, newline="")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort(exc_type, exc, tb)
        return False

    def write(self, frame) -> None:
        """Append the rows of ``frame`` (a DataFrame, or text from :func:`format_rows`)."""
        text = isinstance(frame, str)
        if self.fmt == "parquet":
            self._write_parquet(frame)
        else:
            if not self._started and self.fmt == "csv":
                names = self.header if self.header is not None or text else list(frame.columns)
                csv.writer(self._stream, lineterminator="\r\n").writerow(map(str, names))
            self._stream.write(
                frame if text else format_rows(frame, self.fmt, neutralise=self.neutralise)
            )
        self._started = True

    def _write_parquet(self, frame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self._tmp, table.schema)
        else:
            table = table.cast(self._parquet.schema)
        self._parquet.write_table(table)

    def close(self) -> None:
        """Finish the file and move it into place."""
        if self._parquet is not None:
            self._parquet.close()
        if self._atomic is not None:
            if self._stream is not None:
                self._stream.close()
            self._atomic.__exit__(None, None, None)
            self._atomic = None
        elif self._stream is not None:
            self._stream.flush()

    def abort(self, exc_type=None, exc=None, tb=None) -> None:
        """Drop the partial output: the target path is left as it was."""
        try:
            if self._parquet is not None:
                self._parquet.close()
            if self._atomic is not None and self._stream is not None:
                self._stream.close()
        finally:
            if self._atomic is not None:
                atomic, self._atomic = self._atomic, None
                with contextlib.suppress(BaseException):
                    atomic.__exit__(exc_type or RuntimeError, exc or RuntimeError(), tb)
