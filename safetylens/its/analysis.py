"""From a table to fitted analyses and written outputs: the path shared by the CLI and the demo."""

from __future__ import annotations

import dataclasses
import json
import re
import warnings
from pathlib import Path

import pandas as pd

from safetylens._dates import parse_dates
from safetylens.exceptions import (
    AnalysisWarning,
    DataValidationError,
    DataWarning,
    SafetylensError,
)
from safetylens.its.regression import SegmentedRegression
from safetylens.its.series import count_events, read_denominators, table_series, with_denominator


def read_rollouts(
    frame: pd.DataFrame, *, group_col: str | None, source: str = "rollout file"
) -> dict:
    """Rollout dates per group from a two-column table (group, date).

    The group column is ``group_col`` when the table has it, otherwise the first column.

    Examples
    --------
    >>> table = pd.DataFrame({"site": ["A", "B"], "go_live": ["01/04/2021", "2021-10-01"]})
    >>> {k: v.isoformat() for k, v in read_rollouts(table, group_col="site").items()}
    {'A': '2021-04-01', 'B': '2021-10-01'}
    """
    if frame.shape[1] != 2:
        raise DataValidationError(
            f"{source}: a rollout file needs two columns, the group and the rollout date; "
            f"it has {frame.shape[1]}"
        )
    key = group_col if group_col in frame.columns else frame.columns[0]
    date_col = [c for c in frame.columns if c != key][0]
    dates = parse_dates(frame[date_col].tolist(), column=date_col, source=source)
    groups = frame[key].astype(str).tolist()
    duplicated = pd.Index(groups).duplicated()
    if duplicated.any():
        raise DataValidationError(
            f"{source}: data row {int(duplicated.argmax()) + 1}: a group appears more than once"
        )
    return {group: date.date() for group, date in zip(groups, dates, strict=True)}


def build_series(
    frame: pd.DataFrame,
    *,
    date_col: str = "date",
    period: str = "month",
    labels=(),
    information_linked: bool = False,
    count_col: str | None = None,
    value_col: str | None = None,
    denominator_col: str | None = None,
    denominators: pd.DataFrame | None = None,
    covariates=(),
    group_col: str | None = None,
    source: str = "input",
    denominator_source: str = "denominator file",
    total_col: str | None = None,
    share: bool = False,
    window: tuple | None = None,
) -> dict:
    """Period series per group (``None`` without groups) from event-level or aggregated rows.

    Event-level rows are counted when neither ``count_col`` nor ``value_col`` is given.
    ``total_col`` (aggregated) or ``share`` (event-level) make the series a share of all
    incidents; ``window`` is the export window ``(first day, last day)``.
    """
    aggregated = count_col is not None or value_col is not None
    if aggregated and (labels or information_linked):
        raise DataValidationError(
            "--label and --information-linked filter event-level rows; an aggregated series "
            "(--count-col / --value-col) is already counted"
        )
    if share and aggregated:
        raise DataValidationError(
            "--share counts event-level rows; an aggregated series gives the total with --total-col"
        )
    if aggregated:
        series = table_series(
            frame,
            date_col=date_col,
            count_col=count_col,
            value_col=value_col,
            denominator_col=denominator_col,
            covariates=covariates,
            period=period,
            group_col=group_col,
            source=source,
            total_col=total_col,
            window=window,
        )
    else:
        if total_col:
            raise DataValidationError(
                "--total-col goes with an aggregated series (--count-col); for event-level "
                "rows use --share"
            )
        if denominator_col or covariates:
            raise DataValidationError(
                "--denominator-col and --covariate need an aggregated series (--count-col); "
                "for event-level rows give the denominators with --denominator FILE"
            )
        series = count_events(
            frame,
            date_col=date_col,
            period=period,
            labels=labels,
            information_linked=information_linked,
            group_col=group_col,
            source=source,
            share=share,
            window=window,
        )
    if denominators is not None:
        if share or total_col:
            raise DataValidationError(
                "a share (--share / --total-col) has its own denominator, all incidents: "
                "leave out --denominator"
            )
        if denominator_col:
            raise DataValidationError("give --denominator-col or --denominator FILE, not both")
        table = read_denominators(
            denominators, period=period, group_col=group_col, source=denominator_source
        )
        shared = group_col is not None and list(table) == [None] and len(series) > 1
        for group in series:
            key = group if group in table else None
            if key not in table:
                raise DataValidationError(
                    f"{denominator_source}: no denominators for {group_col} '{group}'"
                )
            series[group] = with_denominator(series[group], table[key], source=denominator_source)
            if shared:
                note = (
                    f"{denominator_source} has no '{group_col}' column: every group was given the "
                    "same denominators."
                )
                series[group] = dataclasses.replace(
                    series[group], notes=(*series[group].notes, note)
                )
        if shared:
            warnings.warn(note, DataWarning, stacklevel=2)
    return series


