"""Building period series: event counts by hand, aggregated tables, denominators, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from safetylens.exceptions import DataValidationError, DataWarning
from safetylens.its import PeriodSeries, build_series, count_events, read_rollouts, table_series

# An export from 1 January to 31 May 2021, dates typed three ways (day first and ISO).
EVENTS = [
    ("01/01/2021", "records_unavailable"),
    ("2021-01-02", ""),  # ISO: 2 January, not 1 February
    ("12/01/2021", "it_system"),
    ("31 Jan 2021", "records_unavailable;it_system"),
    ("01/02/2021", ""),  # 1 February
    ("2021-02-28T23:59:00", "test_results"),
    ("05/04/21", "it_system"),  # 5 April; March has no incidents
    ("2021-04-05", ""),
    ("30.04.2021", "medication_information"),
    ("03/05/2021 09:15", "it_system"),
    ("15 May 2021", ""),
    ("31/05/2021", "patient_identification"),
]
# Hand count per month: Jan 4, Feb 2, Mar 0, Apr 3, May 3.
HAND_COUNT_ALL = [4, 2, 0, 3, 3]
# information-linked (any label): Jan 3, Feb 1, Mar 0, Apr 2, May 2.
HAND_COUNT_LINKED = [3, 1, 0, 2, 2]
# it_system: Jan 2 (12th, 31st), Feb 0, Mar 0, Apr 1, May 1.
HAND_COUNT_IT = [2, 0, 0, 1, 1]


@pytest.fixture
def events():
    return pd.DataFrame(EVENTS, columns=["reported", "labels"])


def counts_of(series):
    assert str(series.data.index[0]) == "2021-01" and str(series.data.index[-1]) == "2021-05"
    return series.data["count"].astype(int).tolist()


def test_event_counts_match_the_hand_count(events):
    assert counts_of(count_events(events, date_col="reported")[None]) == HAND_COUNT_ALL
    linked = count_events(events, date_col="reported", information_linked=True)[None]
    assert counts_of(linked) == HAND_COUNT_LINKED
    assert linked.name == "information-linked incidents"
    it = count_events(events, date_col="reported", labels=["it_system"])[None]
    assert counts_of(it) == HAND_COUNT_IT


def test_event_counts_per_quarter_and_per_group(events):
    quarters = count_events(events, date_col="reported", period="quarter")[None]
    assert quarters.data["count"].tolist() == [6.0, 6.0]
    events["site"] = ["A", "B"] * 6
    by_site = count_events(events, date_col="reported", group_col="site")
    assert list(by_site) == ["A", "B"]
    assert [
        int(a + b)
        for a, b in zip(by_site["A"].data["count"], by_site["B"].data["count"], strict=True)
    ] == HAND_COUNT_ALL


def test_weeks_run_monday_to_sunday():
    frame = pd.DataFrame({"d": ["2021-03-01", "07/03/2021", "08/03/2021", "2021-03-14"]})
    series = count_events(frame, date_col="d", period="week")[None]
    assert series.data["count"].tolist() == [2.0, 2.0]
    assert series.data.index[0].start_time == pd.Timestamp("2021-03-01")


def test_incomplete_first_and_last_months_are_dropped_with_a_warning():
    days = pd.date_range("2021-01-20", "2021-06-10", freq="D")  # daily reports
    frame = pd.DataFrame({"date": days.strftime("%d/%m/%Y")})
    with pytest.warns(DataWarning, match="first month \\(2021-01\\) was dropped"):
        series = count_events(frame, date_col="date")[None]
    assert [str(p) for p in series.data.index] == ["2021-02", "2021-03", "2021-04", "2021-05"]
    assert series.data["count"].tolist() == [28.0, 31.0, 30.0, 31.0]
    assert any("last month (2021-06)" in note for note in series.notes)


def test_unknown_label_names_are_refused(events):
    with pytest.raises(DataValidationError, match="unknown label 'it'"):
        count_events(events, date_col="reported", labels=["it"])
    events.loc[3, "labels"] = "Patient said: nurse forgot"
    with pytest.raises(DataValidationError, match="column 'labels', data row 4") as info:
        count_events(events, date_col="reported", information_linked=True)
    assert "nurse" not in str(info.value)


def test_aggregated_table_with_year_and_month_columns():
    frame = pd.DataFrame(
        {
            "year": ["2020"] * 3,
            "month": ["10", "11", "12"],
            "n": ["5", "0", "7"],
            "beds": ["900", "950", "1000"],
        }
    )
    series = table_series(frame, date_col="year,month", count_col="n", denominator_col="beds")[None]
    assert series.data["count"].tolist() == [5.0, 0.0, 7.0]
    assert series.data["denominator"].tolist() == [900.0, 950.0, 1000.0]
    assert series.denominator_name == "beds"


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("n", "-1", "column 'n', data row 2: a count must be a whole number of 0 or more"),
        ("n", "2.5", "column 'n', data row 2: a count must be a whole number"),
        ("n", "", "column 'n', data row 2: not a number"),
        ("beds", "0", "column 'beds', data row 2: a denominator must be above 0"),
        ("beds", "", "column 'beds', data row 2: not a number"),
        ("month", "2021-01", "data row 2: period 2021-01 appears more than once"),
        ("month", "2021-04", "period 2021-02 is missing from the series"),
        ("month", "31/02/2021", "column 'month', data row 2: cannot read the date"),
    ],
)
def test_bad_aggregated_rows_name_the_row(column, cell, message):
    frame = pd.DataFrame(
        {
            "month": ["2021-01", "2021-02", "2021-03"],
            "n": ["3", "4", "5"],
            "beds": ["900", "950", "1000"],
        }
    )
    frame.loc[1, column] = cell
    with pytest.raises(
        DataValidationError, match=f"^agg.csv: {message}" if "missing" not in message else message
    ):
        table_series(
            frame, date_col="month", count_col="n", denominator_col="beds", source="agg.csv"
        )


def test_missing_column_lists_the_columns():
    frame = pd.DataFrame({"month": ["2021-01"], "n": ["3"]})
    with pytest.raises(
        DataValidationError, match="agg.csv: no column named 'count'; columns are: 'month', 'n'"
    ):
        table_series(frame, date_col="month", count_col="count", source="agg.csv")


def test_denominator_file_per_group(events):
    events["site"] = ["A", "B"] * 6
    months = [f"01/{m:02d}/2021" for m in range(1, 6)]
    beds = pd.DataFrame(
        {
            "site": ["A"] * 5 + ["B"] * 5,
            "month": months * 2,
            "bed_days": [str(1000 + i) for i in range(10)],
        }
    )
    series = build_series(events, date_col="reported", group_col="site", denominators=beds)
    assert series["B"].data["denominator"].tolist() == [1005.0, 1006.0, 1007.0, 1008.0, 1009.0]
    assert series["A"].denominator_name == "bed_days"
    with pytest.raises(DataValidationError, match="beds.csv: no denominator for period 2021-05"):
        build_series(
            events,
            date_col="reported",
            denominators=beds.iloc[:4, 1:],
            denominator_source="beds.csv",
        )
    bad = beds.copy()
    bad.loc[2, "bed_days"] = "0"
    with pytest.raises(
        DataValidationError, match="column 'bed_days', data row 3: a denominator must be above 0"
    ):
        build_series(events, date_col="reported", group_col="site", denominators=bad)


def test_rollout_file_rows_are_checked():
    table = pd.DataFrame({"site": ["A", "A"], "go_live": ["01/04/2021", "2021-05-01"]})
    with pytest.raises(DataValidationError, match="data row 2: a group appears more than once"):
        read_rollouts(table, group_col="site")
    table = pd.DataFrame({"site": ["A", "B"], "go_live": ["01/04/2021", "soon"]})
    with pytest.raises(DataValidationError, match="rollouts.csv: column 'go_live', data row 2"):
        read_rollouts(table, group_col="site", source="rollouts.csv")


def test_period_series_checks_its_own_data():
    index = pd.period_range("2021-01", periods=3, freq="M", name="period")
    with pytest.raises(DataValidationError, match="period 2021-02 is missing"):
        PeriodSeries(pd.DataFrame({"count": [1.0, 2.0]}, index=index[[0, 2]]))
    with pytest.raises(DataValidationError, match="not months"):
        PeriodSeries(pd.DataFrame({"count": [1.0, 2.0, 3.0]}, index=index.asfreq("D")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        series = PeriodSeries.from_arrays("2021-01", counts=np.array([1, 2, 3]))
    assert series.outcome == "count" and len(series) == 3


def test_a_group_that_joins_later_gets_no_zeros_before_it_joined():
    rows = pd.DataFrame(
        {
            "site": ["A"] * 24 + ["B"] * 12,
            "date": [f"15/{m:02d}/2019" for m in range(1, 13)] * 2
            + [f"15/{m:02d}/2020" for m in range(1, 13)],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        series = count_events(rows, date_col="date", group_col="site")
    assert series["A"].data.index[0] == pd.Period("2019-01", freq="M")
    assert series["A"].data["count"].tolist() == [2.0] * 12
    assert series["B"].data.index[0] == pd.Period("2020-01", freq="M")
    assert series["B"].data["count"].tolist() == [1.0] * 12


def test_value_outcome_with_a_denominator_column_is_refused():
    table = pd.DataFrame(
        {"month": ["2021-01", "2021-02"], "rate": ["1.5", "2"], "beds": ["9", "9"]}
    )
    with pytest.raises(DataValidationError, match="--denominator-col goes with --count-col"):
        table_series(table, date_col="month", value_col="rate", denominator_col="beds")


def test_information_linked_reads_the_column_classify_writes():
    """The flag column wins over the labels string; labels are the fallback when it is absent."""
    rows = pd.DataFrame(
        {
            "date": ["01/01/2021", "02/01/2021", "03/02/2021", "04/02/2021"],
            "labels": ["it_system", "", "it_system", ""],
            "information_linked": ["false", "true", "true", "True"],
        }
    )
    counts = count_events(rows, date_col="date", information_linked=True)[None]
    assert counts.data["count"].tolist() == [1.0, 2.0]
    fallback = count_events(
        rows.drop(columns="information_linked"), date_col="date", information_linked=True
    )[None]
    assert fallback.data["count"].tolist() == [1.0, 1.0]
    bad = rows.assign(information_linked=["false", "maybe", "true", "true"])
    with pytest.raises(DataValidationError, match="'information_linked', data row 2: not true"):
        count_events(bad, date_col="date", information_linked=True)
