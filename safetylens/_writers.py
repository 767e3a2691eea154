"""Writing outputs safely: one job, tables and files out.

A path is written to a temporary file beside the target and moved into place only when the
whole output is written, so an error, Ctrl-C or a termination signal never leaves a partial file
behind. A stream, a device or a FIFO (``-o -``, ``/dev/stdout``, a named pipe) is written
directly: a rename would replace it with a regular file. Missing output folders are created.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

from safetylens._formula import RISKY_START, neutralise_formula
from safetylens.exceptions import DataValidationError


class OutputFormat(str, Enum):
    """A format ``classify`` writes."""

    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"
    jsonl = "jsonl"


OUTPUT_SUFFIXES = {
    ".csv": OutputFormat.csv,
    ".xlsx": OutputFormat.xlsx,
    ".parquet": OutputFormat.parquet,
    ".pq": OutputFormat.parquet,
    ".jsonl": OutputFormat.jsonl,
    ".ndjson": OutputFormat.jsonl,
}
EXCEL_MAX_ROWS = 1_048_576
"""Rows in one Excel sheet, the header included."""


def output_format(output, requested=None) -> OutputFormat:
    """The output format: ``requested``, else from the output suffix, else CSV.

    Raises
    ------
    DataValidationError
        For an unknown format, or a suffix that safetylens does not write.

    Examples
    --------
    >>> output_format("out.xlsx").value, output_format(None).value
    ('xlsx', 'csv')
    >>> output_format("out.txt", "jsonl").value
    'jsonl'
    """
    if requested is not None:
        try:
            return OutputFormat(str(getattr(requested, "value", requested)).lower())
        except ValueError:
            raise DataValidationError(
                f"unknown --format {requested!r}; use one of "
                + ", ".join(f.value for f in OutputFormat)
            ) from None
    if output is None or hasattr(output, "write") or str(output) == "-":
        return OutputFormat.csv
    suffix = Path(output).suffix.lower()
    if not suffix or _is_special(Path(output)):
        return OutputFormat.csv
    if suffix not in OUTPUT_SUFFIXES:
        raise DataValidationError(
            f"cannot write a '{suffix}' file; use an output ending in "
            + ", ".join(OUTPUT_SUFFIXES)
            + " (or choose one with --format)"
        )
    return OUTPUT_SUFFIXES[suffix]


def _is_special(path: Path) -> bool:
    """True for an existing path that is not a regular file (a device, FIFO or socket)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


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
    if _is_special(target):
        # A device or FIFO is written in place: renaming over it would replace it.
        yield target
        return
    folder = target.parent if str(target.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataValidationError(
            f"{target.name}: cannot create the folder for it ({exc.strerror or 'error'})"
        ) from None
    remove_stale_parts(folder)
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


_PART_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.part$")
STALE_PART_SECONDS = 24 * 3600
"""A temporary ``.NAME.XXXXXXXX.part`` file older than this is left over from a killed run."""


def remove_stale_parts(folder: str | os.PathLike) -> list[Path]:
    """Remove our own temporary files (``.NAME.XXXXXXXX.part``) older than a day in ``folder``.

    A run killed by SIGKILL or a power cut cannot clean up after itself; its partial copy,
    full of report text, is removed by the next run that writes in the same folder. Younger
    files may belong to a run in progress and are kept; other files are never touched.
    """
    import time

    removed = []
    cutoff = time.time() - STALE_PART_SECONDS
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not _PART_NAME.match(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


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

    if output_format(None, fmt) is OutputFormat.jsonl:
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
            risky = text.str.match(RISKY_START, na=False)
            if risky.any():
                frame[column] = series.where(~risky, text.map(neutralise_formula))
    # CRLF line ends also make the csv writer quote a bare CR inside a cell.
    return frame.to_csv(header=False, index=False, lineterminator="\r\n")


class TableWriter:
    """Write DataFrame chunks to one CSV, Excel, Parquet or JSON Lines file (or to a stream).

    Parameters
    ----------
    target : path-like or file object
        A path (written atomically: nothing appears there until :meth:`close` succeeds; a
        device or FIFO is written directly) or an open text stream such as ``sys.stdout``
        (CSV and JSON Lines).
    fmt : OutputFormat or str
        ``"csv"``, ``"xlsx"``, ``"parquet"`` or ``"jsonl"``.
    header : list of str, optional
        Column names to write in a CSV or Excel header, for example an input header with
        duplicate names that the DataFrames had to make unique.
    neutralise : bool, default=True
        In CSV, neutralise cells a spreadsheet would run as formulas (:func:`neutralise_formula`).
        Excel cells are always written as text, never as formulas.

    Attributes
    ----------
    rows_written : int
        Data rows written so far, counted here (not told by the caller).

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "o.csv"
    >>> with TableWriter(out, "csv") as w:
    ...     w.write(pd.DataFrame({"a": ["=1+1", "x"], "ok": [True, False]}))
    >>> out.read_bytes()
    b"\\xef\\xbb\\xbfa,ok\\r\\n'=1+1,true\\r\\nx,false\\r\\n"
    >>> w.rows_written
    2
    """

    def __init__(self, target, fmt, *, header: list[str] | None = None, neutralise=True):
        self.fmt = output_format(None, fmt)
        self.header = header
        self.neutralise = neutralise
        self.rows_written = 0
        self._stream = None
        self._atomic = None
        self._parquet = None
        self._sheet = None
        self._started = False
        if hasattr(target, "write"):
            if self.fmt not in (OutputFormat.csv, OutputFormat.jsonl):
                raise DataValidationError(
                    f"{self.fmt.value} output needs a file path (-o); only CSV and JSON Lines "
                    "go to stdout"
                )
            self._stream = target
        else:
            self._atomic = atomic_path(target)
            self._tmp = self._atomic.__enter__()
            if self.fmt in (OutputFormat.csv, OutputFormat.jsonl):
                encoding = "utf-8-sig" if self.fmt is OutputFormat.csv else "utf-8"
                if _is_special(self._tmp):
                    encoding = "utf-8"  # no byte-order mark into a pipe or terminal
                self._stream = open(self._tmp, "w", encoding=encoding, newline="")
            elif self.fmt is OutputFormat.xlsx:
                from openpyxl import Workbook

                self._book = Workbook(write_only=True)
                self._sheet = self._book.create_sheet("classified")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort(exc_type, exc, tb)
        return False

    def write(self, frame) -> None:
        """Append rows: a DataFrame, or ``(text, n_rows)`` from :func:`format_rows`."""
        if isinstance(frame, tuple):
            text, n_rows = frame
            if self.fmt not in (OutputFormat.csv, OutputFormat.jsonl):
                raise TypeError("preformatted rows are only for CSV and JSON Lines")
            self._write_header(None)
            self._stream.write(text)
            self.rows_written += n_rows
        elif self.fmt is OutputFormat.parquet:
            self._write_parquet(frame)
            self.rows_written += len(frame)
        elif self.fmt is OutputFormat.xlsx:
            self._write_excel(frame)
        else:
            self._write_header(list(frame.columns))
            self._stream.write(format_rows(frame, self.fmt, neutralise=self.neutralise))
            self.rows_written += len(frame)
        self._started = True

    def _write_header(self, columns) -> None:
        if self._started or self.fmt is not OutputFormat.csv:
            return
        names = self.header if self.header is not None else columns
        if names is None:
            raise TypeError("a CSV header is needed before preformatted rows")
        cells = [neutralise_formula(str(n)) if self.neutralise else str(n) for n in names]
        csv.writer(self._stream, lineterminator="\r\n").writerow(cells)

    def _write_excel(self, frame) -> None:
        names = self.header if self.header is not None else [str(c) for c in frame.columns]
        if not self._started:
            self._sheet.append([_excel_text(self._sheet, str(n)) for n in names])
        if self.rows_written + len(frame) + 1 > EXCEL_MAX_ROWS:
            raise DataValidationError(
                f"the output has more rows than an Excel sheet holds ({EXCEL_MAX_ROWS - 1:,} "
                "data rows); write CSV or Parquet instead"
            )
        for row in frame.itertuples(index=False, name=None):
            self._sheet.append([_excel_value(self._sheet, v) for v in row])
        self.rows_written += len(frame)

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
        if self.fmt is OutputFormat.csv and not self._started and self.header is not None:
            self._write_header(None)
        if self._parquet is not None:
            self._parquet.close()
        if self._sheet is not None:
            if not self._started and self.header is not None:
                self._sheet.append([_excel_text(self._sheet, str(n)) for n in self.header])
            self._book.save(self._tmp)
            self._sheet = None
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


def _excel_text(sheet, value: str):
    """A text cell: control characters Excel cannot hold are dropped, and a value starting with
    ``=`` is stored as text, never as a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell


def _excel_value(sheet, value):
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (bool, int, float)):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return _excel_text(sheet, str(value))
