"""The ``safetylens review`` commands: draw a review workbook, and score it once reviewed.

Only parses options, calls the library and prints; pandas, numpy, scipy and openpyxl are
imported inside the commands so ``safetylens --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safetylens._cliutil import guard, info, make_app
from safetylens._review_choices import Allocation, Strategy

review_app = make_app(
    help="Check the classifier on your own reports: sample a review workbook, then score it."
)

MODEL_OPTION = typer.Option(
    "--model",
    metavar="accurate|fast|DIR",
    help="Model whose card gives the thresholds and SHA-256 (default: accurate). Only the card "
    "is read.",
    show_default=False,
)


@review_app.command("sample", short_help="Draw reports into a workbook for a reviewer.")
def sample(
    classified: Annotated[Path, typer.Argument(help="A file written by `safetylens classify`.")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The review workbook to write (.xlsx).")
    ],
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the draw (recorded in the workbook).")
    ],
    n: Annotated[int, typer.Option("--n", min=1, help="Reports to sample.")] = 200,
    strategy: Annotated[
        Strategy,
        typer.Option(
            "--strategy",
            help="random (estimates accuracy), uncertain (reports nearest a threshold, for "
            "improving the model) or mixed (half each, kept apart).",
        ),
    ] = Strategy.random,
    strata: Annotated[
        list[str] | None,
        typer.Option(
            "--strata",
            metavar="COLUMN",
            help="Stratify the random sample by this column (repeatable, e.g. site); the "
            "inclusion probabilities are recorded.",
        ),
    ] = None,
    allocation: Annotated[
        Allocation,
        typer.Option(
            "--allocation",
            help="Split a stratified sample over strata: proportional or equal.",
        ),
    ] = Allocation.proportional,
    id_col: Annotated[
        str | None, typer.Option("--id-col", help="Column identifying each report (shown).")
    ] = None,
    text_col: Annotated[
        str | None,
        typer.Option("--text-col", help="Report text column (default: found as classify does)."),
    ] = None,
    blind: Annotated[
        bool | None,
        typer.Option(
            "--blind/--prefilled",
            help="Start label cells blank (default for random and mixed) or with the model's "
            "labels (default for uncertain).",
            show_default=False,
        ),
    ] = None,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact",
            help="Redact NHS numbers, dates of birth, postcodes, phones and e-mails in the text, "
            "as classify --redact does, for sharing the workbook.",
        ),
    ] = False,
    keep: Annotated[
        list[str] | None,
        typer.Option(
            "--keep",
            metavar="COLUMN",
            help="Also record this column (repeatable) for `review score --by` or --date-col.",
        ),
    ] = None,
    model: Annotated[str | None, MODEL_OPTION] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Say more.")] = False,
) -> None:
    """Draw reports from a classified file into a workbook for a reviewer to label.

    The workbook has a Review sheet (one row per report: row, the id, text, reviewed, one
    column per label, comment), a Guide sheet with the taxonomy, and a hidden, protected sheet
    recording the design, the model's labels and probabilities, and the hashes.

    \b
    Example: safetylens review sample classified.csv -o review.xlsx --n 200 --seed 7 --strata site
    """
    from safetylens._review_sample import sample_review

    with guard(verbose):
        result = sample_review(
            classified,
            output,
            n=n,
            seed=seed,
            strategy=strategy.value,
            strata=list(strata or []),
            allocation=allocation.value,
            id_col=id_col,
            text_col=text_col,
            blind=blind,
            redact=redact,
            keep=list(keep or []),
            model_dir=model,
        )
        for line in result.lines():
            info(f"safetylens: {line}")
        info(f"safetylens: wrote {output}")


@review_app.command("score", short_help="Score the reviewed workbook: accuracy with intervals.")
def score(
    workbook: Annotated[
        Path,
        typer.Argument(help="The reviewed workbook (.xlsx), or its Review sheet saved as .csv."),
    ],
    json_out: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Give the figures per value of this column, and compare."),
    ] = None,
    rollout: Annotated[
        str | None,
        typer.Option(
            "--rollout", help="Compare before and after this date (day first: 01/04/2020)."
        ),
    ] = None,
    date_col: Annotated[
        str | None, typer.Option("--date-col", help="Date column for --rollout.")
    ] = None,
    design: Annotated[
        Path | None,
        typer.Option(
            "--design",
            help="For a CSV: the workbook `review sample` wrote (default: the .xlsx of the same "
            "name beside it).",
        ),
    ] = None,
    model: Annotated[str | None, MODEL_OPTION] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Say more.")] = False,
) -> None:
    """Compare the reviewer's labels with the model's: accuracy with 95% intervals.

    Counts reviewed rows (reviewed = yes) and rows left; gives precision, recall and F1 per
    label, macro F1, any-information-linked and prevalence, each with an interval.

    \b
    Example: safetylens review score review.xlsx --rollout 01/04/2020 --date-col incident_date
    """
    from safetylens._review_score import format_report, score_review

    with guard(verbose):
        payload = score_review(
            workbook,
            design=design,
            by=by,
            rollout=rollout,
            date_col=date_col,
            model_dir=model,
            seed=seed,
        )
        info(
            f"safetylens: {payload['n_reviewed']} reviewed, {payload['n_left']} left of "
            f"{payload['n_sampled']} sampled"
        )
        if json_out:
            import json

            typer.echo(json.dumps(payload, indent=2))
        else:
            typer.echo(format_report(payload))
