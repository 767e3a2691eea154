"""Power of a planned (or past) interrupted time-series analysis, by simulation.

The pre-rollout periods are fitted (baseline level, trend and seasonality); series are then
simulated from that fit over the pre and post periods, with the mean multiplied by
``1 + effect`` from the rollout on: overdispersed counts (negative binomial with the
quasi-Poisson dispersion; Poisson when there is none) for counts, AR errors (REML) for values.
Each simulated series is analysed as ``safetylens its`` would, and the level change tested at
``alpha``. The power is the share of simulations that reject; the minimum detectable effect
(MDE) is the smallest relative level change with 80% power, found by bisection with the same
simulated noise at every effect (common random numbers), as Linden's Stata ``power itsa``
reports for segmented regression.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from safetylens.exceptions import DataValidationError
from safetylens.its.design import design_matrix, phases
from safetylens.its.series import PERIODS, SEASON_LENGTH, PeriodSeries

TARGET_POWER = 0.8
"""The power at which the minimum detectable effect is read."""


def _baseline(series: PeriodSeries, n_pre: int, index, settings: dict):
    """Design rows of every period for the baseline (no change terms) and the pre-period fit."""
    from safetylens.its import estimators

    full = design_matrix(
        index,
        len(index),
        period=series.period,
        impact="level",
        seasonality=settings["seasonality"],
        harmonics=settings["harmonics"],
    ).drop(columns="level_change")
    X = full.to_numpy(float)
    pre = series.data.iloc[:n_pre]
    if "total" in pre:
        fitted = estimators.fit_share(
            X[:n_pre], pre["count"].to_numpy(float), pre["total"].to_numpy(float), "quasibinomial"
        )
        return X, fitted, pre["total"].to_numpy(float)
    if series.outcome == "count":
        den = pre["denominator"].to_numpy(float) if "denominator" in pre else np.ones(n_pre)
        fitted = estimators.fit_glm(
            X[:n_pre], pre["count"].to_numpy(float), np.log(den), "quasipoisson"
        )
        return X, fitted, den
    fitted = estimators.fit_ar_reml(
        X[:n_pre],
        pre["value"].to_numpy(float),
        np.arange(n_pre),
        settings["ar"],
        0,
        SEASON_LENGTH[series.period],
    )
    return X, fitted, None


def _beta_binomial(uniforms, totals, p, dispersion):
    """Counts out of ``totals`` with variance ``dispersion * n p (1 - p)`` (beta-binomial;
    binomial when there is no overdispersion), by inversion of two arrays of ``uniforms``
    (the share of each period from a beta, then the count)."""
    from scipy import stats

    first, second = uniforms
    if dispersion <= 1.0001:
        return stats.binom.ppf(second, totals, p)
    rho = np.clip((dispersion - 1) / np.maximum(totals - 1, 1), 1e-6, 0.99)
    a = p * (1 / rho - 1)
    b = (1 - p) * (1 / rho - 1)
    return stats.binom.ppf(second, totals, stats.beta.ppf(first, a, b))


def _simulate_ar(rng, phi, sigma2, sims, n, burn=100):
    shocks = rng.normal(0, np.sqrt(sigma2), size=(sims, n + burn))
    out = np.zeros_like(shocks)
    for t in range(n + burn):
        out[:, t] = shocks[:, t]
        for i, p in enumerate(phi, start=1):
            if t - i >= 0:
                out[:, t] += p * out[:, t - i]
    return out[:, burn:]


def _level_change_p_values(Y, X, model: str, settings: dict, position: int, offset=None):
    """p-value of the level change in each simulated series (rows of ``Y``)."""
    from safetylens.its import estimators, prediction

    sims, n = Y.shape
    if model in ("binomial", "quasibinomial"):
        totals = offset  # for shares the companion of the outcome is the total
        beta = np.zeros((sims, X.shape[1]))
        share = np.clip(Y.sum(axis=1) / totals.sum(), 1e-3, 1 - 1e-3)
        beta[:, 0] = np.log(share / (1 - share))
        for _ in range(30):
            eta = beta @ X.T
            p = 1 / (1 + np.exp(-eta))
            w = totals * p * (1 - p)
            z = eta + (Y - totals * p) / w
            XtWX = np.einsum("sn,nk,nj->skj", w, X, X)
            new = np.linalg.solve(XtWX, np.einsum("sn,nk,sn->sk", w, X, z)[..., None])[..., 0]
            done = np.max(np.abs(new - beta)) < 1e-10
            beta = new
            if done:
                break
        p = 1 / (1 + np.exp(-(beta @ X.T)))
        w = totals * p * (1 - p)
        cov = np.linalg.inv(np.einsum("sn,nk,nj->skj", w, X, X))
        df = n - X.shape[1]
        quasi = model == "quasibinomial"
        scale = ((Y - totals * p) ** 2 / w).sum(axis=1) / df if quasi else 1.0
        se = np.sqrt(cov[:, position, position] * scale)
        return prediction.p_value(beta[:, position] / se, df if quasi else None)
    if model in ("poisson", "quasipoisson"):
        offset = np.zeros(n) if offset is None else offset
        beta = np.zeros((sims, X.shape[1]))
        beta[:, 0] = np.log(np.maximum(Y.mean(axis=1), 0.5)) - offset.mean()
        for _ in range(30):
            mu = np.exp(beta @ X.T + offset)
            z = beta @ X.T + (Y - mu) / mu
            XtWX = np.einsum("sn,nk,nj->skj", mu, X, X)
            XtWz = np.einsum("sn,nk,sn->sk", mu, X, z)
            new = np.linalg.solve(XtWX, XtWz[..., None])[..., 0]
            done = np.max(np.abs(new - beta)) < 1e-10
            beta = new
            if done:
                break
        mu = np.exp(beta @ X.T + offset)
        cov = np.linalg.inv(np.einsum("sn,nk,nj->skj", mu, X, X))
        df = n - X.shape[1]
        scale = ((Y - mu) ** 2 / mu).sum(axis=1) / df if model == "quasipoisson" else 1.0
        se = np.sqrt(cov[:, position, position] * scale)
        return prediction.p_value(beta[:, position] / se, df if model == "quasipoisson" else None)
    if model == "ols" and settings["se"] == "model":
        beta, *_ = np.linalg.lstsq(X, Y.T, rcond=None)
        resid = Y - (X @ beta).T
        df = n - X.shape[1]
        sigma2 = (resid**2).sum(axis=1) / df
        se = np.sqrt(sigma2 * np.linalg.inv(X.T @ X)[position, position])
        return prediction.p_value(beta[position] / se, df)
    out = np.empty(sims)
    positions = np.arange(n)
    for i, y in enumerate(Y):
        if model == "ols":
            fitted = estimators.fit_ols(X, y, settings["se"], settings["lags"], np.zeros(n, int))
        elif model == "arima":
            fitted = estimators.fit_ar_reml(X, y, positions, settings["ar"], 0, None)
        else:
            fitted = estimators.fit_glm(X, y, offset, model)
        se = np.sqrt(fitted.cov[position, position])
        out[i] = prediction.p_value(fitted.params[position] / se, fitted.p_df)
    return out


def power_analysis(
    series: PeriodSeries,
    *,
    rollout,
    effect: float,
    post: int | None = None,
    sims: int = 1000,
    seed: int = 0,
    spec=None,
) -> dict:
    """Simulated power for a relative level change ``effect`` (-0.2: a 20% fall) at the
    rollout, and the minimum detectable effect at 80% power.

    Parameters
    ----------
    series : PeriodSeries
        Only the periods before the rollout are used (the baseline to simulate from).
    rollout : str or date
        The (planned) rollout date.
    effect : float
        Relative change in level from the rollout on (above -1).
    post : int, optional
        Periods after the rollout to analyse; by default those in the data after the
        rollout, or as many as before it when the data end earlier.
    sims : int, default=1000
    seed : int, default=0
    spec : SegmentedRegression, optional
        The analysis to be run (model, seasonality, alpha, ...); by default the defaults.

    Returns
    -------
    dict
        ``power, mde, sims, alpha, effect, n_pre, n_post, model, type_one_error`` (the
        rejection rate at no change).

    Examples
    --------
    >>> s = PeriodSeries.from_arrays("2019-01", counts=[40, 44, 38, 41, 45, 39, 42, 43] * 3)
    >>> out = power_analysis(s, rollout="2021-01-01", effect=-0.3, post=24, sims=200)
    >>> out["power"] > 0.9, out["sims"]
    (True, 200)
    """
    from safetylens.its.regression import SegmentedRegression, _rollout_date

    spec = spec or SegmentedRegression()
    settings = spec._validated_settings(series)
    model = settings["model"]
    shares = "total" in series.data.columns
    if shares and model not in ("binomial", "quasibinomial"):
        raise DataValidationError("power for a share uses --model binomial or quasibinomial")
    if not isinstance(sims, int) or sims < 20:
        raise DataValidationError(f"--sims must be a whole number of at least 20; got {sims}")
    if not -1 < effect:
        raise DataValidationError(f"--effect is a relative change above -1; got {effect}")
    index = series.data.index
    rollout_period = pd.Period(_rollout_date(rollout), freq=PERIODS[series.period])
    n_pre = int((index < rollout_period).sum())
    if n_pre < 3:
        raise DataValidationError(
            f"only {n_pre} period(s) before the rollout; the baseline needs at least 3"
        )
    in_data = int((index >= rollout_period).sum())
    n_post = post if post is not None else (in_data or n_pre)
    if n_post < 3:
        raise DataValidationError(f"--post must be at least 3; got {n_post}")
    phase_in = settings["phase_in"]
    n = n_pre + phase_in + n_post
    full_index = pd.period_range(index[0], periods=n, freq=index.freq)
    X_base, fitted, den = _baseline(series, n_pre, full_index, settings)
    eta = X_base @ fitted.params
    rng = np.random.default_rng(seed)
    if shares:
        totals_all = np.r_[den, np.full(n - n_pre, den.mean())]
        known = series.data["total"].to_numpy(float)[: min(n, len(series.data))]
        totals_all[: len(known)] = known
        totals_all = np.round(totals_all)
        base_share = 1 / (1 + np.exp(-eta))
        dispersion = max(fitted.diagnostics["dispersion"], 1.0)
        uniforms = rng.random((2, sims, n))
        offset = totals_all
    elif series.outcome == "count":
        pre_den = den
        den_all = np.r_[pre_den, np.full(n - n_pre, pre_den.mean())]
        if "denominator" in series.data:
            known = series.data["denominator"].to_numpy(float)[: min(n, len(series.data))]
            den_all[: len(known)] = known
        mean = np.exp(eta) * den_all
        dispersion = max(fitted.diagnostics["dispersion"], 1.0)
        uniforms = rng.random((sims, n))
        offset = np.log(den_all)
    else:
        mean = eta
        phi = list(fitted.diagnostics["ar_coefficients"].values())
        noise = _simulate_ar(rng, phi, fitted.diagnostics["sigma2"], sims, n)
        offset = None
    design = design_matrix(
        full_index,
        n_pre + phase_in,
        period=series.period,
        impact=settings["impact"],
        seasonality=settings["seasonality"],
        harmonics=settings["harmonics"],
    )
    fit_rows = phases(n, n_pre, phase_in) != "phase_in"
    X = design.to_numpy(float)[fit_rows]
    columns = list(design.columns)
    position = columns.index("level_change" if "level_change" in columns else "slope_change")
    after = np.arange(n) >= n_pre

    def rejection(change: float) -> float:
        if shares:
            p = np.clip(base_share * np.where(after, 1 + change, 1.0), 1e-6, 1 - 1e-6)
            Y = _beta_binomial(uniforms, totals_all, p, dispersion)
            pv = _level_change_p_values(
                Y[:, fit_rows], X, model, settings, position, totals_all[fit_rows]
            )
            return float(np.mean(pv < settings["alpha"]))
        mu = mean * np.where(after, 1 + change, 1.0)
        if series.outcome == "count":
            from scipy import stats

            if dispersion > 1.0001:
                size = mu / (dispersion - 1)
                Y = stats.nbinom.ppf(uniforms, size, size / (size + mu))
            else:
                Y = stats.poisson.ppf(uniforms, mu)
        else:
            Y = mu + noise
        p = _level_change_p_values(
            Y[:, fit_rows],
            X,
            model,
            settings,
            position,
            None if offset is None else offset[fit_rows],
        )
        return float(np.mean(p < settings["alpha"]))

    power = rejection(effect)
    size = rejection(0.0)
    sign = -1.0 if effect <= 0 else 1.0
    low, high = 0.0, 0.95 if sign < 0 else 3.0
    mde = None
    if rejection(sign * high) >= TARGET_POWER:
        for _ in range(12):
            middle = (low + high) / 2
            if rejection(sign * middle) >= TARGET_POWER:
                high = middle
            else:
                low = middle
        mde = sign * high
    return {
        "power": power,
        "mde": mde,
        "sims": sims,
        "alpha": settings["alpha"],
        "effect": effect,
        "n_pre": n_pre,
        "n_phase_in": phase_in,
        "n_post": n_post,
        "model": model,
        "type_one_error": size,
        "seed": seed,
    }
