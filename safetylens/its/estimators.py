"""The numerical estimators behind segmented regression, one function per model family.

Each takes the stacked design ``X`` and outcome ``y`` and returns a :class:`Fit`; nothing here
knows about periods, rollouts or groups (that is :mod:`safetylens.its.regression`). The
estimators follow the software that ITS papers report, so that numbers agree with R and Stata:

* ``poisson`` / ``quasipoisson``: log-link GLM (IRLS) with ``log(denominator)`` as offset; the
  quasi-Poisson scale is Pearson's chi-squared over the residual df (R ``quasipoisson``).
  Intervals use the normal quantile (R ``confint.default``); quasi-Poisson p-values use t with
  the residual df, as R's ``summary.glm``.
* ``negbin``: theta estimated by maximum likelihood, alternating with the GLM fit as
  ``MASS::glm.nb`` does; standard errors with theta held fixed, as R reports them.
* ``ols``: model-based standard errors (t with n-k df), or Newey-West as Stata's ``newey``
  (Bartlett kernel, lag L, no prewhitening, small-sample factor n/(n-k), t with n-k df); in a
  controlled analysis the autocovariances are taken within each group.
* ``arima``: regression with AR(p) (and seasonal AR(P)) errors by exact maximum likelihood
  (R's ``arima`` with ``xreg``), phase-in periods being missing values that the AR errors run
  through; or the AR coefficients by restricted ML with GLS for the terms (R's
  ``nlme::gls(correlation = corARMA(p))``, t on n-k df).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from safetylens.exceptions import FitError
from safetylens.its.options import COUNT_MODELS


@dataclass
class Fit:
    """What every estimator hands back: estimates, covariance, residuals and caveats."""

    params: np.ndarray
    cov: np.ndarray
    residuals: np.ndarray
    ci_df: float | None
    p_df: float | None
    diagnostics: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    covariance: str = ""
    lb_model_df: int = 0
    exact: bool = False
    interval_cov: np.ndarray | None = None


NUMERICAL_ERRORS = (
    np.linalg.LinAlgError,
    ValueError,
    FloatingPointError,
    OverflowError,
    ZeroDivisionError,
)
"""Errors that numerical libraries raise on hopeless fits; turned into a one-line FitError."""


def check_design(X, columns, y, model, impact, unit_ids, phase) -> None:
    """Refuse fits that cannot work, with one line saying why."""
    n, k = X.shape
    if n <= k:
        raise FitError(
            f"{n} fitted periods are too few for {k} terms; use fewer seasonal terms or a "
            "longer series"
        )
    norms = np.linalg.norm(X, axis=0)
    scaled = X / np.where(norms > 0, norms, 1)
    rank = 0
    for j in range(k):
        new_rank = np.linalg.matrix_rank(scaled[:, : j + 1], tol=1e-9)
        if new_rank == rank:
            raise FitError(
                f"the design is singular: term '{columns[j]}' cannot be told apart from the "
                "terms before it (too few periods for the seasonal terms, or a constant "
                "covariate?)"
            )
        rank = new_rank
    if model in COUNT_MODELS:
        if not y.any():
            raise FitError("every count is 0; there is nothing to model")
        treated = unit_ids == 0
        for side, rows in (("before", phase == "pre"), ("after", phase == "post")):
            if impact != "slope" and not y[treated & rows].any():
                raise FitError(
                    f"there are no incidents {side} the rollout, so the rate ratio would be "
                    "0 or infinite; a count model cannot estimate it"
                )
    elif np.ptp(y) == 0:
        raise FitError("the outcome never changes; there is nothing to model")


def fit_glm(X, y, offset, model) -> Fit:
    import statsmodels.api as sm

    if model == "negbin":
        return _fit_negbin(X, y, offset)
    glm = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset)
    res = glm.fit(scale="X2" if model == "quasipoisson" else 1.0)
    _check_not_diverged(res, y)
    pearson = float(res.pearson_chi2)
    df_resid = float(res.df_resid)
    out = Fit(
        params=np.asarray(res.params),
        cov=np.asarray(res.cov_params()),
        residuals=np.asarray(res.resid_pearson),
        ci_df=None,
        p_df=df_resid if model == "quasipoisson" else None,
        diagnostics={"dispersion": pearson / df_resid, "converged": bool(res.converged)},
        covariance=(
            "quasi-Poisson: model-based, scaled by Pearson chi-squared / residual df"
            if model == "quasipoisson"
            else "Poisson: model-based (scale 1)"
        ),
    )
    if not res.converged:
        out.warnings.append("The GLM did not converge; treat the results with care.")
    if model == "poisson":
        from scipy import stats

        p_over = float(stats.chi2.sf(pearson, df_resid))
        if p_over < 0.05:
            out.warnings.append(
                f"Overdispersion: Pearson chi-squared / df = {pearson / df_resid:.3g} "
                f"(p = {p_over:.2g}); Poisson standard errors are too small. Use --model "
                "quasipoisson or negbin."
            )
    return out


def _theta_ml(y, mu) -> float:
    """Maximum-likelihood theta of a negative binomial with means ``mu`` (MASS::theta.ml)."""
    from scipy import optimize, special

    def negloglik(log_theta):
        theta = np.exp(log_theta)
        return -np.sum(
            special.gammaln(theta + y)
            - special.gammaln(theta)
            + theta * np.log(theta)
            - (theta + y) * np.log(theta + mu)
        )

    best = optimize.minimize_scalar(
        negloglik,
        bounds=(np.log(1e-4), np.log(1e8)),
        method="bounded",
        options={"xatol": 1e-12, "maxiter": 500},
    )
    return float(np.exp(best.x))


def _check_not_diverged(res, y) -> None:
    """Refuse a log-link fit whose fitted rate runs off to 0 somewhere (perfect prediction)."""
    if np.min(np.asarray(res.fittedvalues)) < 1e-8 * max(1.0, float(np.mean(y))):
        raise FitError(
            "the counts are too sparse for a count model: the fitted rate runs off to 0 "
            "(perfect prediction); use longer periods (--period quarter), fewer terms, or "
            "--model ols"
        )


def _fit_negbin(X, y, offset) -> Fit:
    import statsmodels.api as sm

    poisson = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
    _check_not_diverged(poisson, y)
    mu = np.asarray(poisson.fittedvalues)
    theta = _theta_ml(y, mu)
    converged = False
    for _ in range(100):
        res = sm.GLM(y, X, family=sm.families.NegativeBinomial(alpha=1 / theta), offset=offset).fit(
            scale=1.0
        )
        new_theta = _theta_ml(y, np.asarray(res.fittedvalues))
        if abs(np.log(new_theta) - np.log(theta)) < 1e-9:
            converged = True
            theta = new_theta
            break
        theta = new_theta
    res = sm.GLM(y, X, family=sm.families.NegativeBinomial(alpha=1 / theta), offset=offset).fit(
        scale=1.0
    )
    out = Fit(
        params=np.asarray(res.params),
        cov=np.asarray(res.cov_params()),
        residuals=np.asarray(res.resid_pearson),
        ci_df=None,
        p_df=None,
        diagnostics={
            "dispersion": float(res.pearson_chi2 / res.df_resid),
            "theta": theta,
            "converged": bool(converged and res.converged),
        },
        covariance="negative binomial: model-based with theta held at its ML estimate",
    )
    if theta > 1e6:
        out.warnings.append(
            "No overdispersion found: theta is unbounded and the negative binomial reduces "
            "to Poisson."
        )
    if not converged:
        out.warnings.append("The estimate of theta did not converge; treat the results with care.")
    return out


def newey_west_cov(X, residuals, lags: int, units=None) -> np.ndarray:
    """Newey-West covariance as Stata's ``newey``: Bartlett kernel, factor n/(n-k).

    Autocovariances are summed within each unit (rows of a unit in time order).

    Examples
    --------
    >>> X = np.column_stack([np.ones(6), np.arange(6.0)])
    >>> e = np.array([0.5, -0.2, 0.1, -0.4, 0.3, -0.3])
    >>> np.round(np.sqrt(np.diag(newey_west_cov(X, e, 1))), 4).tolist()
    [0.2922, 0.09]
    """
    n, k = X.shape
    units = np.zeros(n, dtype=int) if units is None else np.asarray(units)
    meat = np.zeros((k, k))
    for unit in np.unique(units):
        scores = X[units == unit] * residuals[units == unit, None]
        meat += scores.T @ scores
        for lag in range(1, lags + 1):
            weight = 1 - lag / (lags + 1)
            gamma = scores[lag:].T @ scores[:-lag]
            meat += weight * (gamma + gamma.T)
    bread = np.linalg.inv(X.T @ X)
    return bread @ meat @ bread * n / (n - k)


def fit_ols(X, y, se, lags, unit_ids) -> Fit:
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    residuals = y - X @ beta
    n, k = X.shape
    if se == "newey-west":
        cov = newey_west_cov(X, residuals, lags, unit_ids)
        within = " within each group" if unit_ids.max() > 0 else ""
        covariance = (
            f"Newey-West (Bartlett kernel, lag {lags}{within}, factor n/(n-k), t with {n - k} df)"
        )
    else:
        sigma2 = residuals @ residuals / (n - k)
        cov = sigma2 * np.linalg.inv(X.T @ X)
        covariance = f"OLS: model-based (t with {n - k} df)"
    out = Fit(
        beta,
        cov,
        residuals,
        ci_df=n - k,
        p_df=n - k,
        covariance=covariance,
        exact=np.allclose(residuals, 0, atol=1e-10 * max(1.0, float(np.abs(y).max()))),
    )
    if out.exact:
        out.warnings.append(
            "The model fits the data exactly: standard errors are 0 and intervals are not "
            "meaningful."
        )
    return out


def fit_arima_ml(X, y, ar, seasonal_ar, season_length) -> Fit:
    """Regression with AR errors by exact ML; y is rescaled for a well-conditioned optimum."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    scale = float(np.nanstd(y))
    seasonal = (seasonal_ar, 0, 0, season_length) if seasonal_ar else (0, 0, 0, 0)
    model = SARIMAX(y / scale, exog=X, order=(ar, 0, 0), seasonal_order=seasonal, trend="n")
    res = model.fit(disp=False, cov_type="approx", maxiter=1000)
    if not res.mle_retvals.get("converged", False):
        rough = model.fit(disp=False, cov_type="none", method="nm", maxiter=5000)
        res = model.fit(disp=False, cov_type="approx", maxiter=1000, start_params=rough.params)
    k = X.shape[1]
    names = list(model.param_names)
    params = np.asarray(res.params)
    cov = np.asarray(res.cov_params())
    ar_coefficients = {}
    for i, name in enumerate(names[k:], start=k):
        if name.startswith("ar.S.L"):
            ar_coefficients[f"sar{int(name[6:]) // season_length}"] = float(params[i])
        elif name.startswith("ar.L"):
            ar_coefficients[f"ar{name[4:]}"] = float(params[i])
    residuals = np.asarray(res.resid)[~np.isnan(y)] * scale
    out = Fit(
        params=params[:k] * scale,
        cov=cov[:k, :k] * scale**2,
        residuals=residuals,
        ci_df=None,
        p_df=None,
        diagnostics={
            "ar_coefficients": ar_coefficients,
            "sigma2": float(params[names.index("sigma2")]) * scale**2,
            "converged": bool(res.mle_retvals.get("converged", False)),
        },
        covariance="exact ML (Kalman filter); standard errors from the numerical Hessian",
        lb_model_df=ar + seasonal_ar,
    )
    if not out.diagnostics["converged"]:
        out.warnings.append("The ARIMA likelihood did not converge; treat the results with care.")
    return out


