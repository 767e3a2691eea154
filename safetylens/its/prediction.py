"""Predictions from a fitted segmented regression, with delta-method intervals.

Everything here works on the model's scale (log rate for count models, log odds for share
models, the value itself for ``ols`` and ``arima``) and maps to the outcome's scale at the end,
as statsmodels' ``get_prediction``. :class:`~safetylens.its.results.ITSResult` calls these
functions; they hold no state. ``link`` is ``"log"``, ``"logit"`` or ``"identity"``.
"""

from __future__ import annotations

import numpy as np


def quantile(alpha: float, df) -> float:
    """The two-sided critical value: normal when ``df`` is ``None``, else t on ``df``.

    Examples
    --------
    >>> round(quantile(0.05, None), 4), round(quantile(0.05, 10), 4)
    (1.96, 2.2281)
    """
    from scipy import stats

    return float(stats.norm.ppf(1 - alpha / 2) if df is None else stats.t.ppf(1 - alpha / 2, df))


def p_value(z, df):
    """Two-sided p-value of ``z``: normal when ``df`` is ``None``, else t on ``df``."""
    from scipy import stats

    z = np.abs(np.asarray(z, dtype=float))
    return 2 * (stats.norm.sf(z) if df is None else stats.t.sf(z, df))


def inverse_link(eta, link: str):
    """Mean from the linear predictor."""
    eta = np.asarray(eta, dtype=float)
    if link == "log":
        return np.exp(eta)
    if link == "logit":
        return 1 / (1 + np.exp(-eta))
    return eta


def linear_se(X: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Standard error of each row of ``X @ params``."""
    return np.sqrt(np.einsum("ij,jk,ik->i", X, cov, X))


def predict(X, params, cov, q: float, *, link: str, multiplier: float = 1.0):
    """Mean with a pointwise interval for the design rows ``X``: the interval is taken on the
    model's scale and transformed (so rates stay positive and shares within 0 to 1), then
    multiplied by ``multiplier`` (rates per 1,000, shares in percent).

    Returns
    -------
    tuple of numpy.ndarray
        ``(mean, low, high)``.
    """
    eta = X @ params
    se = linear_se(X, cov)
    return tuple(
        inverse_link(value, link) * multiplier for value in (eta, eta - q * se, eta + q * se)
    )


def effect_at(x1, x0, params, cov, q: float, *, link: str, multiplier: float = 1.0) -> dict:
    """The effect at one period: with the rollout (design row ``x1``) against without (``x0``).

    The absolute and relative effects and their intervals come from one interval on the
    model's scale, for the change ``(x1 - x0) @ params`` (a log rate ratio, a log odds ratio,
    or a difference). The with-rollout value is held at its estimate and the counterfactual
    moves with the change, so both intervals always agree on whether they exclude no change.

    Examples
    --------
    >>> b, V = np.array([0.0, -0.5]), np.diag([0.01, 0.04])
    >>> e = effect_at(np.array([1.0, 1.0]), np.array([1.0, 0.0]), b, V, 1.96, link="log")
    >>> round(e["relative_effect"], 4), round(e["absolute_effect"], 4)
    (-0.3935, -0.3935)
    """
    d = x1 - x0
    change = float(d @ params)
    se = float(np.sqrt(d @ cov @ d))
    changes = np.array([change, change - q * se, change + q * se])
    eta1 = float(x1 @ params)
    fitted = float(inverse_link(eta1, link) * multiplier)
    counterfactuals = inverse_link(eta1 - changes, link) * multiplier
    absolute = fitted - counterfactuals
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = fitted / counterfactuals - 1
    if link == "identity" and not (counterfactuals.min() > 0 or counterfactuals.max() < 0):
        relative = np.full(3, np.nan)  # the counterfactual's interval reaches 0
    return {
        "fitted": fitted,
        "counterfactual": float(counterfactuals[0]),
        "absolute_effect": float(absolute[0]),
        "absolute_ci_low": float(min(absolute[1:])),
        "absolute_ci_high": float(max(absolute[1:])),
        "relative_effect": float(relative[0]),
        "relative_ci_low": float(np.min(relative[1:])),
        "relative_ci_high": float(np.max(relative[1:])),
    }


def cumulative(observed, X0, weights, params, cov, q: float, *, link: str) -> dict:
    """Observed against expected (counterfactual) totals over a window of periods.

    ``expected = sum(weights * inverse_link(X0 @ params))``: ``weights`` turn the model's mean
    into the outcome column's scale (the denominator for rates, the total for shares, 1
    otherwise). Its interval is taken on the log scale for log and logit links (delta method)
    and on the linear scale otherwise; the difference and the relative difference are both
    transformed from it, so they agree on whether they exclude no change.

    Examples
    --------
    >>> X0 = np.ones((3, 1)); b = np.array([np.log(10.0)]); V = np.array([[0.01]])
    >>> c = cumulative(np.array([8, 7, 9]), X0, np.ones(3), b, V, 1.96, link="log")
    >>> c["observed"], round(c["expected"], 6), round(c["difference"], 6)
    (24.0, 30.0, -6.0)
    """
    observed_total = float(np.sum(observed))
    mean = inverse_link(X0 @ params, link)
    parts = weights * mean
    expected = float(parts.sum())
    if link in ("log", "logit"):
        slope = parts if link == "log" else parts * (1 - mean)
        gradient = slope @ X0 / expected  # d log(expected) / d params
        se = float(np.sqrt(gradient @ cov @ gradient))
        bounds = expected * np.exp(np.array([-q, q]) * se)
    else:
        gradient = weights @ X0
        se = float(np.sqrt(gradient @ cov @ gradient))
        bounds = expected + np.array([-q, q]) * se
    positive = bool(bounds[0] > 0)
    nan = float("nan")
    return {
        "observed": observed_total,
        "expected": expected,
        "expected_ci": [float(bounds[0]), float(bounds[1])],
        "difference": observed_total - expected,
        "difference_ci": [observed_total - float(bounds[1]), observed_total - float(bounds[0])],
        "relative": observed_total / expected - 1 if positive else nan,
        "relative_ci": [
            observed_total / float(bounds[1]) - 1 if positive else nan,
            observed_total / float(bounds[0]) - 1 if positive else nan,
        ],
    }
