"""Design matrices for segmented regression: the terms, their names and their codings.

* ``intercept``: 1.
* ``time``: periods since the first period of the series (0 there).
* ``level_change``: 1 from the first post-rollout period on, 0 before. The rollout period is
  the period containing the rollout date; after a phase-in of N periods the first post period
  is N periods later, and the phase-in periods are left out of the fit.
* ``slope_change``: periods since the first post period (0 there, 1 the next), 0 before.
* seasonal terms: ``sin1, cos1, sin2, cos2, ...`` (Fourier pairs, ``--seasonality fourier``;
  period 12 for months, 52 for weeks, 4 for quarters, on the calendar position), or
  ``month_2 ... month_12`` / ``quarter_2 ... quarter_4`` (indicators against the first,
  ``--seasonality month``).
* covariates, under their own column names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from safetylens.exceptions import DataValidationError
from safetylens.its.series import SEASON_LENGTH


def segment_terms(
    n_periods: int, first_post: int, *, impact: str = "both", second_post: int | None = None
) -> pd.DataFrame:
    """``time``, ``level_change`` and ``slope_change`` for ``n_periods`` periods.

    Parameters
    ----------
    n_periods : int
    first_post : int
        Position (0-based) of the first post-rollout period (after any phase-in).
    impact : {"level", "slope", "both"}, default="both"
        Which change terms to include.
    second_post : int, optional
        First post period of a second rollout: adds ``level_change_2`` and ``slope_change_2``
        coded the same way from there.

    Examples
    --------
    >>> segment_terms(5, 3)
       time  level_change  slope_change
    0   0.0           0.0           0.0
    1   1.0           0.0           0.0
    2   2.0           0.0           0.0
    3   3.0           1.0           0.0
    4   4.0           1.0           1.0
    """
    time = np.arange(n_periods, dtype=float)
    post = time >= first_post
    terms = {"time": time}
    if impact in ("level", "both"):
        terms["level_change"] = post.astype(float)
    if impact in ("slope", "both"):
        terms["slope_change"] = np.where(post, time - first_post, 0.0)
    if second_post is not None:
        post2 = time >= second_post
        if impact in ("level", "both"):
            terms["level_change_2"] = post2.astype(float)
        if impact in ("slope", "both"):
            terms["slope_change_2"] = np.where(post2, time - second_post, 0.0)
    return pd.DataFrame(terms)


def _season_position(index: pd.PeriodIndex, period: str) -> np.ndarray:
    """Calendar position within the year: month 1-12, quarter 1-4, or a running week count."""
    if period == "month":
        return np.asarray(index.month, dtype=float)
    if period == "quarter":
        return np.asarray(index.quarter, dtype=float)
    first_week = float(index[0].start_time.isocalendar().week)
    return first_week + np.arange(len(index), dtype=float)


def seasonal_terms(
    index: pd.PeriodIndex, period: str, seasonality: str = "none", harmonics: int = 2
) -> pd.DataFrame:
    """Seasonal terms for the periods in ``index``.

    Examples
    --------
    >>> idx = pd.period_range("2020-01", periods=3, freq="M")
    >>> seasonal_terms(idx, "month", "fourier", harmonics=1).round(3)
        sin1   cos1
    0  0.500  0.866
    1  0.866  0.500
    2  1.000  0.000
    >>> list(seasonal_terms(idx, "month", "month").columns)[:2]
    ['month_2', 'month_3']
    """
    if seasonality == "none":
        return pd.DataFrame(index=range(len(index)))
    if SEASON_LENGTH[period] is None:
        raise DataValidationError("seasonality needs months, weeks or quarters, not years")
    if seasonality == "fourier":
        length = SEASON_LENGTH[period]
        position = _season_position(index, period)
        terms = {}
        for k in range(1, harmonics + 1):
            if 2 * k != length:  # at half the season length the sine is 0 everywhere
                terms[f"sin{k}"] = np.sin(2 * np.pi * k * position / length)
            terms[f"cos{k}"] = np.cos(2 * np.pi * k * position / length)
        return pd.DataFrame(terms)
    if period == "quarter":
        codes, prefix, levels = np.asarray(index.quarter), "quarter", range(2, 5)
    else:  # months of months, or the month in which each week starts
        codes, prefix, levels = np.asarray(index.start_time.month), "month", range(2, 13)
    return pd.DataFrame({f"{prefix}_{m}": (codes == m).astype(float) for m in levels})


def phases(n_periods: int, rollout_at: int, phase_in: int, second_at=None) -> np.ndarray:
    """``pre``, ``phase_in`` or ``post`` for each period (a second rollout has its own
    phase-in).

    Examples
    --------
    >>> phases(5, 2, 1).tolist()
    ['pre', 'pre', 'phase_in', 'post', 'post']
    >>> phases(7, 1, 1, second_at=4).tolist()
    ['pre', 'phase_in', 'post', 'post', 'phase_in', 'post', 'post']
    """
    position = np.arange(n_periods)
    out = np.where(
        position < rollout_at,
        "pre",
        np.where(position < rollout_at + phase_in, "phase_in", "post"),
    ).astype(object)
    if second_at is not None:
        out[(position >= second_at) & (position < second_at + phase_in)] = "phase_in"
    return out


def design_matrix(
    index: pd.PeriodIndex,
    first_post: int,
    *,
    period: str,
    impact: str = "both",
    trend: bool = True,
    seasonality: str = "none",
    harmonics: int = 2,
    covariates: pd.DataFrame | None = None,
    second_post: int | None = None,
) -> pd.DataFrame:
    """The full design, one row per period (phase-in rows included), indexed by period.

    Examples
    --------
    >>> idx = pd.period_range("2021-01", periods=4, freq="M")
    >>> design_matrix(idx, 2, period="month")
             intercept  time  level_change  slope_change
    2021-01        1.0   0.0           0.0           0.0
    2021-02        1.0   1.0           0.0           0.0
    2021-03        1.0   2.0           1.0           0.0
    2021-04        1.0   3.0           1.0           1.0
    """
    parts = [
        pd.DataFrame({"intercept": np.ones(len(index))}),
        segment_terms(len(index), first_post, impact=impact, second_post=second_post),
    ]
    if not trend:
        parts[1] = parts[1].drop(columns="time")
    parts.append(seasonal_terms(index, period, seasonality, harmonics))
    if covariates is not None and covariates.shape[1]:
        parts.append(covariates.reset_index(drop=True))
    design = pd.concat(parts, axis=1)
    design.index = pd.Index(index.astype(str), name=None)
    return design


CHANGE_TERMS = ("level_change", "slope_change", "level_change_2", "slope_change_2")
"""Terms that carry the rollout's effect; the counterfactual sets them to 0."""


def counterfactual_design(design: pd.DataFrame) -> pd.DataFrame:
    """The same design with the change terms set to 0: the pre-rollout model extended."""
    out = design.copy()
    for term in CHANGE_TERMS:
        if term in out.columns:
            out[term] = 0.0
    return out
