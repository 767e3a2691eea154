"""Labelling reports in bulk: DataFrames in memory, or files streamed chunk by chunk.

Every input row comes out exactly once, in input order, with its columns unchanged, plus:
``labels`` (names joined with ``;`` in taxonomy order, empty for none), ``information_linked``,
``p_<label>`` for each label, ``needs_review`` and, when asked, ``evidence`` (all behind an
optional prefix). A row without usable text keeps its place, gets no labels, blank
probabilities and ``needs_review`` true.

The models behind it (:class:`~safetylens._model.IncidentClassifier`, the fast TF-IDF model,
and :class:`~safetylens._encoder.EncoderClassifier`, the accurate encoder) share one interface:
``predict_proba_readable``, ``decide``, ``needs_review`` and ``explain``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from safetylens._names import column_list, looks_like_text, shown
from safetylens.exceptions import DataValidationError
from safetylens.taxonomy import LABEL_SEPARATOR, LABELS

PROBABILITY_COLUMNS = tuple(f"p_{label}" for label in LABELS)
OUTPUT_COLUMNS = ("labels", "information_linked", *PROBABILITY_COLUMNS, "needs_review")
"""Columns ``classify`` adds, in order (``evidence`` follows with ``explain``)."""

MIN_TEXT_CHARS = 3
NULL_TEXTS = (
    "n/a",
    "na",
    "nil",
    "none",
    "null",
    "unknown",
    "not known",
    "tbc",
    "see above",
    "not applicable",
    "no text",
)
"""Placeholders that exports put in an empty description: counted as "no text"."""

MAX_FEATURE_CHARS = 100_000
"""Characters of one report used for the labels: a longer cell (a pasted log, a whole case
note) is kept whole in the output, labelled from its first 100,000 characters and flagged
``needs_review``. This bounds the time and memory one cell can take, for both models."""

SMALL_INPUT_ROWS = {"fast": 20_000, "accurate": 5_000}
"""Below about this many reports, one process is faster than several (workers take seconds to
start and load the model)."""

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
            f"{source}: no column named {shown(requested)}; columns are: {column_list(columns)}"
        )
    keyed = {_key(c): c for c in reversed(columns)}
    for candidate in TEXT_COLUMN_CANDIDATES:
        if _key(candidate) in keyed:
            return keyed[_key(candidate)]
    for column in columns:
        key = _key(column)
        if looks_like_text(column):
            continue
        if "describe" in key or "description" in key or "whathappened" in key:
            return column
    if sum(looks_like_text(c) for c in columns):
        raise DataValidationError(
            f"{source}: the first row looks like report text, not a header; add a header row "
            "naming the columns, or pass --no-header if the file has none"
        )
    raise DataValidationError(
        f"{source}: cannot tell which column holds the report text; pass --text-col. "
        f"Columns are: {column_list(columns)}"
    )


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).casefold())


def added_columns(prefix: str = "", explain: bool = False) -> list[str]:
    """Names of the columns classify adds, behind ``prefix``.

    Examples
    --------
    >>> added_columns("sl_")[:2]
    ['sl_labels', 'sl_information_linked']
    """
    names = [*OUTPUT_COLUMNS, *(["evidence"] if explain else [])]
    return [prefix + name for name in names]


def _refuse_added_columns(columns, source: str, prefix: str = "") -> None:
    """Refuse an input that already has a column classify adds (it would be overwritten)."""
    present = {str(c) for c in columns}
    clash = [c for c in added_columns(prefix, explain=True) if c in present]
    if clash:
        raise DataValidationError(
            f"{source} already has column(s) {', '.join(clash)} that classify adds; pass "
            "--prefix (for example --prefix sl_) to name the added columns differently"
        )


@dataclass
class Summary:
    """Counts for the end-of-run line: every row read is written, with or without labels.

    ``rows_read`` is counted by the reader and ``rows_written`` by the writer, independently, so a
    lost row shows as a difference (and stops the run).
    """

    rows_read: int = 0
    rows_written: int = 0
    rows_labelled: int = 0
    no_text: int = 0
    per_label: Counter = field(default_factory=Counter)

    def add(self, other: Summary) -> None:
        self.rows_read += other.rows_read
        self.rows_written += other.rows_written
        self.rows_labelled += other.rows_labelled
        self.no_text += other.no_text
        self.per_label.update(other.per_label)

    def line(self) -> str:
        """One line, e.g. ``rows read 10, rows written 10, labelled 4, no text 1; it_system 2``."""
        counts = ", ".join(f"{label} {self.per_label.get(label, 0)}" for label in LABELS)
        return (
            f"rows read {self.rows_read}, rows written {self.rows_written}, "
            f"labelled {self.rows_labelled}, no text {self.no_text}; {counts}"
        )


def _usable(text) -> bool:
    return isinstance(text, str) and len(text.strip()) >= MIN_TEXT_CHARS


_PLACEHOLDER = re.compile(r"[\W_]+")
_NULL_KEYS = frozenset(_PLACEHOLDER.sub("", t) for t in NULL_TEXTS)


def _placeholder(text: str) -> bool:
    return _PLACEHOLDER.sub("", text.casefold()) in _NULL_KEYS


def label_texts(texts, model, *, explain: bool = False, redact: bool = False, prefix: str = ""):
    """Classify a sequence of texts and return the added columns as a DataFrame.

    Parameters
    ----------
    texts : sequence of str
        Missing or blank values, and text with no words the model can read (only symbols,
        emoji, another script, or placeholders such as "n/a"), get no labels, blank
        probabilities and ``needs_review`` true. Only the first :data:`MAX_FEATURE_CHARS`
        characters of a text are used; a longer one is flagged ``needs_review``.
    model : IncidentClassifier or EncoderClassifier
    explain : bool, default=False
        Add an ``evidence`` column.
    redact : bool, default=False
        Redact identifiers in ``evidence``.
    prefix : str, default=""
        Put before the name of every added column.

    Returns
    -------
    pandas.DataFrame
        Columns :func:`added_columns`, one row per text, in order.
    """
    import numpy as np
    import pandas as pd

    if isinstance(texts, str):
        raise DataValidationError("expected a list of report texts, got a single string")
    texts = list(texts)
    long_cells = np.array(
        [isinstance(t, str) and len(t) > MAX_FEATURE_CHARS for t in texts], dtype=bool
    )
    texts = [t[:MAX_FEATURE_CHARS] if isinstance(t, str) else t for t in texts]
    n = len(texts)
    cleaned = [t if _usable(t) and not _placeholder(t) else "" for t in texts]
    proba = np.asarray(model.predict_proba_readable(cleaned), dtype=float).reshape(n, len(LABELS))
    usable = ~np.isnan(proba).any(axis=1)
    decisions = np.zeros((n, len(LABELS)), dtype=np.int8)
    review = ~usable
    index = np.flatnonzero(usable)
    if len(index):
        decisions[index] = model.decide(proba[index])
        review[index] = model.needs_review(proba[index])
    review = review | long_cells  # labelled from the first MAX_FEATURE_CHARS characters only
    names = np.array(LABELS, dtype=object)
    out = {
        "labels": [LABEL_SEPARATOR.join(names[row.astype(bool)]) for row in decisions],
        "information_linked": decisions.any(axis=1),
    }
    for k, column in enumerate(PROBABILITY_COLUMNS):
        out[column] = np.round(proba[:, k], 4)
    out["needs_review"] = review
    if explain:
        evidence = [""] * n
        if len(index):
            chosen = [texts[i] for i in index]
            for i, text in zip(index, model.explain(chosen, decisions[index]), strict=True):
                evidence[i] = text
        if redact:
            from safetylens._redact import redact as redact_text

            evidence = [redact_text(e) if e else e for e in evidence]
        out["evidence"] = evidence
    frame = pd.DataFrame(out)
    if prefix:
        frame.columns = [prefix + c for c in frame.columns]
    return frame


def classify_frame(
    frame, model=None, *, text_col=None, id_col=None, explain=False, redact=False, prefix=""
):
    """Return ``frame`` with the classification columns added (a new DataFrame).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per report.
    model : classifier, str or path-like, optional
        A loaded model, ``"accurate"`` (the default), ``"fast"`` or a model folder.
    text_col : str, optional
        The free-text column; found among common export names when not given.
    id_col : str, optional
        An identifier column, never redacted.
    explain : bool, default=False
        Add an ``evidence`` column.
    redact : bool, default=False
        Replace NHS numbers, dates of birth, postcodes, phone numbers, e-mail addresses and
        names after a title in every text column but ``id_col``, and in ``evidence``, with
        placeholders. Labels are computed before redaction, so they do not change.
    prefix : str, default=""
        Put before the name of every added column (for inputs that already have a ``labels``
        column, for example).

    Examples
    --------
    >>> import pandas as pd
    >>> out = classify_frame(pd.DataFrame({"description": ["EPR down, could not see allergies"]}),
    ...                      "fast")
    >>> out.columns[:3].tolist()
    ['description', 'labels', 'information_linked']
    """
    import pandas as pd

    if model is None or isinstance(model, (str, os.PathLike)):
        from safetylens._modelcard import load_model

        model = load_model(model)
    column = find_text_column([str(c) for c in frame.columns], text_col)
    _refuse_added_columns(frame.columns, "the input", prefix)
    if frame.columns.duplicated().any():
        raise DataValidationError("the DataFrame has duplicate column names; make them unique")
    added = label_texts(
        frame[column].tolist(), model, explain=explain, redact=redact, prefix=prefix
    )
    added.index = frame.index
    if redact:
        frame = _redact_columns(frame, [c for c in frame.columns if c != id_col])
    return pd.concat([frame, added], axis=1)


def summarise(added, prefix: str = "") -> Summary:
    """Count labelled rows, rows without text and labels in one chunk's added columns."""
    summary = Summary()
    summary.no_text = int(added[prefix + "p_" + LABELS[0]].isna().sum())
    summary.rows_labelled = int(added[prefix + "information_linked"].sum())
    labels = added[prefix + "labels"]
    for label in LABELS:
        summary.per_label[label] = int(labels.str.contains(label, regex=False).sum())
    return summary


