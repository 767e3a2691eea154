"""The ``safetylens its`` and ``safetylens power`` commands.

Only parses options, calls the library (:func:`safetylens.its.run_analyses`,
:func:`safetylens.its.power.power_analysis`) and prints. The choices are the str enums of
:mod:`safetylens.its.options`; the input options are defined once here and shared by both
commands; values are forwarded by the names of the library's parameters. pandas, statsmodels
and matplotlib are imported inside the commands so ``safetylens --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safetylens._cliutil import EXIT_BAD_INPUT, guard, info
from safetylens.its.options import (
    ArimaIntervals,
    ArimaMethod,
    Impact,
    Model,
    Period,
    Seasonality,
    StandardErrors,
)

EXIT_SOME_FAILED = 3
"""Exit code when some groups of a batch could not be fitted (the others were written)."""

# ---------------------------------------------------------------- options shared by its and power
Input = Annotated[
    Path,
    typer.Argument(
        metavar="INPUT",
        help="Incident export (one row per incident) or an aggregated series: .csv, .xlsx, "
        ".parquet or .jsonl.",
        show_default=False,
    ),
]
DateCol = Annotated[
    str,
    typer.Option(
        "--date-col", metavar="COLUMN", help="Date column; or two columns as 'year,month'."
    ),
]
PeriodOption = Annotated[Period, typer.Option("--period", help="Length of a period.")]
Labels = Annotated[
    list[str] | None,
    typer.Option(
        "--label",
        metavar="LABEL",
        help="Keep incidents with this label (repeatable; reads the labels column).",
        show_default=False,
    ),
]
InformationLinked = Annotated[
    bool,
    typer.Option(
        "--information-linked",
        help="Keep information-linked incidents (the information_linked column classify "
        "writes; without it, incidents with any label).",
    ),
]
CountCol = Annotated[
    str | None,
    typer.Option("--count-col", metavar="COLUMN", help="Aggregated input: the count per period."),
]
ValueCol = Annotated[
    str | None,
    typer.Option(
        "--value-col",
        metavar="COLUMN",
        help="Aggregated input: a rate or other continuous value per period.",
    ),
]
DenominatorCol = Annotated[
    str | None,
    typer.Option(
        "--denominator-col",
        metavar="COLUMN",
        help="Denominator column in the same (aggregated) file.",
    ),
]
DenominatorFile = Annotated[
    Path | None,
    typer.Option(
        "--denominator",
        metavar="FILE",
        help="Denominator file: a period column and a value column (and optionally the group "
        "column).",
    ),
]
TotalCol = Annotated[
    str | None,
    typer.Option(
        "--total-col",
        metavar="COLUMN",
        help="Aggregated input: all incidents per period, of which --count-col are the ones "
        "studied; models the share (binomial).",
    ),
]
Share = Annotated[
    bool,
    typer.Option(
        "--share",
        help="Event-level input: model the share of the chosen incidents (--label or "
        "--information-linked) among all reported incidents, controlling for reporting culture.",
    ),
]
FromDate = Annotated[
    str | None,
    typer.Option(
        "--from",
        metavar="DATE",
        help="First day of the export window (rows before it are left out).",
    ),
]
ToDate = Annotated[
    str | None,
    typer.Option(
        "--to", metavar="DATE", help="Last day of the export window (rows after it are left out)."
    ),
]
Covariates = Annotated[
    list[str] | None,
    typer.Option(
        "--covariate",
        metavar="COLUMN",
        help="Aggregated input: a column to adjust for (repeatable).",
        show_default=False,
    ),
]
GroupCol = Annotated[
    str | None,
    typer.Option(
        "--group-col",
        metavar="COLUMN",
        help="One analysis per value of this column (sites, wards, ...).",
    ),
]
Sheet = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        metavar="NAME|INDEX",
        help="Excel sheet name or 0-based index (default: the first visible sheet).",
    ),
]
ModelOption = Annotated[
    Model | None,
    typer.Option(
        "--model",
        help="Regression model [default: quasipoisson for counts, quasibinomial for shares, ols "
        "for values].",
        show_default=False,
    ),
]
SeOption = Annotated[StandardErrors, typer.Option("--se", help="ols standard errors.")]
Lags = Annotated[int, typer.Option("--lags", metavar="L", help="Newey-West lag.")]
Ar = Annotated[int, typer.Option("--ar", metavar="P", help="arima: AR order of the errors.")]
SeasonalAr = Annotated[
    int,
    typer.Option(
        "--seasonal-ar", metavar="P", help="arima: seasonal AR order (period 12 for months)."
    ),
]
ArimaMethodOption = Annotated[
    ArimaMethod,
    typer.Option(
        "--arima-method",
        help="arima: ml (exact maximum likelihood; estimates and SEs as R's arima) or reml (AR "
        "terms by REML, GLS for the rest; as nlme::gls).",
    ),
]
ArimaIntervalsOption = Annotated[
    ArimaIntervals,
    typer.Option(
        "--arima-intervals",
        help="arima with ml: adjusted (REML covariance, t on n-k df; right coverage in short "
        "series) or wald (ML standard errors, normal quantile: exactly R's arima).",
    ),
]
ImpactOption = Annotated[
    Impact, typer.Option("--impact", help="Change terms (choose before seeing the data).")
]
SeasonalityOption = Annotated[
    Seasonality,
    typer.Option("--seasonality", help="Fourier pairs, or month (quarter) indicators."),
]
Harmonics = Annotated[
    int, typer.Option("--harmonics", metavar="K", help="Fourier pairs for --seasonality fourier.")
]
PhaseIn = Annotated[
    int,
    typer.Option(
        "--phase-in", metavar="N", help="Periods from the rollout on left out of the fit (shaded)."
    ),
]
Alpha = Annotated[float, typer.Option("--alpha", metavar="ALPHA", help="1 - confidence level.")]
Per = Annotated[
    float, typer.Option("--per", metavar="N", help="Show rates per this many denominator units.")
]
JsonOutput = Annotated[bool, typer.Option("--json", help="Print one JSON document to stdout.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Say more.")]


def _model_settings(values: dict) -> dict:
    """The command's values of the SegmentedRegression parameters (named as in its signature)."""
    from safetylens.its.regression import SegmentedRegression

    settings = {n: values[n] for n in SegmentedRegression._get_param_names() if n in values}
    if "at" in settings:
        settings["at"] = tuple(settings["at"] or ())
    return settings


