"""Reading dates the way NHS exports write them: day first, or ISO.

One rule per shape, decided by a regular expression, never by guessing:

* ISO dates (``2021-04-03``, with or without a time, ``2021/04/03``) are year-month-day;
  ``2021-04`` is April 2021, ``2021`` is the year 2021 and ``2021Q2`` its second quarter.
* Numeric dates with the year last (``03/04/2021``, ``03/04/21``, ``03-04-2021``,
  ``03.04.2021``, optionally followed by a time) are day first: 3 April 2021.
* Dates with a month name (``3 Apr 2021``, ``03-Apr-21``, ``3 April 2021``, ``Apr 2021``).
* ``datetime`` / ``date`` / ``Timestamp`` objects (Excel date cells) are used as they are.

Two-digit years follow the POSIX ``%y`` rule: 00-68 are 2000-2068, 69-99 are 1969-1999.
A value that fits none of these raises :class:`~safetylens.exceptions.DataValidationError`
naming the column and the 1-based data row, never the value (it could be patient text).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from safetylens.exceptions import DataValidationError

_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(rf"(\d{{4}})[-/](\d{{1,2}})[-/](\d{{1,2}}){_TIME}")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_YEAR = re.compile(r"(\d{4})(?:\.0+)?")
_QUARTER = re.compile(r"(\d{4})[- ]?[Qq]([1-4])")
_DAY_FIRST = re.compile(rf"(\d{{1,2}})([/.-])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}")
_DAY_MONTH_NAME = re.compile(
    rf"(\d{{1,2}})(?:st|nd|rd|th)?[ -]([A-Za-z]{{3,9}})\.?,?[ -](\d{{4}}|\d{{2}}){_TIME}"
)
_MONTH_NAME_YEAR = re.compile(r"([A-Za-z]{3,9})\.?,?[ -](\d{4})")

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

_EXPECTED = "write dates day first (03/04/2021, 3 Apr 2021) or as ISO (2021-04-03)"


_EXCEL_SERIAL = re.compile(r"[1-9][0-9]{4}(?:\.0+)?")
_SERIALS = (18_264, 73_050)  # 01/01/1950 to 31/12/2099 as Excel date serials


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 69 else 1900
    return year


def _month(name: str) -> int:
    return _MONTHS[name.lower()]  # KeyError for an unknown name: caught by the caller


def parse_date(value: object) -> dt.date:
    """Read one date: ISO as ISO, everything else day first.

    Parameters
    ----------
    value : str, datetime.date, datetime.datetime, pandas.Timestamp or int
        An ``int`` between 1000 and 9999 is read as 1 January of that year.

    Returns
    -------
    datetime.date

    Raises
    ------
    ValueError
        If the value cannot be read as a date (the message does not quote it).

    Examples
    --------
    >>> parse_date("03/04/2021")
    datetime.date(2021, 4, 3)
    >>> parse_date("2005-01-02")
    datetime.date(2005, 1, 2)
    >>> parse_date("3 Apr 21")
    datetime.date(2021, 4, 3)
    >>> parse_date("2021-04-03T14:30:00")
    datetime.date(2021, 4, 3)
    >>> parse_date("2021Q2")
    datetime.date(2021, 4, 1)
    >>> parse_date("43831")  # an Excel date serial
    datetime.date(2020, 1, 1)
    """
    if isinstance(value, dt.datetime):  # also pandas.Timestamp
        if value != value:  # NaT
            raise ValueError("not a date")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return dt.date(value, 1, 1)
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and _SERIALS[0] <= value <= _SERIALS[1]
    ):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("not a date")
    text = value.strip()
    if _EXCEL_SERIAL.fullmatch(text) and _SERIALS[0] <= float(text) <= _SERIALS[1]:
        # An Excel date serial (days since 30/12/1899) in a cell not formatted as a date; only
        # serials of the years 1950 to 2099 are taken as dates (12345 stays unreadable).
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(text)))
    try:
        if m := _ISO.fullmatch(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DAY_FIRST.fullmatch(text):
            return dt.date(_year(m[4]), int(m[3]), int(m[1]))
        if m := _ISO_MONTH.fullmatch(text):
            return dt.date(int(m[1]), int(m[2]), 1)
        if m := _YEAR.fullmatch(text):
            return dt.date(int(m[1]), 1, 1)
        if m := _QUARTER.fullmatch(text):
            return dt.date(int(m[1]), 3 * int(m[2]) - 2, 1)
        if m := _DAY_MONTH_NAME.fullmatch(text):
            return dt.date(_year(m[3]), _month(m[2]), int(m[1]))
        if m := _MONTH_NAME_YEAR.fullmatch(text):
            return dt.date(int(m[2]), _month(m[1]), 1)
    except (KeyError, ValueError):
        pass
    raise ValueError("not a date")


def parse_dates(values: Iterable[object], *, column: str, source: str | None = None):
    """Read a column of dates, day first unless ISO.

    Parameters
    ----------
    values : iterable
        The column's cells, in row order.
    column : str
        Column name, for the error message.
    source : str, optional
        File name, for the error message.

    Returns
    -------
    pandas.DatetimeIndex
        Midnight of each date, in the order given.

    Raises
    ------
    DataValidationError
        For the first empty or unreadable cell, naming the column and its 1-based data row.

    Examples
    --------
    >>> dates = parse_dates(["03/04/2021", "2021-04-03", "4 Apr 2021"], column="date")
    >>> dates.strftime("%Y-%m-%d").tolist()
    ['2021-04-03', '2021-04-03', '2021-04-04']
    >>> try:
    ...     parse_dates(["31/02/2021"], column="reported", source="export.csv")
    ... except DataValidationError as exc:
    ...     print(exc)  # doctest: +ELLIPSIS
    export.csv: column 'reported', data row 1: cannot read the date; ...
    """
    import pandas as pd

    cache: dict[object, dt.date] = {}
    out = []
    for row, value in enumerate(values, start=1):
        key = value if isinstance(value, str | int) else None
        if key is not None and key in cache:
            out.append(cache[key])
            continue
        try:
            parsed = parse_date(value)
        except ValueError:
            prefix = f"{source}: " if source else ""
            empty = (
                value is None or (isinstance(value, str) and not value.strip()) or value != value
            )
            problem = "the date is empty" if empty else "cannot read the date"
            raise DataValidationError(
                f"{prefix}column '{column}', data row {row}: {problem}; {_EXPECTED}"
            ) from None
        if key is not None:
            cache[key] = parsed
        out.append(parsed)
    return pd.DatetimeIndex(pd.to_datetime(out))