def _redact_columns(frame, columns):
    from safetylens._redact import redact as redact_text

    frame = frame.copy()
    for column in columns:
        values = frame[column].tolist()
        if any(isinstance(v, str) and v for v in values):
            frame[column] = [redact_text(v) if isinstance(v, str) and v else v for v in values]
    return frame


def _label_chunk(model, chunk, column, id_column, explain, redact, fmt, neutralise, prefix):
    """Label one chunk and format it for the output: (payload, summary).

    CSV and JSON Lines are formatted here, as ``(text, rows)``, so worker processes share that
    work too; other formats travel as DataFrames.
    """
    import pandas as pd

    from safetylens._writers import OutputFormat, format_rows

    added = label_texts(
        chunk[column].tolist(), model, explain=explain, redact=redact, prefix=prefix
    )
    added.index = chunk.index
    if redact:
        chunk = _redact_columns(chunk, [c for c in chunk.columns if c != id_column])
    frame = pd.concat([chunk, added], axis=1)
    if fmt in (OutputFormat.csv, OutputFormat.jsonl):
        payload = (format_rows(frame, fmt, neutralise=neutralise), len(frame))
    else:
        payload = frame
    return payload, summarise(added, prefix)


_worker_models: dict = {}


def _label_chunk_in_worker(model_dir, trust, threads, chunk, *args):
    """Run :func:`_label_chunk` in a worker process, loading the model once per process."""
    import warnings

    key = (str(model_dir), trust)
    if key not in _worker_models:
        from safetylens._modelcard import load_model

        os.environ["SAFETYLENS_THREADS"] = str(threads)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the parent process has already shown them
            _worker_models[key] = load_model(model_dir, trust=trust)
    return _label_chunk(_worker_models[key], chunk, *args)