def _series_options(values: dict, input: Path, denominator: Path | None, sheet) -> dict:
    """The command's values of :func:`~safetylens.its.analysis.build_series`, by its names."""
    import inspect

    from safetylens._readers import read_table
    from safetylens.its.analysis import build_series
    from safetylens.its.regression import _rollout_date

    names = set(inspect.signature(build_series).parameters)
    options = {n: values[n] for n in names if n in values}
    options["period"] = values["period"].value
    options["labels"] = tuple(values.get("label") or ())
    options["covariates"] = tuple(values.get("covariate") or ())
    options["denominators"] = None if denominator is None else read_table(denominator)
    options["source"] = input.name
    options["denominator_source"] = "denominator file" if denominator is None else denominator.name
    first, last = values.get("from_date"), values.get("to_date")
    if first is not None or last is not None:
        # Both: the export window (its edges say which periods are whole). One: only a bound
        # that leaves out rows beyond it (a stray typo date, say).
        options["window"] = (
            None if first is None else _rollout_date(first),
            None if last is None else _rollout_date(last),
        )
    return options


def its(
    input: Input,
    rollout: Annotated[
        list[str] | None,
        typer.Option(
            "--rollout",
            metavar="DATE",
            help="Rollout date (03/04/2021 is 3 April; ISO 2021-04-03 too); the period "
            "containing it is the rollout period. Give it twice for a pilot, then the full "
            "rollout (adds level_change_2 and slope_change_2).",
            show_default=False,
        ),
    ] = None,
    date_col: DateCol = "date",
    period: PeriodOption = Period.MONTH,
    label: Labels = None,
    information_linked: InformationLinked = False,
    count_col: CountCol = None,
    value_col: ValueCol = None,
    denominator_col: DenominatorCol = None,
    denominator: DenominatorFile = None,
    total_col: TotalCol = None,
    share: Share = False,
    from_date: FromDate = None,
    to_date: ToDate = None,
    per: Per = 1000,
    model: ModelOption = None,
    se: SeOption = StandardErrors.MODEL,
    lags: Lags = 1,
    ar: Ar = 1,
    seasonal_ar: SeasonalAr = 0,
    arima_method: ArimaMethodOption = ArimaMethod.ML,
    arima_intervals: ArimaIntervalsOption = ArimaIntervals.ADJUSTED,
    impact: ImpactOption = Impact.BOTH,
    seasonality: SeasonalityOption = Seasonality.NONE,
    harmonics: Harmonics = 2,
    phase_in: PhaseIn = 0,
    at: Annotated[
        list[int] | None,
        typer.Option(
            "--at",
            metavar="K",
            help="Report effects K periods after the rollout period (repeatable); the "
            "cumulative effect runs to the last K [default: the last period].",
            show_default=False,
        ),
    ] = None,
    covariate: Covariates = None,
    group_col: GroupCol = None,
    rollout_file: Annotated[
        Path | None,
        typer.Option(
            "--rollout-file",
            metavar="FILE",
            help="Rollout date per group: a file with the group and a date.",
        ),
    ] = None,
    control: Annotated[
        list[str] | None,
        typer.Option(
            "--control",
            metavar="GROUP",
            help="Control group value: each other group is compared with it (repeatable: "
            "several controls are pooled).",
            show_default=False,
        ),
    ] = None,
    sensitivity: Annotated[
        bool,
        typer.Option(
            "--sensitivity",
            help="Refit the reasonable alternatives (other models, seasonality, phase-in +/- 1) "
            "and tabulate the level and slope change under each.",
        ),
    ] = False,
    alpha: Alpha = 0.05,
    sheet: Sheet = None,
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
            metavar="DIR",
            help="Write its_results.csv, its_results.json, a PNG per analysis and report.html "
            "here (created if missing).",
        ),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", metavar="TEXT", help="Title of the HTML report.")
    ] = None,
    outcome_label: Annotated[
        str | None,
        typer.Option(
            "--outcome-label",
            metavar="TEXT",
            help="What is counted, in words, for the report (e.g. 'medication incidents').",
        ),
    ] = None,
    horizon: Annotated[
        int | None,
        typer.Option(
            "--horizon",
            metavar="N",
            help="Draw the counterfactual band at most this many periods past the rollout "
            "[default: half the pre-rollout periods, at least 6].",
            show_default=False,
        ),
    ] = None,
    prespecified: Annotated[
        bool,
        typer.Option(
            "--prespecified",
            help="State in the report that the analysis was specified before seeing the data.",
        ),
    ] = False,
    validation: Annotated[
        Path | None,
        typer.Option(
            "--validation",
            metavar="REVIEW.xlsx",
            help="A reviewed workbook from 'safetylens review sample': the classifier's accuracy "
            "on your own reports (before and after the rollout when the workbook records "
            "--date-col) goes into the JSON and the report.",
        ),
    ] = None,
    verbose: Verbose = False,
) -> None:
    """Compare incident rates before and after a rollout (interrupted time series).

    Counts incidents per period (or reads an aggregated series) and fits a segmented
    regression. With --group-col, a group that cannot be fitted is reported (its analysis
    holds an error) and the others complete; the exit code is then 3.

    Example: safetylens its classified.csv --date-col reported --rollout 01/04/2021 --json
    """
    with guard(verbose):
        values = dict(locals())
        from safetylens._readers import read_table
        from safetylens.its import analyses_json, read_rollouts, run_analyses, write_outputs
        from safetylens.its.analysis import FailedAnalysis

        settings = _model_settings(values)
        options = _series_options(values, input, denominator, sheet)
        inputs = [p for p in (input, denominator, rollout_file) if p is not None]
        if output_dir is not None:
            _refuse_overwriting_inputs(inputs, output_dir)
        frame = read_table(
            input, sheet=int(sheet) if sheet and sheet.isdigit() else sheet, header=not no_header
        )
        if group_col is not None and group_col in frame.columns:
            _refuse_text_groups(frame, group_col, input.name)
        if count_col is None and value_col is None and from_date is None and to_date is None:
            # With --from or --to the bounds leave stray dates out.
            _refuse_isolated_dates(frame, date_col, period.value, group_col, input.name)
        rollouts = None
        if rollout_file is not None:
            rollouts = read_rollouts(
                read_table(rollout_file), group_col=group_col, source=rollout_file.name
            )
        dates = list(rollout or ())
        results = run_analyses(
            frame,
            rollout=None if not dates else (dates[0] if len(dates) == 1 else dates),
            rollouts=rollouts,
            control=control or (),
            sensitivity=sensitivity,
            **options,
            **settings,
        )
        checked = _validation(validation, dates[0] if dates else None, date_col)
        if json_output:
            if checked is None:
                typer.echo(analyses_json(results))
            else:
                import json

                payload = json.loads(analyses_json(results))
                payload["classification_validation"] = checked
                typer.echo(json.dumps(payload, indent=2, allow_nan=False))
        else:
            for result in results:
                if isinstance(result, FailedAnalysis):
                    typer.echo(f"{group_col} '{result.group}': not fitted: {result.error}\n")
                    continue
                typer.echo(result.summary_text())
                typer.echo("")
        if output_dir is not None:
            report = {
                "title": title,
                "outcome_label": outcome_label,
                "horizon": horizon,
                "prespecified": prespecified,
                "classification": _classification(frame, _validation_lines(checked)),
            }
            for path in write_outputs(results, output_dir, source=input.name, report=report):
                info(f"safetylens: wrote {path}")
        failed = [r for r in results if isinstance(r, FailedAnalysis)]
        if failed:
            info(
                f"safetylens: {len(failed)} of {len(results)} analyses could not be fitted: "
                + ", ".join(f"{group_col} '{r.group}'" for r in failed)
            )
            raise typer.Exit(EXIT_BAD_INPUT if len(failed) == len(results) else EXIT_SOME_FAILED)


