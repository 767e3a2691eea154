"""Period series for interrupted time-series analysis, and how they are built from tables.

A :class:`PeriodSeries` is one regular run of periods (months, weeks, quarters or years) with
an outcome per period: a ``count`` of incidents or a continuous ``value``, optionally a
``denominator`` (occupied bed days, admissions) and covariates. It is built either from
event-level rows (one row per incident, counted per period, empty periods counting zero) or
from an already aggregated table (one row per period). Every check names the file, the column
and the 1-based data row; no cell value is ever quoted, because cells can hold patient text.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from safetylens._dates import parse_date, parse_dates
from safetylens.exceptions import DataValidationError, DataWarning
from safetylens.its.options import Period
from safetylens.taxonomy import LABELS, parse_labels

PERIODS: dict[str, str] = {
    Period.MONTH.value: "M",
    Period.WEEK.value: "W-SUN",
    Period.QUARTER.value: "Q-DEC",
    Period.YEAR.value: "Y-DEC",
}
"""Period names and their pandas frequencies (weeks run Monday to Sunday)."""

SEASON_LENGTH: dict[str, int | None] = {
    Period.MONTH.value: 12,
    Period.WEEK.value: 52,
    Period.QUARTER.value: 4,
    Period.YEAR.value: None,
}
"""Periods per year, the Fourier period used for seasonality."""

_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f", ""})

_EDGE_CHANCE = 0.01
"""An edge period is called incomplete when a gap that long would occur by chance less often."""


def _check_period(period) -> str:
    try:
        return PERIODS[Period(period).value]
    except ValueError:
        raise DataValidationError(
            f"period must be one of {', '.join(Period.values())}; got '{period}'"
        ) from None


@dataclass(frozen=True, eq=False)
class PeriodSeries:
    """A regular series of periods with one outcome, ready for segmented regression.

    Parameters
    ----------
    data : pandas.DataFrame
        Indexed by a consecutive :class:`pandas.PeriodIndex` without gaps or duplicates.
        Exactly one outcome column, ``count`` (non-negative whole numbers) or ``value``;
        optionally ``denominator`` (positive), ``total`` (for a share: all incidents, of which
        ``count`` are the ones studied; whole numbers of at least ``count``) and covariate
        columns (numbers).
    period : {"month", "week", "quarter", "year"}, default="month"
    name : str, default="incidents"
        What is counted or measured, used in axis labels and reports.
    denominator_name : str, optional
        What the denominator measures (for example ``"bed days"``), used in rate units.
    notes : tuple of str
        Caveats from building the series (for example an incomplete period dropped); they
        travel into every result fitted on it.

    Examples
    --------
    >>> s = PeriodSeries.from_arrays("2020-01", counts=[3, 5, 4], denominators=[900, 1000, 950])
    >>> s.outcome, len(s), str(s.data.index[-1])
    ('count', 3, '2020-03')
    """

    data: pd.DataFrame
    period: str = "month"
    name: str = "incidents"
    denominator_name: str | None = None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        freq = _check_period(self.period)
        object.__setattr__(self, "period", Period(self.period).value)
        data = self.data
        if not isinstance(data.index, pd.PeriodIndex):
            raise DataValidationError("a PeriodSeries needs a PeriodIndex of periods")
        if data.index.freqstr != pd.Period("2000-01-01", freq=freq).freqstr:
            raise DataValidationError(
                f"the series index has periods of '{data.index.freqstr}', not {self.period}s"
            )
        outcomes = [c for c in ("count", "value") if c in data.columns]
        if len(outcomes) != 1:
            raise DataValidationError("a series needs exactly one of the columns count or value")
        if len(data) == 0:
            raise DataValidationError("the series has no periods")
        if data.index.has_duplicates:
            first = data.index[data.index.duplicated()][0]
            raise DataValidationError(f"period {first} appears more than once")
        expected = pd.period_range(data.index.min(), data.index.max(), freq=freq)
        if not data.index.sort_values().equals(expected):
            missing = expected.difference(data.index)
            raise DataValidationError(
                f"period {missing[0]} is missing from the series; give one row for every "
                f"{self.period} (a count of 0 where nothing happened)"
            )
        for column in data.columns:
            values = np.asarray(data[column], dtype=float)
            if not np.isfinite(values).all():
                raise DataValidationError(
                    f"column '{column}' has a missing or non-numeric value at period "
                    f"{data.index[~np.isfinite(values)][0]}"
                )
        if "count" in data.columns:
            counts = np.asarray(data["count"], dtype=float)
            bad = (counts < 0) | (counts != np.round(counts))
            if bad.any():
                raise DataValidationError(
                    f"counts must be whole numbers of 0 or more; period {data.index[bad][0]} is not"
                )
        if "denominator" in data.columns:
            den = np.asarray(data["denominator"], dtype=float)
            if (den <= 0).any():
                raise DataValidationError(
                    f"denominators must be above 0; period {data.index[den <= 0][0]} is not"
                )
        if "total" in data.columns:
            if "count" not in data.columns or "denominator" in data.columns:
                raise DataValidationError(
                    "a total (for a share) goes with a count and without a denominator"
                )
            total = np.asarray(data["total"], dtype=float)
            bad = (total < np.asarray(data["count"], dtype=float)) | (total != np.round(total))
            bad |= total <= 0
            if bad.any():
                raise DataValidationError(
                    "totals must be whole numbers above 0 and at least the count; period "
                    f"{data.index[bad][0]} is not"
                )
        object.__setattr__(self, "data", data.sort_index().astype(float))

    @classmethod
    def from_arrays(
        cls,
        start: str,
        *,
        counts=None,
        values=None,
        denominators=None,
        totals=None,
        covariates: dict | None = None,
        period: str = "month",
        name: str = "incidents",
        denominator_name: str | None = None,
    ) -> PeriodSeries:
        """Build a series from plain sequences, starting at the period containing ``start``.

        Examples
        --------
        >>> s = PeriodSeries.from_arrays("2019-07-15", values=[1.5, 2.0], period="quarter")
        >>> s.data.index.astype(str).tolist(), s.data["value"].tolist()
        (['2019Q3', '2019Q4'], [1.5, 2.0])
        """
        if (counts is None) == (values is None):
            raise DataValidationError("give exactly one of counts or values")
        outcome = np.asarray(counts if values is None else values, dtype=float)
        index = pd.period_range(
            pd.Period(parse_date(start), freq=_check_period(period)), periods=len(outcome)
        )
        index.name = "period"
        frame = pd.DataFrame({"count" if values is None else "value": outcome}, index=index)
        if denominators is not None:
            frame["denominator"] = np.asarray(denominators, dtype=float)
        if totals is not None:
            frame["total"] = np.asarray(totals, dtype=float)
        for key, column in (covariates or {}).items():
            frame[key] = np.asarray(column, dtype=float)
        return cls(frame, period=period, name=name, denominator_name=denominator_name)

    @property
    def outcome(self) -> str:
        """``"count"`` or ``"value"``."""
        return "count" if "count" in self.data.columns else "value"

    @property
    def covariates(self) -> list[str]:
        """Names of the covariate columns."""
        return [c for c in self.data.columns if c not in ("count", "value", "denominator", "total")]

    def __len__(self) -> int:
        return len(self.data)


def _numbers(frame: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """A column as floats; an empty or non-numeric cell raises naming its row."""
    raw = frame[column]
    numeric = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numeric)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise DataValidationError(
            f"{source}: column '{column}', data row {row}: not a number; give a number in every row"
        )
    return numeric


def require_columns(frame: pd.DataFrame, columns, source: str) -> None:
    """Raise a one-line error for the first of ``columns`` missing from ``frame``."""
    for column in columns:
        if column is not None and column not in frame.columns:
            from safetylens._names import column_list, shown

            listed = column_list(list(frame.columns), limit=20)
            raise DataValidationError(
                f"{source}: no column named {shown(column)}; columns are: {listed}"
            )


def to_periods(frame: pd.DataFrame, date_col: str, period: str, source: str) -> pd.PeriodIndex:
    """The period of each row from ``date_col``, or from two columns given as ``"year,month"``.

    Examples
    --------
    >>> frame = pd.DataFrame({"year": ["2002", "2002"], "month": ["1", "2"]})
    >>> to_periods(frame, "year,month", "month", "sicily.csv").astype(str).tolist()
    ['2002-01', '2002-02']
    """
    freq = _check_period(period)
    parts = [p.strip() for p in date_col.split(",")]
    require_columns(frame, parts, source)
    if len(parts) == 2:
        years = _numbers(frame, parts[0], source).astype(int)
        months = _numbers(frame, parts[1], source).astype(int)
        bad = (months < 1) | (months > 12)
        if bad.any():
            raise DataValidationError(
                f"{source}: column '{parts[1]}', data row {int(np.flatnonzero(bad)[0]) + 1}: "
                "a month must be a number from 1 to 12"
            )
        dates = pd.to_datetime(pd.DataFrame({"year": years, "month": months, "day": 1}))
    elif len(parts) == 1:
        dates = parse_dates(frame[parts[0]].tolist(), column=parts[0], source=source)
    else:
        raise DataValidationError(
            f"--date-col takes one column, or two as 'year,month'; got {len(parts)} names"
        )
    return pd.PeriodIndex(pd.DatetimeIndex(dates).to_period(freq), name="period")


def _label_mask(frame: pd.DataFrame, labels, information_linked: bool, source: str) -> np.ndarray:
    """Which rows to keep under ``--label`` / ``--information-linked`` (all when neither).

    ``--information-linked`` reads the ``information_linked`` column that classify writes, and
    only when it is absent falls back to "any label" in the ``labels`` column; ``--label``
    reads the ``labels`` column.
    """
    labels = list(labels or ())
    if not labels and not information_linked:
        return np.ones(len(frame), dtype=bool)
    unknown = [name for name in labels if name not in LABELS]
    if unknown:
        raise DataValidationError(f"unknown label '{unknown[0]}'; choose from {', '.join(LABELS)}")
    if not labels and "information_linked" in frame.columns:
        return _flags(frame["information_linked"], "information_linked", source)
    require_columns(frame, ["labels"], source)
    parsed: dict[object, frozenset] = {}
    keep = np.zeros(len(frame), dtype=bool)
    wanted = set(labels)
    for row, cell in enumerate(frame["labels"].tolist()):
        key = cell if isinstance(cell, str) else None
        if key is None or key not in parsed:
            try:
                value = frozenset(parse_labels(cell))
            except ValueError:
                raise DataValidationError(
                    f"{source}: column 'labels', data row {row + 1}: unknown label name; "
                    f"labels must be names from {', '.join(LABELS)} joined with ';'"
                ) from None
            if key is not None:
                parsed[key] = value
        else:
            value = parsed[key]
        keep[row] = bool(value & wanted) if wanted else bool(value)
    return keep


def information_linked_rows(frame: pd.DataFrame, source: str = "input") -> np.ndarray:
    """Which rows are information-linked: the ``information_linked`` column, else any label.

    Examples
    --------
    >>> information_linked_rows(pd.DataFrame({"information_linked": ["true", "false"]})).tolist()
    [True, False]
    """
    return _label_mask(frame, (), True, source)


def _flags(column: pd.Series, name: str, source: str) -> np.ndarray:
    """A true/false column (``true``/``false`` as classify writes, 1/0, booleans) as bools."""
    if column.dtype == bool:
        return column.to_numpy()
    out = np.zeros(len(column), dtype=bool)
    for row, cell in enumerate(column.tolist()):
        if isinstance(cell, bool | np.bool_):
            out[row] = bool(cell)
            continue
        if cell is None or (isinstance(cell, float) and math.isnan(cell)):
            text = ""
        elif isinstance(cell, int | float | np.integer | np.floating):
            text = str(int(cell)) if float(cell) in (0.0, 1.0) else "?"
        else:
            text = str(cell).strip().lower()
        if text in _TRUE:
            out[row] = True
        elif text not in _FALSE:
            raise DataValidationError(
                f"{source}: column '{name}', data row {row + 1}: not true or false"
            )
    return out


def _incomplete_edges(dates: pd.DatetimeIndex, periods: pd.PeriodIndex) -> tuple[bool, bool]:
    """Whether the first / last period looks cut short by the export window.

    The export's overall reporting rate (events per day, all rows) says how long a gap without
    reports is plausible; a gap between the period's edge and the first (last) report longer
    than a 1-in-100 chance at that rate marks the edge period as incomplete.
    """
    first, last = dates.min(), dates.max()
    span_days = (last - first).days + 1
    rate = len(dates) / span_days
    longest_plausible = math.log(1 / _EDGE_CHANCE) / rate
    start_gap = (first - periods.min().start_time).days
    end_gap = (periods.max().end_time.normalize() - last).days
    return start_gap > longest_plausible, end_gap > longest_plausible


def count_events(
    frame: pd.DataFrame,
    *,
    date_col: str,
    period: str = "month",
    labels=(),
    information_linked: bool = False,
    group_col: str | None = None,
    source: str = "input",
    share: bool = False,
    window: tuple | None = None,
) -> dict[str | None, PeriodSeries]:
    """Count event-level rows (one row per incident) per period.

    Each group's periods run from its own first to its own last report (before any label
    filter; without groups, the first and last date of the file), periods without incidents
    count 0, and a first or last period that the export only partly
    covers is dropped with a :class:`~safetylens.exceptions.DataWarning`.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per incident.
    date_col : str
        Column of incident dates (day first, or ISO; a time of day is ignored).
    period : {"month", "week", "quarter", "year"}, default="month"
    labels : sequence of str, optional
        Keep incidents carrying any of these labels (``labels`` column).
    information_linked : bool, default=False
        Keep information-linked incidents: the ``information_linked`` column classify writes,
        or, without it, rows with at least one label.
    group_col : str, optional
        Count each value of this column separately.
    source : str, default="input"
        File name for messages.
    share : bool, default=False
        Also count every incident per period as ``total``, so that the share of the filtered
        incidents among all can be modelled (``--share``).
    window : tuple of datetime.date, optional
        The export window ``(first day, last day)`` (``--from/--to``): rows outside it are
        left out, the periods span it, and a period it only partly covers is dropped.

    Returns
    -------
    dict
        Group value (``None`` without ``group_col``) to :class:`PeriodSeries`.

    Examples
    --------
    >>> rows = pd.DataFrame({"date": ["01/01/2021", "15/01/2021", "03/03/2021", "31/03/2021"]})
    >>> count_events(rows, date_col="date")[None].data["count"].tolist()
    [2.0, 0.0, 2.0]
    """
    require_columns(frame, [group_col], source)
    if len(frame) == 0:
        raise DataValidationError(f"{source}: there are no incident rows")
    require_columns(frame, [date_col], source)
    dates = parse_dates(frame[date_col].tolist(), column=date_col, source=source)
    if window is not None:
        inside = _in_window(dates, window)
        if not inside.any():
            raise DataValidationError(f"{source}: no incident falls inside --from/--to")
        if not inside.all():
            warnings.warn(
                f"{source}: left out {int((~inside).sum())} row(s) dated outside --from/--to",
                DataWarning,
                stacklevel=2,
            )
        frame, dates = frame[inside], dates[inside]
        if None in window:
            window = None  # a one-sided bound only leaves rows out; the data give the edges
    if share and not (labels or information_linked):
        raise DataValidationError(
            "--share models the share of the incidents chosen with --label or "
            "--information-linked among all incidents: give one of them"
        )
    periods = pd.PeriodIndex(dates.to_period(PERIODS[period]), name="period")
    keep = _label_mask(frame, labels, information_linked, source)
    groups = frame[group_col].astype(str).to_numpy() if group_col else np.full(len(frame), None)
    name = (
        " or ".join(labels) + " incidents"
        if labels
        else ("information-linked incidents" if information_linked else "incidents")
    )
    result = {}
    for group in _unique(groups):
        rows = groups == group if group_col else np.ones(len(frame), dtype=bool)
        # Each group's own reports (all of them, before any label filter) say which periods
        # it covers: a site that joins the export later gets no zeros before it joined.
        if window is None:
            full, notes = _covered_periods(dates[rows], periods[rows], period, group)
        else:
            full, notes = _window_periods(window, period, group)
        data = pd.DataFrame({"count": _per_period(periods[keep & rows], full, period)}, index=full)
        if share:
            data["total"] = _per_period(periods[rows], full, period)
        result[group] = PeriodSeries(data, period=period, name=name, notes=tuple(notes))
    return result


def _per_period(periods, full, period: str) -> np.ndarray:
    counts = pd.Series(periods).value_counts()
    counts.index = pd.PeriodIndex(counts.index, freq=PERIODS[period])
    return counts.reindex(full, fill_value=0).to_numpy(float)


def _in_window(dates, window) -> np.ndarray:
    days = pd.DatetimeIndex(dates).normalize()
    inside = np.ones(len(days), dtype=bool)
    first, last = window
    if first is not None:
        inside &= np.asarray(days >= pd.Timestamp(first))
    if last is not None:
        inside &= np.asarray(days <= pd.Timestamp(last))
    return inside


def _window_periods(window, period: str, group) -> tuple[pd.PeriodIndex, list[str]]:
    """The periods of the export window, less a first or last period it covers only in part."""
    first, last = (pd.Timestamp(d) for d in window)
    freq = PERIODS[period]
    full = pd.period_range(pd.Period(first, freq), pd.Period(last, freq), name="period")
    notes = []
    where = "" if group is None else f" for '{group}'"
    drop_first = first > full[0].start_time
    drop_last = last.normalize() < full[-1].end_time.normalize()
    for drop, which, edge in ((drop_first, "first", full[0]), (drop_last, "last", full[-1])):
        if drop:
            notes.append(
                f"The {which} {period}{where} ({edge}) was dropped: the export window "
                "(--from/--to) covers only part of it."
            )
    full = full[int(drop_first) : len(full) - int(drop_last)]
    if len(full) == 0:
        raise DataValidationError("the export window (--from/--to) covers no whole period")
    return full, notes


def _covered_periods(dates, periods, period: str, group) -> tuple[pd.PeriodIndex, list[str]]:
    """The periods from a group's first report to its last, less incomplete edge periods."""
    full = pd.period_range(periods.min(), periods.max(), freq=PERIODS[period], name="period")
    notes: list[str] = []
    if len(full) > 2:
        drop_first, drop_last = _incomplete_edges(dates, full)
        where = "" if group is None else f" for '{group}'"
        for drop, which, edge in ((drop_first, "first", full[0]), (drop_last, "last", full[-1])):
            if drop:
                notes.append(
                    f"The {which} {period}{where} ({edge}) was dropped: the export covers only "
                    "part of it."
                )
                warnings.warn(notes[-1], DataWarning, stacklevel=3)
        full = full[int(drop_first) : len(full) - int(drop_last)]
    return full, notes