@dataclasses.dataclass(frozen=True)
class FailedAnalysis:
    """An analysis of one group that could not be fitted: the others still complete."""

    group: object
    error: str
    control_groups: tuple = ()

    @property
    def controlled(self) -> bool:
        return bool(self.control_groups)

    def to_dict(self) -> dict:
        """The ``--json`` entry: the group, the control and the error."""
        return {
            "group": None if self.group is None else str(self.group),
            "control": [str(g) for g in self.control_groups] if self.control_groups else None,
            "error": self.error,
        }


def _split_options(options: dict) -> tuple[dict, dict]:
    """Split keyword options into build_series' and SegmentedRegression's, by their names."""
    import inspect

    series_names = set(inspect.signature(build_series).parameters) - {"frame"}
    model_names = set(SegmentedRegression._get_param_names())
    unknown = sorted(set(options) - series_names - model_names)
    if unknown:
        raise DataValidationError(f"run_analyses() got an unknown option '{unknown[0]}'")
    series = {k: v for k, v in options.items() if k in series_names}
    model = {k: v for k, v in options.items() if k in model_names}
    return series, model


def run_analyses(
    frame: pd.DataFrame,
    *,
    rollout=None,
    rollouts: dict | None = None,
    control=(),
    sensitivity: bool = False,
    **options,
) -> list:
    """Build the series, then fit one analysis per group (and one controlled analysis per
    group when ``control`` is given).

    Parameters
    ----------
    frame : pandas.DataFrame
        Event-level incidents, or an aggregated series (``count_col`` / ``value_col``).
    rollout : str or date, or a sequence of two, optional
        One rollout date for every group (two: a pilot, then the full rollout).
    rollouts : dict, optional
        Rollout date per group (see :func:`read_rollouts`); overrides ``rollout``.
    control : sequence of str
        Control group value(s); each other group is also compared with them (pooled).
    sensitivity : bool, default=False
        Also refit the reasonable alternative specifications
        (:func:`~safetylens.its.sensitivity.sensitivity_table`), kept on each result.
    **options
        The parameters of :func:`build_series` (``date_col``, ``group_col``, ``count_col``,
        ...) and the settings of :class:`~safetylens.its.regression.SegmentedRegression`
        (``model``, ``seasonality``, ...), by name.

    Returns
    -------
    list of ITSResult or FailedAnalysis
        For each group in order of appearance: its own analysis, then its controlled one.
        With ``group_col``, a group that cannot be fitted gives a :class:`FailedAnalysis`
        (and a warning naming it) and the others complete; without groups the error is
        raised.

    Examples
    --------
    >>> rows = pd.DataFrame({"month": [f"2021-{m:02d}" for m in range(1, 13)],
    ...                      "n": [30, 32, 29, 31, 33, 30, 20, 22, 21, 19, 23, 20]})
    >>> results = run_analyses(rows, rollout="2021-07-01", date_col="month", count_col="n",
    ...                        model="poisson")
    >>> [(r.n_pre, r.n_post) for r in results]
    [(6, 6)]
    """
    series_options, model_options = _split_options(options)
    group_col = series_options.get("group_col")
    source = series_options.get("source", "input")
    control = [str(c) for c in (control or ())]
    if control and not group_col:
        raise DataValidationError(
            "--control needs --group-col to say which column holds the groups"
        )
    if rollout is None and not rollouts:
        raise DataValidationError(
            "give a rollout date (--rollout) or a rollout file (--rollout-file)"
        )
    spec = SegmentedRegression(**model_options)
    series = build_series(frame, **series_options)
    for name in control:
        if name not in series:
            raise DataValidationError(
                f"{source}: control group '{name}' does not occur in column '{group_col}'"
            )
    treated = [g for g in series if g not in control]
    if not treated:
        raise DataValidationError("every group is a control; leave at least one group to study")
    results = []
    for group in treated:
        date = rollouts.get(group) if rollouts else rollout
        label = None if group is None else f"{group_col} '{group}'"
        controls = {name: series[name] for name in control}
        for controlled in (False, True) if control else (False,):
            try:
                if date is None:
                    raise DataValidationError("no rollout date for this group in the rollout file")
                result = spec.fit(
                    series[group],
                    rollout=date,
                    group=group,
                    control=controls if controlled else None,
                    label=label,
                )
                if sensitivity:
                    from safetylens.its.sensitivity import with_sensitivity

                    result = with_sensitivity(
                        result, series[group], date, controls if controlled else None
                    )
                results.append(result)
            except SafetylensError as exc:
                if group is None:
                    raise
                message = f"{label}: {exc}"
                warnings.warn(message, AnalysisWarning, stacklevel=2)
                results.append(
                    FailedAnalysis(group, str(exc), tuple(control) if controlled else ())
                )
    return results


