"""Labelling reports in bulk: DataFrames in memory, or files streamed chunk by chunk.

Every input row comes out exactly once, in input order, with its columns unchanged, plus:
``labels`` (names joined with ``;`` in taxonomy order, empty for none), ``information_linked``,
``p_<label>`` for each label, ``needs_review`` and, when asked, ``evidence``. A row without usable
text keeps its place, gets no labels, blank probabilities and ``needs_review`` true.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass
class Summary:
    """Counts for the end-of-run line: every row read is written, with or without labels."""

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


_null_cache: dict = {}


def _null_features(model) -> frozenset:
    """Normalised forms of :data:`NULL_TEXTS` (rows with only these have no text)."""
    key = id(model)
    if key not in _null_cache:
        normaliser = model.pipeline_.named_steps["normalise"]
        _null_cache.clear()
        _null_cache[key] = frozenset(normaliser.transform(list(NULL_TEXTS)))
    return _null_cache[key]


def label_texts(model, texts, *, explain: bool = False, redact: bool = False):
    """Classify a sequence of texts and return the added columns as a DataFrame.

    Parameters
    ----------
    model : IncidentClassifier
    texts : sequence of str
        Missing or blank values, and text with no words the model can read (only symbols,
        emoji, another script, or placeholders such as "n/a"), get no labels, blank
        probabilities and ``needs_review`` true.
    explain : bool, default=False
        Add an ``evidence`` column.
    redact : bool, default=False
        Redact identifiers in ``evidence``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`OUTPUT_COLUMNS` (and ``evidence``), one row per text, in order.
    """
    import numpy as np
    import pandas as pd

    if isinstance(texts, str):
        raise DataValidationError("expected a list of report texts, got a single string")
    texts = list(texts)
    n = len(texts)
    normalised = model.pipeline_.named_steps["normalise"].transform(
        [t if _usable(t) else "" for t in texts]
    )
    null = _null_features(model)
    usable = np.fromiter((bool(f) and f not in null for f in normalised), dtype=bool, count=n)
    proba = np.full((n, len(LABELS)), np.nan)
    decisions = np.zeros((n, len(LABELS)), dtype=np.int8)
    review = ~usable
    index = np.flatnonzero(usable)
    if len(index):
        chosen = [texts[i] for i in index]
        # The text was normalised above; the rest of the pipeline takes it from there.
        p = model.pipeline_[1:].predict_proba([normalised[i] for i in index])
        proba[index] = p
        decisions[index] = model.decide(p)
        review[index] = model.needs_review(p)
    names = np.array(LABELS, dtype=object)
    labels = [LABEL_SEPARATOR.join(names[row.astype(bool)]) for row in decisions]
    out = {
        "labels": labels,
        "information_linked": decisions.any(axis=1),
    }
    for k, column in enumerate(PROBABILITY_COLUMNS):
        out[column] = np.round(proba[:, k], 4)
    out["needs_review"] = review
    if explain:
        evidence = [""] * n
        if len(index):
            for i, text in zip(index, model.explain(chosen, decisions[index]), strict=True):
                evidence[i] = text
        if redact:
            from safetylens.redact import redact as redact_text

            evidence = [redact_text(e) if e else e for e in evidence]
        out["evidence"] = evidence
    return pd.DataFrame(out)


def classify_frame(frame, model=None, *, text_col=None, id_col=None, explain=False, redact=False):
    """Return ``frame`` with the classification columns added (a new DataFrame).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per report.
    model : IncidentClassifier, optional
        Default: the shipped model.
    text_col : str, optional
        The free-text column; found among common export names when not given.
    id_col : str, optional
        An identifier column, never redacted.
    explain : bool, default=False
        Add an ``evidence`` column.
    redact : bool, default=False
        Replace NHS numbers, dates of birth, postcodes, phone numbers and e-mail addresses in
        every text column but ``id_col``, and in ``evidence``, with placeholders. Labels are
        computed before redaction, so
        they do not change.

    Examples
    --------
    >>> import pandas as pd
    >>> out = classify_frame(pd.DataFrame({"description": ["EPR down, could not see allergies"]}))
    >>> out.columns[:3].tolist()
    ['description', 'labels', 'information_linked']
    """
    import pandas as pd

    from safetylens.io import find_text_column

    if model is None:
        from safetylens.modelcard import load_model

        model, _ = load_model()
    column = find_text_column([str(c) for c in frame.columns], text_col)
    _refuse_added_columns(frame.columns, "the input")
    if frame.columns.duplicated().any():
        raise DataValidationError("the DataFrame has duplicate column names; make them unique")
    added = label_texts(model, frame[column].tolist(), explain=explain, redact=redact)
    added.index = frame.index
    if redact:
        frame = _redact_columns(frame, [c for c in frame.columns if c != id_col])
    return pd.concat([frame, added], axis=1)


def _refuse_added_columns(columns, source: str) -> None:
    """Refuse an input that already has a column classify adds (it would be overwritten)."""
    clash = [c for c in (*OUTPUT_COLUMNS, "evidence") if c in columns]
    if clash:
        raise DataValidationError(
            f"{source} already has column(s) {clash} that classify adds; rename them or classify "
            "the original export"
        )


def summarise(added) -> Summary:
    """Count rows, labelled rows, rows without text and labels in one chunk's added columns."""
    summary = Summary(rows_read=len(added), rows_written=len(added))
    summary.no_text = int(added["p_" + LABELS[0]].isna().sum())
    summary.rows_labelled = int(added["information_linked"].sum())
    for label in LABELS:
        summary.per_label[label] = int(added["labels"].str.contains(label, regex=False).sum())
    return summary