def _unique(values: np.ndarray) -> list:
    """Distinct values in order of first appearance."""
    return list(dict.fromkeys(values.tolist()))


def table_series(
    frame: pd.DataFrame,
    *,
    date_col: str,
    count_col: str | None = None,
    value_col: str | None = None,
    denominator_col: str | None = None,
    covariates=(),
    period: str = "month",
    group_col: str | None = None,
    source: str = "input",
    total_col: str | None = None,
    window: tuple | None = None,
) -> dict[str | None, PeriodSeries]:
    """Read an aggregated table: one row per period (per group), with a count or a value.

    Parameters
    ----------
    frame : pandas.DataFrame
    date_col : str
        Date of each period (any date inside it), or ``"year,month"`` for two columns.
    count_col, value_col : str
        Exactly one: the count (whole numbers >= 0) or the continuous value.
    denominator_col : str, optional
        Denominator in the same table (for counts).
    covariates : sequence of str
        Further numeric columns to adjust for.
    period : {"month", "week", "quarter", "year"}, default="month"
    group_col : str, optional
    source : str, default="input"
    total_col : str, optional
        For a share: all incidents per period, of which ``count_col`` are the ones studied.
    window : tuple of datetime.date, optional
        Keep only the periods inside ``(first day, last day)`` (``--from/--to``).

    Returns
    -------
    dict
        Group value (``None`` without ``group_col``) to :class:`PeriodSeries`.

    Examples
    --------
    >>> table = pd.DataFrame({"month": ["2021-01", "2021-02", "2021-03"], "n": ["4", "0", "7"]})
    >>> table_series(table, date_col="month", count_col="n")[None].data["count"].tolist()
    [4.0, 0.0, 7.0]
    """
    if (count_col is None) == (value_col is None):
        raise DataValidationError("give exactly one of --count-col or --value-col")
    outcome_col = count_col or value_col
    covariates = list(covariates or ())
    require_columns(
        frame, [outcome_col, denominator_col, total_col, group_col, *covariates], source
    )
    if len(frame) == 0:
        raise DataValidationError(f"{source}: there are no data rows")
    if total_col and not count_col:
        raise DataValidationError("--total-col goes with --count-col (the count out of the total)")
    if total_col and denominator_col:
        raise DataValidationError("give --total-col (a share) or --denominator-col (a rate)")
    periods = to_periods(frame, date_col, period, source)
    inside = np.ones(len(frame), dtype=bool)
    if window is not None:
        first, last = (pd.Period(pd.Timestamp(d), PERIODS[period]) for d in window)
        inside = np.asarray((periods >= first) & (periods <= last))
        if not inside.any():
            raise DataValidationError(f"{source}: no period falls inside --from/--to")
    data = pd.DataFrame(
        {"count" if count_col else "value": _numbers(frame, outcome_col, source)}, index=periods
    )
    if count_col:
        counts = data["count"].to_numpy()
        bad = (counts < 0) | (counts != np.round(counts))
        if bad.any():
            raise DataValidationError(
                f"{source}: column '{count_col}', data row {int(np.flatnonzero(bad)[0]) + 1}: "
                "a count must be a whole number of 0 or more"
            )
    if denominator_col and value_col:
        raise DataValidationError(
            "--denominator-col goes with --count-col: a --value-col outcome is modelled as it is "
            "(divide it by the denominator first if it should be a rate)"
        )
    if denominator_col:
        den = _numbers(frame, denominator_col, source)
        if (den <= 0).any():
            raise DataValidationError(
                f"{source}: column '{denominator_col}', data row "
                f"{int(np.flatnonzero(den <= 0)[0]) + 1}: a denominator must be above 0"
            )
        data["denominator"] = den
    if total_col:
        total = _numbers(frame, total_col, source)
        bad = (total <= 0) | (total != np.round(total)) | (total < data["count"].to_numpy())
        if bad.any():
            raise DataValidationError(
                f"{source}: column '{total_col}', data row {int(np.flatnonzero(bad)[0]) + 1}: "
                "a total must be a whole number above 0 and at least the count"
            )
        data["total"] = total
    for column in covariates:
        data[column] = _numbers(frame, column, source)
    groups = frame[group_col].astype(str).to_numpy() if group_col else np.full(len(frame), None)
    rows = np.arange(1, len(frame) + 1)
    result = {}
    for group in _unique(groups):
        mask = (groups == group if group_col else np.ones(len(frame), dtype=bool)) & inside
        if not mask.any():
            continue
        part = data[mask]
        duplicated = part.index.duplicated()
        if duplicated.any():
            where = f" for {group_col} '{group}'" if group_col else ""
            raise DataValidationError(
                f"{source}: data row {rows[mask][duplicated][0]}: period "
                f"{part.index[duplicated][0]} appears more than once{where}; give one row per "
                f"{period}"
            )
        result[group] = PeriodSeries(
            part.sort_index(),
            period=period,
            name=outcome_col,
            denominator_name=denominator_col,
        )
    return result


