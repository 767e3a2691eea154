"""Property tests: term codings around the rollout, and the JSON round trip."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from safetylens.exceptions import SafetylensError
from safetylens.its import PeriodSeries, SegmentedRegression

PERIOD_CODES = {"month": "M", "week": "W-SUN", "quarter": "Q-DEC", "year": "Y-DEC"}


@st.composite
def layouts(draw):
    period = draw(st.sampled_from(list(PERIOD_CODES)))
    n_pre = draw(st.integers(3, 20))
    phase_in = draw(st.integers(0, 3))
    n_post = draw(st.integers(3, 20))
    start = pd.Period(
        draw(
            st.dates(
                min_value=pd.Timestamp("2000-01-01").date(),
                max_value=pd.Timestamp("2030-01-01").date(),
            )
        ),
        freq=PERIOD_CODES[period],
    )
    rollout_period = start + n_pre
    span = (rollout_period.end_time - rollout_period.start_time).days
    rollout = rollout_period.start_time + pd.Timedelta(days=draw(st.integers(0, span)))
    return period, start, n_pre, phase_in, n_post, rollout.date()


def fit_ols(period, start, n, rollout, phase_in, values):
    series = PeriodSeries.from_arrays(str(start.start_time.date()), values=values, period=period)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SegmentedRegression(model="ols", phase_in=phase_in).fit(series, rollout=rollout)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(layouts())
def test_level_switches_exactly_at_the_first_post_period(layout):
    period, start, n_pre, phase_in, n_post, rollout = layout
    n = n_pre + phase_in + n_post
    values = np.sin(np.arange(n)) + np.arange(n) * 0.1
    result = fit_ols(period, start, n, rollout, phase_in, values)
    design = result.design
    first_post = n_pre + phase_in
    level = design["level_change"].to_numpy()
    assert (level[:first_post] == 0).all() and (level[first_post:] == 1).all()
    assert result.rollout_period == start + n_pre  # the period containing the rollout date
    assert (result.n_pre, result.n_phase_in, result.n_post) == (n_pre, phase_in, n_post)
    assert (design["time"].to_numpy() == np.arange(n)).all()


@settings(max_examples=40, deadline=None, derandomize=True)
@given(layouts())
def test_slope_term_is_zero_before_and_counts_after(layout):
    period, start, n_pre, phase_in, n_post, rollout = layout
    n = n_pre + phase_in + n_post
    result = fit_ols(period, start, n, rollout, phase_in, np.cos(np.arange(n)) + np.arange(n))
    slope = result.design["slope_change"].to_numpy()
    first_post = n_pre + phase_in
    assert (slope[: first_post + 1] == 0).all()
    assert (slope[first_post:] == np.arange(n - first_post)).all()


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    counts=st.lists(st.integers(1, 500), min_size=8, max_size=30),
    model=st.sampled_from(["poisson", "quasipoisson", "negbin", "ols"]),
    at=st.lists(st.integers(0, 3), max_size=2),
)
def test_to_dict_survives_a_json_round_trip(counts, model, at):
    assume(len(set(counts)) > 1)  # a constant series is refused (tested elsewhere)
    series = PeriodSeries.from_arrays("2020-01", counts=counts, denominators=[1000] * len(counts))
    rollout = str(pd.Period("2020-01", freq="M") + len(counts) // 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = SegmentedRegression(model=model, at=tuple(at)).fit(series, rollout=rollout)
    record = result.to_dict()
    assert json.loads(json.dumps(record, allow_nan=False)) == record
    assert len(record["series"]) == len(counts)
    assert len(record["effects"]) == max(len(at), 1)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    counts=st.lists(st.integers(0, 4), min_size=6, max_size=24),
    model=st.sampled_from(["poisson", "quasipoisson", "negbin", "ols", "arima"]),
    seasonality=st.sampled_from(["none", "fourier"]),
)
def test_hard_fits_give_a_result_or_a_one_line_refusal(counts, model, seasonality):
    """Sparse counts (many zeros, constant runs): never anything but a result or our error."""
    series = PeriodSeries.from_arrays("2020-01", counts=counts)
    rollout = str(pd.Period("2020-01", freq="M") + len(counts) // 2)
    spec = SegmentedRegression(model=model, seasonality=seasonality, harmonics=1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = spec.fit(series, rollout=rollout)
    except SafetylensError as exc:
        assert "\n" not in str(exc)
    else:
        json.dumps(result.to_dict(), allow_nan=False)
        result.summary_text()


def _excludes_zero(low, high) -> bool:
    return low > 0 or high < 0


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    counts=st.lists(st.integers(5, 60), min_size=12, max_size=30),
    model=st.sampled_from(["poisson", "quasipoisson", "ols", "arima", "quasibinomial"]),
    at=st.lists(st.integers(0, 5), min_size=1, max_size=3),
)
def test_absolute_and_relative_intervals_agree_and_cumulative_adds_up(counts, model, at):
    """Every effect's and the cumulative effect's absolute and relative intervals agree on
    whether they exclude no change; the cumulative totals recompute from the series output."""
    assume(len(set(counts)) > 2)
    n = len(counts)
    if model == "quasibinomial":
        series = PeriodSeries.from_arrays("2020-01", counts=counts, totals=[100] * n)
    else:
        series = PeriodSeries.from_arrays("2020-01", counts=counts, denominators=[900] * n)
    rollout = str(pd.Period("2020-01", freq="M") + n // 2)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = SegmentedRegression(model=model, at=tuple(at)).fit(series, rollout=rollout)
    except SafetylensError:
        return
    record = result.to_dict()
    for e in record["effects"]:
        if e["relative_ci_low"] is None:
            continue
        assert _excludes_zero(e["absolute_ci_low"], e["absolute_ci_high"]) == _excludes_zero(
            e["relative_ci_low"], e["relative_ci_high"]
        )
        assert e["absolute_ci_low"] <= e["absolute_effect"] <= e["absolute_ci_high"]
    c = record["cumulative"]
    window = [r for r in record["series"] if c["from"] <= r["period"] <= c["to"]]
    assert len(window) == c["periods"] == max(at) + 1  # the rollout period to the last at
    assert c["observed"] == sum(r["count"] for r in window)
    assert c["expected"] == pytest.approx(sum(r["counterfactual"] for r in window), rel=1e-9)
    assert c["difference"] == pytest.approx(c["observed"] - c["expected"], rel=1e-9, abs=1e-9)
    if c["relative_ci"][0] is not None:
        assert _excludes_zero(*c["difference_ci"]) == _excludes_zero(*c["relative_ci"])
