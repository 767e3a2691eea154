"""Interrupted time-series (ITS) analysis: did incident rates change after a rollout?

Build a :class:`PeriodSeries` (from incidents with :func:`count_events`, or from an aggregated
table with :func:`table_series`), fit :class:`SegmentedRegression`, and read the
:class:`ITSResult`; :func:`run_analyses` and :func:`write_outputs` do all of it from a table,
as ``safetylens its`` does.

Examples
--------
>>> from safetylens.its import PeriodSeries, SegmentedRegression
>>> counts = [40, 44, 41, 45, 43, 46, 30, 31, 29, 33, 30, 32]
>>> series = PeriodSeries.from_arrays("2022-01", counts=counts)
>>> result = SegmentedRegression(model="quasipoisson").fit(series, rollout="01/07/2022")
>>> float(round(result.rate_ratios.loc["level_change", "estimate"], 2))
0.65
"""

from safetylens.its.pipeline import (
    analyses_json,
    build_series,
    read_rollouts,
    run_analyses,
    tidy_results,
    write_outputs,
)
from safetylens.its.regression import MODELS, SegmentedRegression
from safetylens.its.results import ITSResult
from safetylens.its.series import (
    PERIODS,
    PeriodSeries,
    count_events,
    read_denominators,
    table_series,
)

__all__ = [
    "MODELS",
    "PERIODS",
    "ITSResult",
    "PeriodSeries",
    "SegmentedRegression",
    "analyses_json",
    "build_series",
    "count_events",
    "read_denominators",
    "read_rollouts",
    "run_analyses",
    "table_series",
    "tidy_results",
    "write_outputs",
]