def _ar_polynomial(ar_params, sar_params, season_length) -> np.ndarray:
    """Lag polynomial (1, -phi_1, ...) of AR(p) times seasonal AR(P)."""
    regular = np.r_[1.0, -np.asarray(ar_params, dtype=float)]
    seasonal = np.zeros(season_length * len(sar_params) + 1)
    seasonal[0] = 1.0
    seasonal[season_length * np.arange(1, len(sar_params) + 1)] = -np.asarray(sar_params)
    return np.convolve(regular, seasonal)


def fit_ar_reml(X, y, positions, ar, seasonal_ar, season_length) -> Fit:
    """GLS with AR(p) x seasonal AR(P) errors, AR coefficients by REML (nlme::gls style)."""
    from scipy import optimize
    from statsmodels.tsa.arima_process import arma_acovf
    from statsmodels.tsa.statespace.tools import constrain_stationary_univariate

    n, k = X.shape
    lags = np.abs(positions[:, None] - positions[None, :])
    span = int(positions.max()) + 1

    def coefficients(free):
        regular = constrain_stationary_univariate(free[:ar]) if ar else np.array([])
        seasonal = constrain_stationary_univariate(free[ar:]) if seasonal_ar else np.array([])
        return regular, seasonal

    def whiten(free):
        polynomial = _ar_polynomial(*coefficients(free), season_length or 1)
        acov = arma_acovf(polynomial, np.array([1.0]), nobs=span)
        chol = np.linalg.cholesky(acov[lags])
        return chol, np.linalg.solve(chol, X), np.linalg.solve(chol, y)

    def restricted_deviance(free):
        chol, Xw, yw = whiten(free)
        beta = np.linalg.lstsq(Xw, yw, rcond=None)[0]
        ssr = float(np.sum((yw - Xw @ beta) ** 2))
        return (
            (n - k) * np.log(ssr / (n - k))
            + 2 * np.sum(np.log(np.diag(chol)))
            + np.linalg.slogdet(Xw.T @ Xw)[1]
        )

    ols_resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    exact = np.allclose(ols_resid, 0, atol=1e-10 * max(1.0, float(np.abs(y).max())))
    free = np.zeros(ar + seasonal_ar)
    converged = True
    if free.size and not exact:
        best = optimize.minimize(
            restricted_deviance,
            free,
            method="Nelder-Mead",
            options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 4000},
        )
        free, converged = best.x, bool(best.success)
    _, Xw, yw = whiten(free)
    beta = np.linalg.lstsq(Xw, yw, rcond=None)[0]
    innovations = yw - Xw @ beta
    sigma2 = float(innovations @ innovations) / (n - k)
    regular, seasonal = coefficients(free)
    out = Fit(
        params=beta,
        cov=sigma2 * np.linalg.inv(Xw.T @ Xw),
        residuals=innovations,
        ci_df=n - k,
        p_df=n - k,
        diagnostics={
            "ar_coefficients": {
                **{f"ar{i}": float(v) for i, v in enumerate(regular, start=1)},
                **{f"sar{i}": float(v) for i, v in enumerate(seasonal, start=1)},
            },
            "sigma2": sigma2,
            "converged": converged,
        },
        covariance=(
            f"GLS with AR errors, AR coefficients by REML (as nlme::gls); t with {n - k} df"
        ),
        lb_model_df=ar + seasonal_ar,
        exact=exact,
    )
    if exact:
        out.warnings.append(
            "The model fits the data exactly: standard errors are 0 and intervals are not "
            "meaningful."
        )
    if not converged:
        out.warnings.append(
            "The REML fit of the AR terms did not converge; treat the results with care."
        )
    return out


