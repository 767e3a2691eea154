"""Interrupted time-series (ITS) analysis: did incident rates change after a rollout?

Build a :class:`PeriodSeries` (from incidents with :func:`count_events`, or from an aggregated
table with :func:`table_series`), fit :class:`SegmentedRegression`, and read the
:class:`ITSResult`; :func:`run_analyses` and :func:`write_outputs` do all of it from a table,
as ``safetylens its`` does. The choices (``Model``, ``Period``, ...) are ``str`` enums.

Names are imported on first use, so ``import safetylens.its.options`` (as the command line
does) loads neither pandas nor statsmodels.

Examples
--------
>>> from safetylens.its import PeriodSeries, SegmentedRegression
>>> counts = [40, 44, 41, 45, 43, 46, 30, 31, 29, 33, 30, 32]
>>> series = PeriodSeries.from_arrays("2022-01", counts=counts)
>>> result = SegmentedRegression(model="quasipoisson").fit(series, rollout="01/07/2022")
>>> float(round(result.rate_ratios.loc["level_change", "estimate"], 2))
0.65
"""

_LAZY = {
    "PERIODS": "safetylens.its.series",
    "PeriodSeries": "safetylens.its.series",
    "count_events": "safetylens.its.series",
    "read_denominators": "safetylens.its.series",
    "table_series": "safetylens.its.series",
    "SegmentedRegression": "safetylens.its.regression",
    "ITSResult": "safetylens.its.results",
    "FailedAnalysis": "safetylens.its.analysis",
    "power_analysis": "safetylens.its.power",
    "sensitivity_table": "safetylens.its.sensitivity",
    "analyses_json": "safetylens.its.analysis",
    "build_series": "safetylens.its.analysis",
    "read_rollouts": "safetylens.its.analysis",
    "run_analyses": "safetylens.its.analysis",
    "tidy_results": "safetylens.its.analysis",
    "write_outputs": "safetylens.its.analysis",
    "ArimaIntervals": "safetylens.its.options",
    "ArimaMethod": "safetylens.its.options",
    "Impact": "safetylens.its.options",
    "Model": "safetylens.its.options",
    "Period": "safetylens.its.options",
    "Seasonality": "safetylens.its.options",
    "StandardErrors": "safetylens.its.options",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'safetylens.its' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
