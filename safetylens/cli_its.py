"""The ``safetylens its`` command: interrupted time-series analysis from the command line.

Only parses options, calls :func:`safetylens.its.run_analyses` and prints; pandas, statsmodels
and matplotlib are imported inside the command so ``safetylens --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safetylens._cliutil import guard, info

_CHOICES = {
    "period": ("month", "week", "quarter", "year"),
    "model": ("quasipoisson", "poisson", "negbin", "ols", "arima"),
    "se": ("model", "newey-west"),
    "impact": ("level", "slope", "both"),
    "seasonality": ("none", "fourier", "month"),
    "arima-method": ("ml", "reml"),
    "arima-intervals": ("adjusted", "wald"),
}


def _choice(option: str, value: str | None) -> None:
    from safetylens.exceptions import DataValidationError

    if value is not None and value not in _CHOICES[option]:
        raise DataValidationError(
            f"--{option} must be one of {', '.join(_CHOICES[option])}; got '{value}'"
        )


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
    period: Annotated[
        str, typer.Option("--period", help="month, week, quarter or year.")
    ] = "month",
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
        str | None,
        typer.Option(
            "--model",
            help="quasipoisson, poisson, negbin, ols or arima [default: quasipoisson for "
            "counts, ols for values]",
            show_default=False,
        ),
    ] = None,
    se: Annotated[
        str, typer.Option("--se", help="ols standard errors: model or newey-west.")
    ] = "model",
    lags: Annotated[int, typer.Option("--lags", help="Newey-West lag.")] = 1,
    ar: Annotated[int, typer.Option("--ar", help="arima: AR order of the errors.")] = 1,
    seasonal_ar: Annotated[
        int, typer.Option("--seasonal-ar", help="arima: seasonal AR order (period 12 for months).")
    ] = 0,
    arima_method: Annotated[
        str,
        typer.Option(
            "--arima-method",
            help="arima: ml (exact maximum likelihood; estimates and SEs as R's arima) "
            "or reml (AR terms by REML, GLS for the rest; as nlme::gls).",
        ),
    ] = "ml",
    arima_intervals: Annotated[
        str,
        typer.Option(
            "--arima-intervals",
            help="arima with ml: adjusted (REML covariance, t on n-k df; right coverage in "
            "short series) or wald (normal quantile, exactly R's arima).",
        ),
    ] = "adjusted",
    impact: Annotated[
        str,
        typer.Option(
            "--impact", help="Change terms: level, slope or both (choose before seeing the data)."
        ),
    ] = "both",
    seasonality: Annotated[
        str, typer.Option("--seasonality", help="none, fourier or month.")
    ] = "none",
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
    date_from: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Leave out incidents dated before this (for a stray typo date far outside the "
            "rest).",
        ),
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Leave out incidents dated after this.")
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option("--sheet", help="Excel sheet name or 0-based index (default: first visible)."),
    ] = None,
    no_header: Annotated[
        bool,
        typer.Option(
            "--no-header",
            help="The file has no header row: columns are named column_1, column_2, ...",
        ),
    ] = False,
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
        for option, value in (
            ("period", period),
            ("model", model),
            ("se", se),
            ("impact", impact),
            ("seasonality", seasonality),
            ("arima-method", arima_method),
            ("arima-intervals", arima_intervals),
        ):
            _choice(option, value)
        from safetylens._readers import read_table
        from safetylens.its import analyses_json, read_rollouts, run_analyses, write_outputs

        inputs = [p for p in (input, denominator, rollout_file) if p is not None]
        if output_dir is not None:
            _refuse_overwriting_inputs(inputs, output_dir)
        frame = read_table(
            input, sheet=int(sheet) if sheet and sheet.isdigit() else sheet, header=not no_header
        )
        if group_col is not None and group_col in frame.columns:
            _refuse_text_groups(frame, group_col, input.name)
        if count_col is None and value_col is None:
            frame = _drop_outside(frame, date_col, period, date_from, date_to, input.name)
            _refuse_isolated_dates(frame, date_col, period, group_col, input.name)
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
            period=period,
            labels=label or (),
            information_linked=information_linked,
            count_col=count_col,
            value_col=value_col,
            denominator_col=denominator_col,
            denominators=None if denominator is None else read_table(denominator),
            covariates=covariate or (),
            source=input.name,
            denominator_source="denominator file" if denominator is None else denominator.name,
            model=model,
            impact=impact,
            seasonality=seasonality,
            harmonics=harmonics,
            se=se,
            lags=lags,
            ar=ar,
            seasonal_ar=seasonal_ar,
            arima_method=arima_method,
            arima_intervals=arima_intervals,
            phase_in=phase_in,
            alpha=alpha,
            per=per,
            at=tuple(at or ()),
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


_OUTPUT_NAMES = ("its_results.csv", "its_results.json", "report.html")


def _refuse_overwriting_inputs(inputs, output_dir: Path) -> None:
    """Refuse an --output-dir where an output would replace one of the input files."""
    from safetylens._writers import check_not_same_file

    for path in inputs:
        for name in _OUTPUT_NAMES:
            check_not_same_file(path, output_dir / name)


def _refuse_text_groups(frame, group_col: str, source: str) -> None:
    """Refuse a --group-col whose values look like report text: every message and table names
    the groups, so they must be names of sites or wards, not reports."""
    from safetylens._names import looks_like_text, shown
    from safetylens.exceptions import DataValidationError

    values = frame[group_col].astype(str).unique()
    texty = sum(looks_like_text(v) for v in values)
    if texty:
        raise DataValidationError(
            f"{source}: --group-col {shown(group_col)} has {texty} value(s) that look like report "
            "text or identifiers, not group names; choose a column of sites, wards or teams"
        )


def _event_periods(frame, date_col: str, period: str, source: str):
    from safetylens.its.series import to_periods

    return to_periods(frame, date_col, period, source)


def _drop_outside(frame, date_col, period, date_from, date_to, source):
    """Leave out rows before --from or after --to (saying how many)."""
    if date_from is None and date_to is None:
        return frame
    import pandas as pd

    from safetylens._dates import parse_date
    from safetylens.exceptions import DataValidationError

    periods = _event_periods(frame, date_col, period, source)
    keep = pd.Series(True, index=frame.index)
    for option, value, before in (("--from", date_from, True), ("--to", date_to, False)):
        if value is None:
            continue
        try:
            bound = pd.Period(parse_date(value), freq=periods.freq)
        except ValueError:
            raise DataValidationError(f"{option}: cannot read the date; use 01/04/2020") from None
        keep &= (periods >= bound) if before else (periods <= bound)
    dropped = int((~keep).sum())
    if dropped:
        info(f"safetylens: left out {dropped} row(s) dated outside --from/--to")
    return frame[keep.to_numpy()].reset_index(drop=True)


ISOLATED_GAP = {"month": 12, "week": 26, "quarter": 4, "year": 3}
"""Empty periods that set a stray date apart from the rest of the series."""
ISOLATED_SHARE = 0.01
"""At most this share of the rows (and at most 10 rows) counts as stray."""


def _refuse_isolated_dates(frame, date_col, period, group_col, source) -> None:
    """Refuse a few dates far outside the bulk of the data (a typo year adds years of empty
    periods and changes the result), naming their rows."""
    import numpy as np

    from safetylens._names import shown
    from safetylens.exceptions import DataValidationError

    if not len(frame):
        return
    periods = _event_periods(frame, date_col, period, source)
    ordinals = np.asarray(periods.asi8)
    groups = (
        [np.arange(len(frame))]
        if group_col is None or group_col not in frame.columns
        else [np.flatnonzero(frame[group_col].to_numpy() == g) for g in frame[group_col].unique()]
    )
    gap = ISOLATED_GAP.get(period, 12)
    stray: set[int] = set()
    for rows in groups:
        values = ordinals[rows]
        order = np.argsort(values, kind="stable")
        sorted_values = values[order]
        limit = max(1, min(10, int(len(rows) * ISOLATED_SHARE)))
        jumps = np.diff(sorted_values) - 1  # empty periods between consecutive dates
        for k in np.flatnonzero(jumps >= gap):
            low, high = k + 1, len(rows) - (k + 1)
            if low <= limit and low < high:
                stray.update(int(rows[i]) for i in order[:low])
            if high <= limit and high < low:
                stray.update(int(rows[i]) for i in order[k + 1 :])
    if stray:
        listed = sorted(stray)
        named = ", ".join(str(r + 1) for r in listed[:10])
        more = f" and {len(listed) - 10} more" if len(listed) > 10 else ""
        raise DataValidationError(
            f"{source}: {len(listed)} date(s) in column {shown(date_col)} lie far outside the "
            f"rest, with {gap} or more empty {period}s between (data row(s) {named}{more}); fix "
            "them, or leave them out with --from/--to"
        )