def residual_diagnostics(fitted: Fit, model: str, n_units: int, rows_per_unit: int) -> dict:
    from statsmodels.stats.diagnostic import acorr_ljungbox
    from statsmodels.stats.stattools import durbin_watson

    residuals = fitted.residuals[:rows_per_unit] if model != "arima" else fitted.residuals
    lags = max(min(10, len(residuals) // 5), fitted.lb_model_df + 1)
    diagnostics = {"covariance": fitted.covariance, "n_obs": int(rows_per_unit * n_units)}
    if not fitted.exact and np.ptp(residuals) > 0 and len(residuals) > lags:
        lb = acorr_ljungbox(residuals, lags=[lags], model_df=fitted.lb_model_df)
        diagnostics["ljung_box_lags"] = lags
        diagnostics["ljung_box_statistic"] = float(lb["lb_stat"].iloc[0])
        diagnostics["ljung_box_p_value"] = float(lb["lb_pvalue"].iloc[0])
        diagnostics["durbin_watson"] = float(durbin_watson(residuals))
    diagnostics.update(fitted.diagnostics)
    return diagnostics


def autocorrelation_warning(model: str, se: str, diagnostics: dict) -> list[str]:
    p = diagnostics.get("ljung_box_p_value")
    if p is None or p >= 0.05:
        return []
    test = f"Ljung-Box p = {p:.2g} at {diagnostics['ljung_box_lags']} lags"
    if model == "arima":
        return [
            f"Autocorrelation remains in the residuals after the AR terms ({test}); "
            "consider a higher --ar or --seasonal-ar."
        ]
    if model == "ols" and se == "newey-west":
        return []
    return [
        f"The residuals are autocorrelated ({test}) and this model ignores it: "
        "standard errors may be too small. Consider --model arima, or --model ols "
        "--se newey-west."
    ]