def analyses_json(results) -> str:
    """The ``--json`` document: ``{"analyses": [...]}``."""
    return json.dumps({"analyses": [r.to_dict() for r in results]}, indent=2, allow_nan=False)


def fitted_only(results) -> list:
    """The results that were fitted (leaving out :class:`FailedAnalysis` entries)."""
    return [r for r in results if not isinstance(r, FailedAnalysis)]


def tidy_results(results) -> pd.DataFrame:
    """One row per analysis and term: estimates, intervals, p-values and rate ratios."""
    from safetylens._formula import neutralise_formula

    rows = []
    for number, result in enumerate(results, start=1):
        if isinstance(result, FailedAnalysis):
            continue
        ratios = result.ratios
        odds = result.is_share_model
        for term, r in result.summary.iterrows():
            row = {
                "analysis": number,
                "group": neutralise_formula("" if result.group is None else str(result.group)),
                "control": neutralise_formula(";".join(map(str, result.control_groups))),
                "model": result.model,
                "period": result.period,
                "rollout": result.rollout.isoformat(),
                "term": neutralise_formula(str(term)),  # a covariate's column name
                **r.to_dict(),
                "rate_ratio": None,
                "rr_ci_low": None,
                "rr_ci_high": None,
            }
            row |= {"odds_ratio": None, "or_ci_low": None, "or_ci_high": None}
            if ratios is not None and term in ratios.index:
                keys = (
                    ("odds_ratio", "or_ci_low", "or_ci_high")
                    if odds
                    else ("rate_ratio", "rr_ci_low", "rr_ci_high")
                )
                row.update(zip(keys, ratios.loc[term].tolist(), strict=True))
            rows.append(row)
    return pd.DataFrame(rows)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[-80:].strip("_") or "series"


def write_outputs(
    results, output_dir, *, source: str | None = None, report: dict | None = None
) -> list[Path]:
    """Write ``its_results.csv``, ``its_results.json``, one PNG per fitted analysis and
    ``report.html`` into ``output_dir`` (created, with its parents, if missing).

    Every file is written atomically (a temporary file moved into place). ``report`` holds
    the options of :func:`~safetylens.its.report.html_report` (``title``, ``outcome_label``,
    ``horizon``, ``prespecified``, ``classification``).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from safetylens._writers import write_bytes_atomic, write_text_atomic
    from safetylens.its.plot import figure_png
    from safetylens.its.report import html_report

    report = dict(report or {})
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    target = folder / "its_results.csv"
    write_text_atomic(target, tidy_results(results).to_csv(index=False))
    written.append(target)
    target = folder / "its_results.json"
    write_text_atomic(target, analyses_json(results) + "\n")
    written.append(target)
    plots = []
    for number, result in enumerate(results, start=1):
        if isinstance(result, FailedAnalysis):
            plots.append(None)
            continue
        png = figure_png(
            result, horizon=report.get("horizon"), outcome_label=report.get("outcome_label")
        )
        plots.append(png)
        name = "all" if result.group is None else str(result.group)
        if result.controlled:
            name += "_vs_control"
        target = folder / f"its_{number:02d}_{_slug(name)}.png"
        write_bytes_atomic(target, png)
        written.append(target)
    target = folder / "report.html"
    write_text_atomic(target, html_report(results, source=source, plots=plots, **report))
    written.append(target)
    return written