def output_format(output: str | os.PathLike | None, requested: str | None) -> str:
    """The output format: ``requested``, else from the output suffix, else CSV."""
    from safetylens.io import OUTPUT_FORMATS

    if requested is not None:
        fmt = requested.lower()
        if fmt not in OUTPUT_FORMATS:
            raise DataValidationError(
                f"unknown --format '{requested}'; use one of {', '.join(OUTPUT_FORMATS)}"
            )
        return fmt
    if output is None:
        return "csv"
    suffix = Path(output).suffix.lower()
    return {".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(
        suffix, "csv"
    )


def _redact_columns(frame, columns):
    from safetylens.redact import redact as redact_text

    frame = frame.copy()
    for column in columns:
        values = frame[column].tolist()
        if any(isinstance(v, str) and v for v in values):
            frame[column] = [redact_text(v) if isinstance(v, str) and v else v for v in values]
    return frame


def _label_chunk(model, chunk, column, id_column, explain, redact, fmt, neutralise):
    """Label one chunk and format it for the output: (text or DataFrame, summary).

    CSV and JSON Lines are formatted here, so worker processes share that work too.
    """
    import pandas as pd

    from safetylens.io import format_rows

    added = label_texts(model, chunk[column].tolist(), explain=explain, redact=redact)
    added.index = chunk.index
    if redact:
        chunk = _redact_columns(chunk, [c for c in chunk.columns if c != id_column])
    frame = pd.concat([chunk, added], axis=1)
    payload = frame if fmt == "parquet" else format_rows(frame, fmt, neutralise=neutralise)
    return payload, summarise(added)


_worker_models: dict = {}


def _label_chunk_in_worker(model_dir, trust, chunk, *args):
    """Run :func:`_label_chunk` in a worker process, loading the model once per process."""
    import warnings

    key = (str(model_dir), trust)
    if key not in _worker_models:
        from safetylens.modelcard import load_model

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the parent process has already shown them
            _worker_models[key] = load_model(model_dir, trust=trust)[0]
    return _label_chunk(_worker_models[key], chunk, *args)


def classify_file(
    input_path,
    output=None,
    *,
    text_col=None,
    id_col=None,
    model_dir=None,
    trust_model=False,
    fmt=None,
    chunk_size=5_000,
    explain=False,
    redact=False,
    n_jobs=1,
    neutralise=True,
    on_start=None,
    on_progress=None,
) -> Summary:
    """Classify a whole file chunk by chunk, writing every row in order.

    Parameters
    ----------
    input_path : path-like
        CSV (UTF-8, UTF-8 with BOM or Windows-1252), .xlsx, .parquet or .jsonl.
    output : path-like or text stream, optional
        Output path (written atomically) or an open stream for CSV; default ``sys.stdout``.
    text_col, id_col : str, optional
        The free-text column (found among common names when not given) and an identifier column
        (checked to exist; never redacted).
    model_dir : path-like, optional
        Model folder; default the shipped model.
    trust_model : bool, default=False
        Load a model that is neither shipped nor trained on this machine.
    fmt : {"csv", "parquet", "jsonl"}, optional
        Output format; default from the output suffix, else CSV.
    chunk_size : int, default=5000
        Rows per chunk: memory stays flat whatever the input size.
    explain, redact : bool
        See :func:`classify_frame`.
    n_jobs : int, default=1
        Worker processes (-1 for all cores); output order is kept.
    neutralise : bool, default=True
        Neutralise spreadsheet formulas in CSV output.
    on_start : callable, optional
        Called once with ``(table, text_column)`` before the first chunk.
    on_progress : callable, optional
        Called after each chunk with ``(table, summary_so_far)``.

    Returns
    -------
    Summary
    """
    import sys

    from safetylens.io import TableWriter, check_not_same_file, find_text_column, iter_table
    from safetylens.modelcard import default_model_dir, load_model

    out_fmt = output_format(output if not hasattr(output, "write") else None, fmt)
    if output is not None and not hasattr(output, "write"):
        check_not_same_file(input_path, output)
    if not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise DataValidationError(f"--n-jobs must be a positive number or -1; got {n_jobs}")
    model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
    model, _ = load_model(model_dir, trust=trust_model)
    table = iter_table(input_path, chunk_size=chunk_size)
    source = Path(input_path).name
    column_index = table.columns.index(find_text_column(table.columns, text_col, source=source))
    id_index = None
    if id_col is not None:
        id_index = table.columns.index(find_text_column(table.columns, id_col, source=source))
    _refuse_added_columns(table.columns, source)
    added = list(OUTPUT_COLUMNS) + (["evidence"] if explain else [])
    header = list(table.columns) + added
    if on_start is not None:
        on_start(table, table.columns[column_index])

    def column_of(chunk):
        return chunk.columns[column_index]

    def id_of(chunk):
        return None if id_index is None else chunk.columns[id_index]

    options = (explain, redact, out_fmt, neutralise)
    if n_jobs == 1:
        results = (_label_chunk(model, c, column_of(c), id_of(c), *options) for c in table)
    else:
        from joblib import Parallel, delayed

        workers = Parallel(n_jobs=n_jobs, return_as="generator", pre_dispatch="2*n_jobs")
        results = workers(
            delayed(_label_chunk_in_worker)(
                model_dir, trust_model, c, column_of(c), id_of(c), *options
            )
            for c in table
        )
    summary = Summary()
    target = sys.stdout if output is None else output
    with TableWriter(target, out_fmt, header=header, neutralise=neutralise) as writer:
        for frame, part in results:
            writer.write(frame)
            summary.add(part)
            if on_progress is not None:
                on_progress(table, summary)
    return summary
