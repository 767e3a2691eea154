"""The ``safetylens`` command line: parses options, calls the library, prints.

Heavy libraries (pandas, scikit-learn, statsmodels, matplotlib, NLTK) are imported inside the
commands, so ``safetylens --help`` stays instant.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from safetylens._cliutil import guard, info
from safetylens.cli_its import its

app = typer.Typer(
    name="safetylens",
    help="Classify NHS incident reports into information-linked categories, and compare incident "
    "rates before and after a digital rollout with interrupted time-series analysis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
model_app = typer.Typer(
    help="Inspect models.", no_args_is_help=True, pretty_exceptions_show_locals=False
)
app.add_typer(model_app, name="model")

TEXT_COL = typer.Option(
    None,
    "--text-col",
    help="Column holding the report text (default: found among common export names).",
)
MODEL_DIR = typer.Option(
    None, "--model", help="Model folder (default: the shipped model).", show_default=False
)
TRUST_MODEL = typer.Option(
    False,
    "--trust-model",
    help="Load a model that is neither the shipped one nor trained on this machine. A model file "
    "can run code when loaded: use only for models from a source you trust.",
)
VERBOSE = typer.Option(
    False, "--verbose", "-v", help="Say more about what is happening (never report text)."
)


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


@app.command()
def classify(
    input: Path = typer.Argument(..., help="Export to classify: .csv, .xlsx, .parquet or .jsonl."),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Output file (default: CSV to stdout)."
    ),
    text_col: str | None = TEXT_COL,
    id_col: str | None = typer.Option(None, "--id-col", help="Column identifying each report."),
    model: Path | None = MODEL_DIR,
    format: str | None = typer.Option(
        None, "--format", help="csv, parquet or jsonl (default: from the output suffix, else csv)."
    ),
    chunk_size: int = typer.Option(5000, "--chunk-size", min=1, help="Rows per chunk."),
    explain: bool = typer.Option(
        False, "--explain", help="Add an 'evidence' column naming the words behind each label."
    ),
    redact: bool = typer.Option(
        False,
        "--redact",
        help="Replace NHS numbers, dates of birth, postcodes, phone numbers and e-mail addresses "
        "in the text written out (labels are unchanged).",
    ),
    n_jobs: int = typer.Option(1, "--n-jobs", help="Worker processes; -1 for all cores."),
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

    Example: safetylens classify datix_export.csv -o classified.csv --explain
    """
    from safetylens.classify import classify_file

    with guard(verbose):
        show_bar = sys.stderr.isatty()
        state = {}

        def on_start(table, column):
            info(f"safetylens: reading {table.path.name}; text column '{column}'")
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

        try:
            summary = classify_file(
                input,
                output,
                text_col=text_col,
                id_col=id_col,
                model_dir=model,
                trust_model=trust_model,
                fmt=format,
                chunk_size=chunk_size,
                explain=explain,
                redact=redact,
                n_jobs=n_jobs,
                neutralise=not no_formula_guard,
                on_start=on_start,
                on_progress=on_progress,
            )
        finally:
            if "bar" in state:
                state["bar"].__exit__(None, None, None)
        info(f"safetylens: {summary.line()}")
        if output is not None:
            info(f"safetylens: wrote {output}")


@app.command()
def train(
    data: list[Path] = typer.Argument(
        ..., help="Labelled reports: a text column and a 'labels' column; several files are joined."
    ),
    output: Path = typer.Option(..., "-o", "--output", help="Folder to write the model into."),
    text_col: str | None = TEXT_COL,
    labels_col: str = typer.Option(
        "labels", "--labels-col", help="Column of ';'-separated label names (empty for none)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for the cross-validation splits."),
    cv: int = typer.Option(5, "--cv", min=2, help="Folds used to tune the decision thresholds."),
    test: Path | None = typer.Option(
        None,
        "--test",
        help="Held-out labelled reports to score the model on (figures go in the card).",
    ),
    verbose: bool = VERBOSE,
) -> None:
    """Train a classifier on labelled reports and write a model folder with its card.

    Example: safetylens train train.csv more.csv -o my_model --test test.csv
    """
    from safetylens.training import train_model

    with guard(verbose):
        info(
            f"safetylens: training on {', '.join(p.name for p in data)} "
            f"({cv}-fold threshold tuning)"
        )
        card = train_model(
            data, output, text_col=text_col, labels_col=labels_col, seed=seed, cv=cv, test=test
        )
        info(f"safetylens: trained on {card['training_data']['n_reports']} reports; wrote {output}")
        if "test_metrics" in card:
            from safetylens.evaluate import format_metrics

            typer.echo(format_metrics(card["test_metrics"]))


