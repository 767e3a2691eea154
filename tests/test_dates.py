"""Day-first date parsing: ISO stays ISO, everything else is day first, errors never quote."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from safetylens._dates import parse_date, parse_dates
from safetylens.exceptions import DataValidationError

D = dt.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2005-01-02", D(2005, 1, 2)),  # ISO: never read day first as 1 February
        ("2005-01-02T23:59:59", D(2005, 1, 2)),
        ("2005-01-02 08:30", D(2005, 1, 2)),
        ("2005-01-02T08:30:00+01:00", D(2005, 1, 2)),
        ("2005/01/02", D(2005, 1, 2)),
        ("2005-1-2", D(2005, 1, 2)),
        ("03/04/2021", D(2021, 4, 3)),
        ("3/4/2021", D(2021, 4, 3)),
        ("03/04/21", D(2021, 4, 3)),
        ("03/04/99", D(1999, 4, 3)),
        ("03-04-2021", D(2021, 4, 3)),
        ("03.04.2021", D(2021, 4, 3)),
        ("03/04/2021 14:30", D(2021, 4, 3)),
        ("03/04/2021 2:30 PM", D(2021, 4, 3)),
        ("13/01/2021", D(2021, 1, 13)),
        ("3 Apr 2021", D(2021, 4, 3)),
        ("3 April 2021", D(2021, 4, 3)),
        ("03-Apr-21", D(2021, 4, 3)),
        ("3rd Sept 2021", D(2021, 9, 3)),
        ("  3 apr 2021 ", D(2021, 4, 3)),
        ("Apr 2021", D(2021, 4, 1)),
        ("2021-04", D(2021, 4, 1)),
        ("2021", D(2021, 1, 1)),
        ("2021Q2", D(2021, 4, 1)),
        (dt.datetime(2021, 4, 3, 12, 0), D(2021, 4, 3)),  # Excel datetime cells
        (pd.Timestamp("2021-04-03 07:00"), D(2021, 4, 3)),
        (D(2021, 4, 3), D(2021, 4, 3)),
        (1989, D(1989, 1, 1)),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2021",
        "2021-13-01",
        "13/13/2021",
        "04/03",
        "yesterday",
        "",
        "2021-04-03x",
        "3 Foo 2021",
        "12345",
        None,
        float("nan"),
        pd.NaT,
        True,
    ],
)
def test_unreadable_dates_raise_value_error(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_parse_dates_mixes_formats_in_one_column():
    values = ["2005-01-02", "02/01/2005", "2 Jan 2005", "02.01.05"]
    assert parse_dates(values, column="d").strftime("%Y-%m-%d").tolist() == ["2005-01-02"] * 4


def test_error_names_file_column_and_row_never_the_value():
    secret = "Mr John Smith 943 476 5919"
    with pytest.raises(DataValidationError) as info:
        parse_dates(["01/01/2021", "02/01/2021", secret], column="incident_date", source="x.csv")
    message = str(info.value)
    assert message.startswith("x.csv: column 'incident_date', data row 3: cannot read the date;")
    assert "John" not in message and "5919" not in message and "\n" not in message


def test_empty_date_is_named_as_empty():
    with pytest.raises(DataValidationError, match="data row 2: the date is empty"):
        parse_dates(["01/01/2021", "  "], column="d")