def _peek(chunks):
    """The first chunk (or None) and an iterator over all chunks, the first included."""
    import itertools

    iterator = iter(chunks)
    first = next(iterator, None)
    if first is None:
        return None, iter(())
    return first, itertools.chain([first], iterator)


def classify_file(
    input_path,
    output=None,
    *,
    text_col=None,
    id_col=None,
    model=None,
    trust_model=False,
    fmt=None,
    chunk_size=5_000,
    explain=False,
    redact=False,
    n_jobs=1,
    neutralise=True,
    prefix="",
    sheet=None,
    scheduler=None,
    header=True,
    on_start=None,
    on_progress=None,
    on_note=None,
) -> Summary:
    """Classify a whole file chunk by chunk, writing every row in order.

    Parameters
    ----------
    input_path : path-like
        CSV (UTF-8, UTF-8 with BOM or Windows-1252), .xlsx, .parquet or .jsonl.
    output : path-like or text stream, optional
        Output path (written atomically; ``"-"`` for stdout) or an open stream for CSV or JSON
        Lines; default ``sys.stdout``.
    text_col, id_col : str, optional
        The free-text column (found among common names when not given) and an identifier column
        (checked to exist; never redacted).
    model : str or path-like, optional
        ``"accurate"`` (the default), ``"fast"``, or a model folder.
    trust_model : bool, default=False
        Load a joblib model that is neither shipped nor trained on this machine.
    fmt : {"csv", "xlsx", "parquet", "jsonl"}, optional
        Output format; default from the output suffix, else CSV.
    chunk_size : int, default=5000
        Rows per chunk: memory stays flat whatever the input size.
    explain, redact, prefix : see :func:`classify_frame`.
    n_jobs : int, default=1
        Worker processes (-1 for all cores); output order is kept. A small input is classified
        in one process, which is faster.
    neutralise : bool, default=True
        Neutralise spreadsheet formulas in CSV output.
    sheet : str or int, optional
        Excel sheet name or 0-based index (default: the first visible sheet).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``): the chunks are labelled on
        that cluster's workers (the model is sent to them; they need safetylens installed, not
        the input file), and written here in order. Needs the ``dask`` extra.
    header : bool, default=True
        False for a CSV or Excel file without a header row: columns are named ``column_1``,
        ``column_2``, ... and, without ``text_col``, the text column is the one with the
        longest text in the first chunk.
    on_start : callable, optional
        Called once with ``(table, text_column)`` before the first chunk.
    on_progress : callable, optional
        Called after each chunk with ``(table, summary_so_far)``.
    on_note : callable, optional
        Called with a line of ``--verbose`` detail (never report text).

    Returns
    -------
    Summary
    """
    import sys

    from safetylens._modelcard import load_model, resolve_model_dir
    from safetylens._readers import iter_table
    from safetylens._writers import TableWriter, check_not_same_file, output_format

    to_stream = output is None or hasattr(output, "write") or str(output) == "-"
    out_fmt = output_format(None if to_stream else output, fmt)
    if not to_stream:
        check_not_same_file(input_path, output)
    if not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise DataValidationError(f"--n-jobs must be a positive number or -1; got {n_jobs}")
    model_dir = resolve_model_dir(model)
    loaded = load_model(model_dir, trust=trust_model)
    table = iter_table(input_path, chunk_size=chunk_size, sheet=sheet, header=header)
    source = Path(input_path).name
    first, chunks = _peek(table)
    if not header and text_col is None and first is not None:
        text_col = _longest_text_column(first)
    column_index = table.columns.index(find_text_column(table.columns, text_col, source=source))
    id_index = None
    if id_col is not None:
        id_index = table.columns.index(find_text_column(table.columns, id_col, source=source))
    _refuse_added_columns(table.columns, source, prefix)
    names = list(table.columns)
    if redact:
        from safetylens._redact import redact as redact_text

        # A header cell can hold report text too (a headerless export read with a header).
        names = [n if i == id_index else redact_text(n) for i, n in enumerate(names)]
    header = names + added_columns(prefix, explain)
    if on_start is not None:
        on_start(table, table.columns[column_index])

    def column_of(chunk):
        return chunk.columns[column_index]

    def id_of(chunk):
        return None if id_index is None else chunk.columns[id_index]

    options = (explain, redact, out_fmt, neutralise, prefix)
    workers = (os.cpu_count() or 1) if n_jobs == -1 else n_jobs
    if workers > 1 and first is not None:
        estimate = _estimated_rows(table, first)
        small = SMALL_INPUT_ROWS.get(_backend(loaded), SMALL_INPUT_ROWS["fast"])
        if estimate < small:
            workers = 1
            if on_note is not None:
                on_note(
                    f"about {estimate:,} reports: one process is faster than {n_jobs} below "
                    f"about {small:,}, so --n-jobs is not used"
                )
        elif on_note is not None:
            on_note(f"about {estimate:,} reports: classifying with {workers} worker processes")
    if scheduler is not None:
        results = _on_dask(scheduler, loaded, chunks, column_of, id_of, options, on_note)
    elif workers == 1:
        results = (_label_chunk(loaded, c, column_of(c), id_of(c), *options) for c in chunks)
    else:
        from joblib import Parallel, delayed

        threads = max(1, (os.cpu_count() or 1) // workers)
        parallel = Parallel(n_jobs=workers, return_as="generator", pre_dispatch="2*n_jobs")
        results = parallel(
            delayed(_label_chunk_in_worker)(
                model_dir, trust_model, threads, c, column_of(c), id_of(c), *options
            )
            for c in chunks
        )
    summary = Summary()
    target = sys.stdout if to_stream and not hasattr(output, "write") else output
    with TableWriter(target, out_fmt, header=header, neutralise=neutralise) as writer:
        for payload, part in results:
            writer.write(payload)
            summary.add(part)
            summary.rows_read = table.rows_read
            summary.rows_written = writer.rows_written
            if on_progress is not None:
                on_progress(table, summary)
        summary.rows_read = table.rows_read
        summary.rows_written = writer.rows_written
        if summary.rows_read != summary.rows_written:
            raise DataValidationError(
                f"{source}: {summary.rows_read} rows were read but {summary.rows_written} "
                "written; the output was not saved. Please report this"
            )
    return summary


def _on_dask(address, model, chunks, column_of, id_of, options, on_note):
    """Label chunks on a Dask cluster, a bounded number in flight, yielding results in order."""
    from collections import deque

    try:
        from distributed import Client
    except ImportError:
        raise DataValidationError(
            '--scheduler needs Dask: pip install "safetylens[dask]"'
        ) from None
    try:
        client = Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError):
        raise DataValidationError(
            f"cannot reach the Dask scheduler at {address}; is the cluster running?"
        ) from None
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        if on_note is not None:
            on_note(f"labelling on the Dask cluster at {address} ({n_workers} workers)")
        shared = client.scatter(model, broadcast=True)
        pending = deque()
        for chunk in chunks:
            pending.append(
                client.submit(
                    _label_chunk,
                    shared,
                    chunk,
                    column_of(chunk),
                    id_of(chunk),
                    *options,
                    pure=False,
                )
            )
            if len(pending) >= 2 * n_workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        client.close()


def _longest_text_column(chunk) -> str:
    """The column whose cells are longest on average (the report text of a headerless file)."""
    lengths = {column: chunk[column].astype(str).str.len().mean() for column in chunk.columns}
    return max(lengths, key=lambda c: lengths[c])


def _backend(model) -> str:
    return "accurate" if type(model).__name__ != "IncidentClassifier" else "fast"


def _estimated_rows(table, first) -> int:
    """Rows in the whole input, estimated from the first chunk and the share of it read."""
    if table.done >= table.total:
        return len(first)
    return int(len(first) * table.total / max(table.done, 1))
