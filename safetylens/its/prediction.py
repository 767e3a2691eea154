"""Predictions from a fitted segmented regression, with delta-method intervals.

Everything here works on the model's scale (log rate for count models, the value itself for
``ols`` and ``arima``) and maps to the rate scale at the end, as statsmodels'
``get_prediction``. :class:`~safetylens.its.results.ITSResult` calls these functions; they
hold no state.
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


def linear_se(X: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Standard error of each row of ``X @ params``."""
    return np.sqrt(np.einsum("ij,jk,ik->i", X, cov, X))


def predict(X, params, cov, q: float, *, log_link: bool, multiplier: float = 1.0):
    """Mean on the rate scale with a pointwise interval, for the design rows ``X``.

    With a log link the interval is taken on the log scale and transformed (always positive).

    Returns
    -------
    tuple of numpy.ndarray
        ``(mean, low, high)``.
    """
    eta = X @ params
    se = linear_se(X, cov)
    if log_link:
        return (
            np.exp(eta) * multiplier,
            np.exp(eta - q * se) * multiplier,
            np.exp(eta + q * se) * multiplier,
        )
    return eta, eta - q * se, eta + q * se


def effect_at(x1, x0, params, cov, q: float, *, log_link: bool, multiplier: float = 1.0) -> dict:
    """The effect at one period: with the rollout (design row ``x1``) against without (``x0``).

    Absolute effects (on the rate scale) have delta-method intervals; relative effects of
    log-link models are exact on the log scale and transformed, those of identity-link models
    use the delta method.
    """
    d = x1 - x0
    eta1, eta0 = float(x1 @ params), float(x0 @ params)
    if log_link:
        fitted, counterfactual = float(np.exp(eta1) * multiplier), float(np.exp(eta0) * multiplier)
        grad_abs = multiplier * (np.exp(eta1) * x1 - np.exp(eta0) * x0)
        log_ratio, se_log = float(d @ params), float(np.sqrt(d @ cov @ d))
        relative = (
            float(np.exp(log_ratio) - 1),
            float(np.exp(log_ratio - q * se_log) - 1),
            float(np.exp(log_ratio + q * se_log) - 1),
        )
    else:
        fitted, counterfactual = eta1, eta0
        grad_abs = d
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = (fitted - counterfactual) / counterfactual
            grad_rel = d / eta0 - (eta1 - eta0) / eta0**2 * x0
            se_rel = float(np.sqrt(grad_rel @ cov @ grad_rel))
        relative = (rel, rel - q * se_rel, rel + q * se_rel)
    absolute = fitted - counterfactual
    se_abs = float(np.sqrt(grad_abs @ cov @ grad_abs))
    return {
        "fitted": fitted,
        "counterfactual": counterfactual,
        "absolute_effect": absolute,
        "absolute_ci_low": absolute - q * se_abs,
        "absolute_ci_high": absolute + q * se_abs,
        "relative_effect": relative[0],
        "relative_ci_low": relative[1],
        "relative_ci_high": relative[2],
    }