def _validation(path, rollout, date_col) -> dict | None:
    """``review score --json`` of a reviewed workbook, split at the rollout when it can be."""
    if path is None:
        return None
    import warnings

    from safetylens._review_score import validation_summary
    from safetylens.exceptions import DataValidationError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # review score's own caveats travel in the payload
        if rollout is not None and date_col:
            try:
                return validation_summary(path, rollout=rollout, date_col=date_col)
            except DataValidationError:
                pass  # the workbook does not record the date column: overall figures only
        return validation_summary(path)


def _validation_lines(checked: dict | None) -> dict | None:
    """The local validation condensed for the report: overall figures and flagged changes."""
    if checked is None:
        return None

    def with_ci(block, key):
        value, ci = block.get(key), block.get(f"{key}_ci")
        if value is None:
            return "n/a"
        return f"{value:.2f}" + (f" ({ci[0]:.2f} to {ci[1]:.2f})" if ci else "")

    lines = {
        "reports reviewed": checked.get("n_reviewed"),
        "sample": checked.get("strategy"),
        "macro F1 (95% CI)": with_ci(checked, "macro_f1"),
        "information-linked recall (95% CI)": with_ci(checked["any_information_linked"], "recall"),
        "information-linked precision (95% CI)": with_ci(
            checked["any_information_linked"], "precision"
        ),
    }
    for group in checked.get("groups", []):
        lines[f"{group['group']}: information-linked recall"] = with_ci(
            group["any_information_linked"], "recall"
        )
    flagged = [d for d in checked.get("group_differences", []) if d.get("flagged")]
    if "group_differences" in checked:
        lines["differences before/after larger than chance"] = (
            "; ".join(f"{d['label']} {d['metric']} (p={d['p_value']:.3f})" for d in flagged)
            or "none found"
        )
    return lines


