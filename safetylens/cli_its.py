"""The ``safetylens its`` command: interrupted time-series analysis from the command line.

Only parses options, calls :func:`safetylens.its.run_analyses` and prints; pandas, statsmodels
and matplotlib are imported inside the command so ``safetylens --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safetylens._cliutil import guard, info
from safetylens.its.options import (
    ArimaIntervals,
    ArimaMethod,
    Impact,
    Model,
    Period,
    Seasonality,
    StandardErrors,
)


def _model_settings(values: dict) -> dict:
    """The command's values of the SegmentedRegression parameters (named as in its signature)."""
    from safetylens.its.regression import SegmentedRegression

    settings = {n: values[n] for n in SegmentedRegression._get_param_names() if n in values}
    settings["at"] = tuple(settings.get("at") or ())
    return settings


def its(
    input: Annotated[
        Path,
        typer.Argument(
            help="Incident export (one row per incident) or an "
            "aggregated series: .csv, .xlsx, .parquet or .jsonl."
        ),
    ],
    rollout: Annotated[
        str | None,
        typer.Option(
            "--rollout",
            help="Rollout date (03/04/2021 is 3 April; ISO 2021-04-03 too). The period "
            "containing it is the rollout period.",
        ),
    ] = None,
    date_col: Annotated[
        str, typer.Option("--date-col", help="Date column; or two columns as 'year,month'.")
    ] = "date",
    period: Annotated[Period, typer.Option("--period", help="Length of a period.")] = Period.MONTH,
    label: Annotated[
        list[str] | None,
        typer.Option(
            "--label",
            help="Keep incidents with this label (repeatable; reads the labels column).",
            show_default=False,
        ),
    ] = None,
    information_linked: Annotated[
        bool,
        typer.Option(
            "--information-linked", help="Keep incidents with any label (information-linked)."
        ),
    ] = False,
    count_col: Annotated[
        str | None, typer.Option("--count-col", help="Aggregated input: the count per period.")
    ] = None,
    value_col: Annotated[
        str | None,
        typer.Option(
            "--value-col", help="Aggregated input: a rate or other continuous value per period."
        ),
    ] = None,
    denominator_col: Annotated[
        str | None,
        typer.Option("--denominator-col", help="Denominator column in the same (aggregated) file."),
    ] = None,
    denominator: Annotated[
        Path | None,
        typer.Option(
            "--denominator",
            help="Denominator file: a period column and a value column (and "
            "optionally the group column).",
        ),
    ] = None,
    per: Annotated[
        float, typer.Option("--per", help="Show rates per this many denominator units.")
    ] = 1000,
    model: Annotated[
        Model | None,
        typer.Option(
            "--model",
            help="Regression model [default: quasipoisson for counts, ols for values].",
            show_default=False,
        ),
    ] = None,
    se: Annotated[
        StandardErrors, typer.Option("--se", help="ols standard errors.")
    ] = StandardErrors.MODEL,
    lags: Annotated[int, typer.Option("--lags", help="Newey-West lag.")] = 1,
    ar: Annotated[int, typer.Option("--ar", help="arima: AR order of the errors.")] = 1,
    seasonal_ar: Annotated[
        int, typer.Option("--seasonal-ar", help="arima: seasonal AR order (period 12 for months).")
    ] = 0,
    arima_method: Annotated[
        ArimaMethod,
        typer.Option(
            "--arima-method",
            help="arima: ml (exact maximum likelihood; estimates and SEs as R's arima) "
            "or reml (AR terms by REML, GLS for the rest; as nlme::gls).",
        ),
    ] = ArimaMethod.ML,
    arima_intervals: Annotated[
        ArimaIntervals,
        typer.Option(
            "--arima-intervals",
            help="arima with ml: adjusted (REML covariance, t on n-k df; right coverage in "
            "short series) or wald (ML standard errors, normal quantile: exactly R's arima).",
        ),
    ] = ArimaIntervals.ADJUSTED,
    impact: Annotated[
        Impact,
        typer.Option("--impact", help="Change terms (choose before seeing the data)."),
    ] = Impact.BOTH,
    seasonality: Annotated[
        Seasonality,
        typer.Option("--seasonality", help="Fourier pairs, or month (quarter) indicators."),
    ] = Seasonality.NONE,
    harmonics: Annotated[
        int, typer.Option("--harmonics", help="Fourier pairs for --seasonality fourier.")
    ] = 2,
    phase_in: Annotated[
        int,
        typer.Option(
            "--phase-in", help="Periods from the rollout on left out of the fit (shaded)."
        ),
    ] = 0,
    at: Annotated[
        list[int] | None,
        typer.Option(
            "--at",
            help="Report effects K periods after the rollout period (repeatable) "
            "[default: at the last period].",
            show_default=False,
        ),
    ] = None,
    covariate: Annotated[
        list[str] | None,
        typer.Option(
            "--covariate",
            help="Aggregated input: a column to adjust for (repeatable).",
            show_default=False,
        ),
    ] = None,
    group_col: Annotated[
        str | None,
        typer.Option(
            "--group-col", help="One analysis per value of this column (sites, wards, ...)."
        ),
    ] = None,
    rollout_file: Annotated[
        Path | None,
        typer.Option(
            "--rollout-file", help="Rollout date per group: a file with the group and a date."
        ),
    ] = None,
    control: Annotated[
        list[str] | None,
        typer.Option(
            "--control",
            help="Control group value: each other group is compared with it "
            "(repeatable: several controls are pooled).",
            show_default=False,
        ),
    ] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="1 - confidence level.")] = 0.05,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Excel sheet name.")] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help='Print one JSON document {"analyses": [...]} to stdout.')
    ] = False,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            help="Write its_results.csv, its_results.json, a PNG per analysis and "
            "report.html here.",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Say more.")] = False,
) -> None:
    """Compare incident rates before and after a rollout (interrupted time series).

    Counts incidents per period (or reads an aggregated series) and fits a segmented regression.

    Example: safetylens its classified.csv --date-col reported --rollout 01/04/2021 --json
    """
    with guard(verbose):
        settings = _model_settings(locals())
        from safetylens.io import read_table
        from safetylens.its import analyses_json, read_rollouts, run_analyses, write_outputs

        frame = read_table(input, sheet=sheet)
        rollouts = None
        if rollout_file is not None:
            rollouts = read_rollouts(
                read_table(rollout_file), group_col=group_col, source=rollout_file.name
            )
        results = run_analyses(
            frame,
            rollout=rollout,
            rollouts=rollouts,
            group_col=group_col,
            control=control or (),
            date_col=date_col,
            period=period.value,
            labels=label or (),
            information_linked=information_linked,
            count_col=count_col,
            value_col=value_col,
            denominator_col=denominator_col,
            denominators=None if denominator is None else read_table(denominator),
            covariates=covariate or (),
            source=input.name,
            denominator_source="denominator file" if denominator is None else denominator.name,
            **settings,
        )
        if json_output:
            typer.echo(analyses_json(results))
        else:
            for result in results:
                typer.echo(result.summary_text())
                typer.echo("")
        if output_dir is not None:
            for path in write_outputs(results, output_dir, source=input.name):
                info(f"safetylens: wrote {path}")