@app.command()
def evaluate(
    data: Path = typer.Argument(..., help="Labelled reports: a text column and a 'labels' column."),
    model: Path | None = MODEL_DIR,
    text_col: str | None = TEXT_COL,
    labels_col: str = typer.Option("labels", "--labels-col", help="Column of true labels."),
    json_out: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
    trust_model: bool = TRUST_MODEL,
    verbose: bool = VERBOSE,
) -> None:
    """Score a model on labelled reports (per-label, micro, macro and "any" F1).

    Prints precision, recall and F1 per label, micro and macro F1, and F1 of "any
    information-linked" (yes/no).

    Example: safetylens evaluate sample_data/reports_test.csv --json
    """
    from safetylens.training import evaluate_file

    with guard(verbose):
        metrics = evaluate_file(
            data, model, text_col=text_col, labels_col=labels_col, trust=trust_model
        )
        if json_out:
            import json

            typer.echo(json.dumps(metrics, indent=2))
        else:
            from safetylens.evaluate import format_metrics

            typer.echo(format_metrics(metrics))


@model_app.command("info")
def model_info(
    folder: Path | None = typer.Argument(None, help="Model folder (default: the shipped model)."),
    json_out: bool = typer.Option(False, "--json", help="Print the whole card as JSON."),
) -> None:
    """Print a model's card: labels, thresholds, training data, versions and metrics.

    Example: safetylens model info --json
    """
    from safetylens.modelcard import read_card

    with guard():
        card = read_card(folder)
        import json

        if json_out:
            typer.echo(json.dumps(card, indent=2))
            return
        typer.echo(_format_card(card))


def _format_card(card: dict) -> str:
    lines = [f"model: {card.get('name', '?')}  (created {card.get('created', '?')})"]
    training = card.get("training_data", {})
    if training:
        lines.append(
            f"trained on: {training.get('n_reports', '?')} reports, "
            f"sha256 {str(training.get('sha256', '?'))[:16]}..."
        )
    lines.append("thresholds:")
    for label, value in card.get("thresholds", {}).items():
        lines.append(f"  {label:<25} {value:.3f}")
    metrics = card.get("test_metrics")
    if metrics:
        from safetylens.evaluate import format_metrics

        lines.append(f"held-out test ({card.get('test_data', {}).get('name', 'test split')}):")
        lines.extend("  " + line for line in format_metrics(metrics).splitlines())
    versions = card.get("library_versions", {})
    if versions:
        lines.append("libraries: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    lines.append(f"model file sha256: {card.get('model_sha256', '?')}")
    return "\n".join(lines)


app.command("its")(its)
app.command("power")(__import__("safetylens.cli_its", fromlist=["power"]).power)


@app.command()
def demo(
    output_dir: Path = typer.Option(
        Path("safetylens_demo"),
        "--output-dir",
        help="Folder for the classified file, tables, plots and report.",
    ),
    verbose: bool = VERBOSE,
) -> None:
    """Run the whole job on the shipped sample export (classify, then ITS per site).

    Classifies two sites' incidents with the default model, then runs the interrupted
    time-series per site and against non-information-linked incidents as control, writing the
    classified file, tables, plots and an HTML report.

    Example: safetylens demo --output-dir demo_out
    """
    from safetylens.demo import run_demo

    with guard(verbose):
        for line in run_demo(output_dir):
            info(f"safetylens: {line}")