def _classification(frame, validation: dict | None = None) -> dict | None:
    """What the classified input says about its classification (model, share to review), and
    the local validation figures when given (a dict, printed as given in the report)."""
    from safetylens.its.report import classification_from_frame

    return classification_from_frame(frame, validation=validation)


def power(
    input: Input,
    rollout: Annotated[
        str,
        typer.Option(
            "--rollout", metavar="DATE", help="The (planned) rollout date.", show_default=False
        ),
    ],
    effect: Annotated[
        float,
        typer.Option(
            "--effect",
            metavar="CHANGE",
            help="Relative level change to detect (-0.2: a 20% fall from the rollout on).",
            show_default=False,
        ),
    ],
    post: Annotated[
        int | None,
        typer.Option(
            "--post",
            metavar="N",
            help="Periods after the rollout [default: those in the data, or as many as before].",
            show_default=False,
        ),
    ] = None,
    sims: Annotated[int, typer.Option("--sims", metavar="N", help="Simulated series.")] = 1000,
    seed: Annotated[
        int, typer.Option("--seed", metavar="SEED", help="Seed of the simulations.")
    ] = 0,
    date_col: DateCol = "date",
    period: PeriodOption = Period.MONTH,
    label: Labels = None,
    information_linked: InformationLinked = False,
    count_col: CountCol = None,
    value_col: ValueCol = None,
    denominator_col: DenominatorCol = None,
    denominator: DenominatorFile = None,
    total_col: TotalCol = None,
    share: Share = False,
    from_date: FromDate = None,
    to_date: ToDate = None,
    group_col: GroupCol = None,
    model: ModelOption = None,
    se: SeOption = StandardErrors.MODEL,
    lags: Lags = 1,
    ar: Ar = 1,
    impact: ImpactOption = Impact.BOTH,
    seasonality: SeasonalityOption = Seasonality.NONE,
    harmonics: Harmonics = 2,
    phase_in: PhaseIn = 0,
    alpha: Alpha = 0.05,
    sheet: Sheet = None,
    json_output: JsonOutput = False,
    verbose: Verbose = False,
) -> None:
    """Simulated power of an ITS analysis for a given level change, and the minimum
    detectable effect at 80% power.

    Simulates series from the fit to the periods before the rollout (overdispersed counts or
    shares, or AR errors for values), analyses each as `safetylens its` would and tests the
    level change. With --group-col, one line (one JSON entry) per group.

    Example: safetylens power incidents.csv --date-col reported --rollout 01/04/2025 --effect -0.2
    """
    with guard(verbose):
        values = dict(locals())
        import json

        from safetylens._readers import read_table
        from safetylens.its.analysis import build_series
        from safetylens.its.power import power_analysis
        from safetylens.its.regression import SegmentedRegression

        settings = _model_settings(values)
        options = _series_options(values, input, denominator, sheet)
        spec = SegmentedRegression(**settings)
        series = build_series(read_table(input, sheet=sheet), **options)
        outputs = []
        for group, one in series.items():
            out = power_analysis(
                one, rollout=rollout, effect=effect, post=post, sims=sims, seed=seed, spec=spec
            )
            outputs.append({"group": None if group is None else str(group), **out})
        if json_output:
            document = (
                outputs[0]
                if len(outputs) == 1 and outputs[0]["group"] is None
                else {"groups": outputs}
            )
            typer.echo(json.dumps(document, indent=2, allow_nan=False))
            return
        for out in outputs:
            where = "" if out["group"] is None else f"{group_col} '{out['group']}': "
            mde = "not reached" if out["mde"] is None else f"{out['mde']:+.1%}"
            typer.echo(
                f"{where}power {out['power']:.1%} to detect a {out['effect']:+.1%} level change "
                f"({out['model']}, {out['n_pre']} periods before, {out['n_post']} after, alpha "
                f"{out['alpha']:g}, {out['sims']} simulations); minimum detectable effect at "
                f"80% power {mde}; rejection rate at no change {out['type_one_error']:.1%}"
            )


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