def read_denominators(
    frame: pd.DataFrame, *, period: str, group_col: str | None = None, source: str = "denominator"
) -> dict[str | None, pd.Series]:
    """Read a denominator table: a period column and a value column (and optionally the group).

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns: the group column (if ``group_col`` is given and present), then exactly two
        more, the period (a date inside it) and the denominator.
    period : {"month", "week", "quarter", "year"}
    group_col : str, optional
    source : str, default="denominator"

    Returns
    -------
    dict
        Group value (``None`` when the table has no group column) to a Series indexed by period.

    Examples
    --------
    >>> beds = pd.DataFrame({"month": ["01/01/2021", "01/02/2021"], "bed_days": ["9100", "8700"]})
    >>> read_denominators(beds, period="month")[None].tolist()
    [9100.0, 8700.0]
    """
    by_group = bool(group_col) and group_col in frame.columns
    rest = [c for c in frame.columns if not (by_group and c == group_col)]
    if len(rest) != 2:
        extra = f" (and the group column '{group_col}')" if group_col else ""
        raise DataValidationError(
            f"{source}: a denominator file needs two columns, a period and a value{extra}; "
            f"it has {len(rest)}"
        )
    date_col, value_col = rest
    periods = to_periods(frame, date_col, period, source)
    values = _numbers(frame, value_col, source)
    if (values <= 0).any():
        raise DataValidationError(
            f"{source}: column '{value_col}', data row {int(np.flatnonzero(values <= 0)[0]) + 1}: "
            "a denominator must be above 0"
        )
    groups = frame[group_col].astype(str).to_numpy() if by_group else np.full(len(frame), None)
    result = {}
    for group in _unique(groups):
        mask = groups == group if by_group else np.ones(len(frame), dtype=bool)
        part = pd.Series(values[mask], index=periods[mask], name=value_col)
        duplicated = part.index.duplicated()
        if duplicated.any():
            row = int(np.arange(1, len(frame) + 1)[mask][duplicated][0])
            raise DataValidationError(
                f"{source}: data row {row}: period {part.index[duplicated][0]} appears more "
                "than once"
            )
        result[group] = part
    return result


def with_denominator(series: PeriodSeries, denominator: pd.Series, *, source: str) -> PeriodSeries:
    """Attach a denominator Series (indexed by period) to a count series.

    Raises
    ------
    DataValidationError
        If the series is not a count series or a period has no denominator.
    """
    if series.outcome != "count":
        raise DataValidationError(
            "a denominator applies to counts; with --value-col give the rate itself"
        )
    aligned = denominator.reindex(series.data.index)
    missing = aligned.isna().to_numpy()
    if missing.any():
        raise DataValidationError(
            f"{source}: no denominator for period {series.data.index[missing][0]}; give one for "
            "every period of the series"
        )
    data = series.data.copy()
    data["denominator"] = aligned.to_numpy(float)
    return PeriodSeries(
        data,
        period=series.period,
        name=series.name,
        denominator_name=str(denominator.name) if denominator.name is not None else None,
        notes=series.notes,
    )
