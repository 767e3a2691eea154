"""From a table to fitted analyses and written outputs: the path shared by the CLI and the demo."""

from __future__ import annotations

import dataclasses
import json
import re
import warnings
from pathlib import Path

import pandas as pd

from safetylens._dates import parse_dates
from safetylens.exceptions import DataValidationError, DataWarning, SafetylensError
from safetylens.its.regression import SegmentedRegression
from safetylens.its.series import count_events, read_denominators, table_series, with_denominator

RESULT_FILES = ("its_results.csv", "its_results.json", "report.html")
"""Files written by :func:`write_outputs` besides one PNG per analysis."""


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
) -> dict:
    """Period series per group (``None`` without groups) from event-level or aggregated rows.

    Event-level rows are counted when neither ``count_col`` nor ``value_col`` is given.
    """
    aggregated = count_col is not None or value_col is not None
    if aggregated and (labels or information_linked):
        raise DataValidationError(
            "--label and --information-linked filter event-level rows; an aggregated series "
            "(--count-col / --value-col) is already counted"
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
        )
    else:
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
        )
    if denominators is not None:
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


def run_analyses(
    frame: pd.DataFrame,
    *,
    rollout=None,
    rollouts: dict | None = None,
    group_col: str | None = None,
    control=(),
    date_col: str = "date",
    period: str = "month",
    labels=(),
    information_linked: bool = False,
    count_col: str | None = None,
    value_col: str | None = None,
    denominator_col: str | None = None,
    denominators: pd.DataFrame | None = None,
    covariates=(),
    source: str = "input",
    denominator_source: str = "denominator file",
    **model_options,
) -> list:
    """Build the series, then fit one analysis per group (and one controlled analysis per
    group when ``control`` is given).

    Parameters
    ----------
    frame : pandas.DataFrame
        Event-level incidents, or an aggregated series (``count_col`` / ``value_col``).
    rollout : str or date, optional
        One rollout date for every group.
    rollouts : dict, optional
        Rollout date per group (see :func:`read_rollouts`); overrides ``rollout``.
    group_col : str, optional
        One analysis per value of this column.
    control : sequence of str
        Control group value(s); each other group is also compared with them (pooled).
    date_col, period, labels, information_linked, count_col, value_col, denominator_col,
    denominators, covariates, source, denominator_source
        As for :func:`build_series`.
    **model_options
        Settings of :class:`~safetylens.its.regression.SegmentedRegression`.

    Returns
    -------
    list of ITSResult
        For each group in order of appearance: its own analysis, then its controlled one.

    Examples
    --------
    >>> rows = pd.DataFrame({"month": [f"2021-{m:02d}" for m in range(1, 13)],
    ...                      "n": [30, 32, 29, 31, 33, 30, 20, 22, 21, 19, 23, 20]})
    >>> results = run_analyses(rows, rollout="2021-07-01", date_col="month", count_col="n",
    ...                        model="poisson")
    >>> [(r.n_pre, r.n_post) for r in results]
    [(6, 6)]
    """
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
    series = build_series(
        frame,
        date_col=date_col,
        period=period,
        labels=labels,
        information_linked=information_linked,
        count_col=count_col,
        value_col=value_col,
        denominator_col=denominator_col,
        denominators=denominators,
        covariates=covariates,
        group_col=group_col,
        source=source,
        denominator_source=denominator_source,
    )
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
        try:
            if date is None:
                raise DataValidationError("no rollout date for this group in the rollout file")
            results.append(spec.fit(series[group], rollout=date, group=group))
            if control:
                results.append(
                    spec.fit(
                        series[group],
                        rollout=date,
                        group=group,
                        control={name: series[name] for name in control},
                    )
                )
        except SafetylensError as exc:
            if group is None:
                raise
            raise type(exc)(f"{group_col} '{group}': {exc}") from None
    return results


def analyses_json(results) -> str:
    """The ``--json`` document: ``{"analyses": [...]}``."""
    return json.dumps({"analyses": [r.to_dict() for r in results]}, indent=2, allow_nan=False)


def tidy_results(results) -> pd.DataFrame:
    """One row per analysis and term: estimates, intervals, p-values and rate ratios."""
    from safetylens._formula import neutralise_formula

    rows = []
    for number, result in enumerate(results, start=1):
        ratios = result.rate_ratios
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
            if ratios is not None and term in ratios.index:
                row["rate_ratio"], row["rr_ci_low"], row["rr_ci_high"] = ratios.loc[term].tolist()
            rows.append(row)
    return pd.DataFrame(rows)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[-80:].strip("_") or "series"


def write_outputs(results, output_dir, *, source: str | None = None) -> list[Path]:
    """Write ``its_results.csv``, ``its_results.json``, one PNG per analysis and ``report.html``.

    Every file is written atomically (a temporary file moved into place).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from safetylens._writers import write_bytes_atomic, write_text_atomic
    from safetylens.its.plot import figure_png
    from safetylens.its.report import html_report

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
        png = figure_png(result)
        plots.append(png)
        name = "all" if result.group is None else str(result.group)
        if result.controlled:
            name += "_vs_control"
        target = folder / f"its_{number:02d}_{_slug(name)}.png"
        write_bytes_atomic(target, png)
        written.append(target)
    target = folder / "report.html"
    write_text_atomic(target, html_report(results, source=source, plots=plots))
    written.append(target)
    return written
