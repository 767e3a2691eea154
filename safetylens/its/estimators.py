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
from safetylens.its.options import COUNT_MODELS, SHARE_MODELS


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
    residual_design: np.ndarray | None = None  # residuals ~ (I - H) e for this design
    ar_lags: tuple = ()  # AR lags fitted to the errors (their fit also shrinks the residuals)
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


def check_design(X, columns, y, model, impact, unit_ids, phase, totals=None) -> None:
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
    elif model in SHARE_MODELS:
        if not y.any() or np.all(y == totals):
            share = "0%" if not y.any() else "100%"
            raise FitError(f"the share is {share} in every period; there is nothing to model")
    elif np.ptp(y) == 0:
        raise FitError("the outcome never changes; there is nothing to model")


def fit_share(X, y, totals, model) -> Fit:
    """Logit-link binomial GLM of ``y`` out of ``totals`` (R ``glm(cbind(y, n - y) ~ ...)``);
    quasi-binomial scales by Pearson chi-squared over the residual df, p-values with t."""
    import statsmodels.api as sm

    quasi = model == "quasibinomial"
    glm = sm.GLM(np.column_stack([y, totals - y]), X, family=sm.families.Binomial())
    res = glm.fit(scale=1.0, tol=1e-12)
    fitted = np.asarray(res.fittedvalues)
    if fitted.min() < 1e-9 or fitted.max() > 1 - 1e-9:
        raise FitError(
            "the share runs off to 0% or 100% (perfect prediction); use longer periods, "
            "fewer terms, or --model ols"
        )
    pearson, df_resid = float(res.pearson_chi2), float(res.df_resid)
    # statsmodels' own "X2" scale is taken on the proportions for two-column endog: the
    # quasi-binomial scale is applied here as R does, Pearson chi-squared / residual df.
    scale = pearson / df_resid if quasi else 1.0
    out = Fit(
        params=np.asarray(res.params),
        cov=np.asarray(res.cov_params()) * scale,
        residuals=np.asarray(res.resid_pearson),
        residual_design=np.sqrt(totals * fitted * (1 - fitted))[:, None] * X,
        ci_df=None,
        p_df=df_resid if quasi else None,
        diagnostics={"dispersion": pearson / df_resid, "converged": bool(res.converged)},
        covariance=(
            "quasi-binomial: model-based, scaled by Pearson chi-squared / residual df"
            if quasi
            else "binomial: model-based (scale 1)"
        ),
    )
    if not res.converged:
        out.warnings.append("The GLM did not converge; treat the results with care.")
    if not quasi:
        from scipy import stats

        p_over = float(stats.chi2.sf(pearson, df_resid))
        if p_over < 0.05:
            out.warnings.append(
                f"Overdispersion: Pearson chi-squared / df = {pearson / df_resid:.3g} "
                f"(p = {p_over:.2g}); binomial standard errors are too small. Use --model "
                "quasibinomial."
            )
    return out


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
        residual_design=np.sqrt(np.asarray(res.fittedvalues))[:, None] * X,
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
        # Converged when theta settles, or when it runs off towards the Poisson limit (no
        # overdispersion: the fit no longer changes, reported by its own warning below).
        if abs(np.log(new_theta) - np.log(theta)) < 1e-8 or min(theta, new_theta) > 1e6:
            converged = True
            theta = new_theta
            break
        theta = new_theta
    res = sm.GLM(y, X, family=sm.families.NegativeBinomial(alpha=1 / theta), offset=offset).fit(
        scale=1.0
    )
    mu = np.asarray(res.fittedvalues)
    out = Fit(
        params=np.asarray(res.params),
        cov=np.asarray(res.cov_params()),
        residuals=np.asarray(res.resid_pearson),
        residual_design=np.sqrt(mu / (1 + mu / theta))[:, None] * X,
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
        residual_design=X,
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


def _ar_polynomial(ar_params, sar_params, season_length) -> np.ndarray:
    """Lag polynomial (1, -phi_1, ...) of AR(p) times seasonal AR(P)."""
    regular = np.r_[1.0, -np.asarray(ar_params, dtype=float)]
    seasonal = np.zeros(season_length * len(sar_params) + 1)
    seasonal[0] = 1.0
    seasonal[season_length * np.arange(1, len(sar_params) + 1)] = -np.asarray(sar_params)
    return np.convolve(regular, seasonal)


class _ARProfile:
    """The Gaussian likelihood of a regression with AR(p) x seasonal AR(P) errors, observed at
    ``positions`` (periods left out, such as a phase-in, are missing values the errors run
    through), with the terms and the innovation variance profiled out by GLS.

    This is the exact likelihood R's ``arima`` evaluates with its Kalman filter (stationary
    start), and with ``restricted=True`` the REML criterion of ``nlme::gls``.
    """

    def __init__(self, X, y, positions, ar, seasonal_ar, season_length):
        from statsmodels.tsa.arima_process import arma_acovf

        self._acovf = arma_acovf
        self.X, self.y = np.asarray(X, float), np.asarray(y, float)
        self.ar, self.seasonal_ar = ar, seasonal_ar
        self.season_length = season_length or 1
        positions = np.asarray(positions)
        self.order = ar + self.season_length * seasonal_ar if seasonal_ar else ar
        # Consecutive periods: whiten by filtering (O(n)); with gaps (a phase-in), use the
        # covariance of the observed periods.
        self.contiguous = bool(np.all(np.diff(positions) == 1)) and len(positions) > self.order
        self.lags = None if self.contiguous else np.abs(positions[:, None] - positions[None, :])
        self.span = int(positions.max()) + 1

    @property
    def n_ar(self) -> int:
        return self.ar + self.seasonal_ar

    @property
    def ar_lags(self) -> tuple:
        """The lags of the AR terms (regular 1..p, seasonal s, 2s, ...)."""
        regular = tuple(range(1, self.ar + 1))
        return regular + tuple(self.season_length * j for j in range(1, self.seasonal_ar + 1))

    def coefficients(self, free) -> np.ndarray:
        """AR coefficients (regular, then seasonal) from unconstrained values (stationary)."""
        from statsmodels.tsa.statespace.tools import constrain_stationary_univariate

        free = np.asarray(free, float)
        regular = constrain_stationary_univariate(free[: self.ar]) if self.ar else []
        seasonal = constrain_stationary_univariate(free[self.ar :]) if self.seasonal_ar else []
        return np.r_[regular, seasonal]

    def whiten(self, phi):
        """The diagonal of the Cholesky factor of the error covariance (innovation variance 1)
        and the whitened X and y (whitened values are the standardised one-step errors)."""
        polynomial = _ar_polynomial(phi[: self.ar], phi[self.ar :], self.season_length)
        if self.contiguous:
            from scipy.signal import lfilter

            q = self.order
            acov = self._acovf(polynomial, np.array([1.0]), nobs=max(q, 1))
            Z = np.column_stack([self.X, self.y])
            head = np.zeros((0, Z.shape[1]))
            diag = np.ones(len(Z) - q)
            if q:
                from scipy.linalg import toeplitz

                chol = np.linalg.cholesky(toeplitz(acov[:q]))
                head = np.linalg.solve(chol, Z[:q])
                diag = np.r_[np.diag(chol), diag]
            tail = lfilter(polynomial, [1.0], Z, axis=0)[q:]
            W = np.vstack([head, tail])
            return diag, W[:, :-1], W[:, -1]
        acov = self._acovf(polynomial, np.array([1.0]), nobs=self.span)
        chol = np.linalg.cholesky(acov[self.lags])
        W = np.linalg.solve(chol, np.column_stack([self.X, self.y]))
        return np.diag(chol), W[:, :-1], W[:, -1]

    def deviance(self, phi, restricted: bool, beta=None) -> float:
        """-2 log-likelihood (ML) or the REML criterion, up to a constant."""
        try:
            diag, Xw, yw = self.whiten(phi)
        except (np.linalg.LinAlgError, ValueError):  # not stationary
            return float("inf")
        if beta is None:
            beta = np.linalg.lstsq(Xw, yw, rcond=None)[0]
        n, k = self.X.shape
        ssr = float(np.sum((yw - Xw @ beta) ** 2))
        logdet = 2 * np.sum(np.log(diag))
        if restricted:
            return (n - k) * np.log(ssr / (n - k)) + logdet + np.linalg.slogdet(Xw.T @ Xw)[1]
        return n * np.log(ssr / n) + logdet

    def maximise(self, restricted: bool):
        """The optimum over the AR coefficients, and whether it is a true one.

        A coarse grid over the partial autocorrelations gives the starting points; from the
        best two a simplex search runs to tight tolerances. The result counts as converged only
        when the gradient there is (numerically) zero and no grid point is better.
        """
        from itertools import product

        from scipy import optimize

        if self.n_ar == 0:
            return np.zeros(0), True

        def objective(free):
            return self.deviance(self.coefficients(free), restricted)

        # The grid is over partial autocorrelations r; statsmodels' transform takes the free
        # value x to r = x / sqrt(1 + x^2), so x = r / sqrt(1 - r^2).
        pacf = np.linspace(-0.9, 0.9, 7 if self.n_ar <= 2 else 5)
        ticks = pacf / np.sqrt(1 - pacf**2)
        grid = [np.array(point) for point in product(ticks, repeat=self.n_ar)]
        values = np.array([objective(g) for g in grid])
        best_free, best_value = None, float("inf")
        for start in [grid[i] for i in np.argsort(values)[:2]]:
            simplex = np.vstack([start, start + 0.1 * np.eye(self.n_ar)])
            found = optimize.minimize(
                objective,
                start,
                method="Nelder-Mead",
                options={
                    "xatol": 1e-9,
                    "fatol": 1e-11,
                    "maxiter": 20000,
                    "maxfev": 20000,
                    "initial_simplex": simplex,
                },
            )
            if found.fun < best_value:
                best_free, best_value = found.x, float(found.fun)
        phi = self.coefficients(best_free)
        gradient = self._gradient(lambda f: self.deviance(f, restricted), phi)
        converged = bool(
            np.all(np.abs(gradient) < 1e-3)
            and best_value <= values.min() + 1e-8
            and np.all(np.abs(phi) < 1)
        )
        return phi, converged

    @staticmethod
    def _gradient(function, x, step=1e-5) -> np.ndarray:
        out = np.zeros(len(x))
        for i in range(len(x)):
            e = np.zeros(len(x))
            e[i] = step
            out[i] = (function(x + e) - function(x - e)) / (2 * step)
        return out

    def gls(self, phi):
        """GLS estimates at the AR coefficients ``phi``: beta, whitened X and innovations."""
        _, Xw, yw = self.whiten(phi)
        beta = np.linalg.lstsq(Xw, yw, rcond=None)[0]
        return beta, Xw, yw - Xw @ beta

    def ml_covariance(self, phi, beta) -> np.ndarray:
        """Inverse Hessian of -log L over (AR coefficients, terms) at the ML optimum, the
        covariance R's ``arima`` reports (sigma2 profiled out).

        The terms' block is analytic (X'V^-1 X / sigma2); the cross block differentiates the
        whitened score and the AR block the likelihood, by central differences.
        """
        n = len(self.y)
        _, Xw, e = self.gls(phi)
        sigma2 = float(e @ e) / n
        m = self.n_ar
        k = self.X.shape[1]
        H = np.zeros((m + k, m + k))
        H[m:, m:] = Xw.T @ Xw / sigma2
        step = 1e-4

        def half_deviance(x):
            return 0.5 * self.deviance(x, restricted=False, beta=beta)

        def score(x):
            _, Xw_, yw_ = self.whiten(x)
            return Xw_.T @ (yw_ - Xw_ @ beta)

        for i in range(m):
            ei = np.zeros(m)
            ei[i] = step
            H[i, m:] = H[m:, i] = -(score(phi + ei) - score(phi - ei)) / (2 * step) / sigma2
            for j in range(i, m):
                ej = np.zeros(m)
                ej[j] = step
                value = (
                    half_deviance(phi + ei + ej)
                    - half_deviance(phi + ei - ej)
                    - half_deviance(phi - ei + ej)
                    + half_deviance(phi - ei - ej)
                ) / (4 * step**2)
                H[i, j] = H[j, i] = value
        return np.linalg.inv(H)


def _ar_names(ar: int, seasonal_ar: int) -> list[str]:
    return [f"ar{i}" for i in range(1, ar + 1)] + [f"sar{i}" for i in range(1, seasonal_ar + 1)]


def _exact(X, y) -> bool:
    ols_resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    return bool(np.allclose(ols_resid, 0, atol=1e-10 * max(1.0, float(np.abs(y).max()))))


_EXACT_WARNING = (
    "The model fits the data exactly: standard errors are 0 and intervals are not meaningful."
)


def fit_arima_ml(X, y, positions, ar, seasonal_ar, season_length) -> Fit:
    """Regression with AR errors by exact maximum likelihood, as R's ``arima`` with ``xreg``.

    The AR coefficients are found by profiling: for each value, GLS gives the terms and the
    innovation variance in closed form, so the optimiser searches only over the AR
    coefficients (1 to 3 numbers) and reaches the optimum. Standard errors come from the
    Hessian over all coefficients; ``converged`` is true only when the gradient is zero and a
    grid over the AR coefficients finds nothing better.
    """
    profile = _ARProfile(X, y, positions, ar, seasonal_ar, season_length)
    exact = _exact(profile.X, profile.y)
    n, k = profile.X.shape
    if exact:
        phi, converged = np.zeros(profile.n_ar), True
    else:
        phi, converged = profile.maximise(restricted=False)
    beta, Xw, innovations = profile.gls(phi)
    sigma2 = float(innovations @ innovations) / n
    if exact:
        cov = np.zeros((k, k))
        ar_se = np.zeros(profile.n_ar)
    else:
        full = profile.ml_covariance(phi, beta)
        m = profile.n_ar
        cov = full[m:, m:]
        ar_se = np.sqrt(np.clip(np.diag(full[:m, :m]), 0, None))
    names = _ar_names(ar, seasonal_ar)
    deviance = profile.deviance(phi, restricted=False) if not exact else float("nan")
    out = Fit(
        params=beta,
        cov=cov,
        residuals=innovations,
        residual_design=Xw,
        ar_lags=profile.ar_lags,
        ci_df=None,
        p_df=None,
        diagnostics={
            "ar_coefficients": dict(zip(names, map(float, phi), strict=True)),
            "ar_standard_errors": dict(zip(names, map(float, ar_se), strict=True)),
            "sigma2": sigma2,
            "log_likelihood": -0.5 * (deviance + n + n * np.log(2 * np.pi)),
            "converged": converged,
        },
        covariance="exact maximum likelihood (as R's arima); standard errors from the Hessian",
        lb_model_df=ar + seasonal_ar,
        exact=exact,
    )
    if exact:
        out.warnings.append(_EXACT_WARNING)
    elif not converged:
        out.warnings.append(
            "The ARIMA likelihood did not reach a clear optimum (the gradient is not zero, or "
            "another AR value fits better); treat the results with care."
        )
    return out


def fit_ar_reml(X, y, positions, ar, seasonal_ar, season_length) -> Fit:
    """GLS with AR(p) x seasonal AR(P) errors, AR coefficients by REML (nlme::gls style)."""
    profile = _ARProfile(X, y, positions, ar, seasonal_ar, season_length)
    n, k = profile.X.shape
    exact = _exact(profile.X, profile.y)
    if exact:
        phi, converged = np.zeros(profile.n_ar), True
    else:
        phi, converged = profile.maximise(restricted=True)
    beta, Xw, innovations = profile.gls(phi)
    sigma2 = float(innovations @ innovations) / (n - k)
    out = Fit(
        params=beta,
        cov=sigma2 * np.linalg.inv(Xw.T @ Xw),
        residuals=innovations,
        residual_design=Xw,
        ar_lags=profile.ar_lags,
        ci_df=n - k,
        p_df=n - k,
        diagnostics={
            "ar_coefficients": dict(zip(_ar_names(ar, seasonal_ar), map(float, phi), strict=True)),
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
        out.warnings.append(_EXACT_WARNING)
    elif not converged:
        out.warnings.append(
            "The REML fit of the AR terms did not reach a clear optimum; treat the results with "
            "care."
        )
    return out


LJUNG_BOX_DRAWS = 999
"""Simulated series behind each Ljung-Box p-value."""


def _ljung_box_statistics(R: np.ndarray, lags: int) -> np.ndarray:
    """Ljung-Box Q of each row of ``R`` (demeaned, as statsmodels' acorr_ljungbox)."""
    R = np.atleast_2d(R)
    centred = R - R.mean(axis=1, keepdims=True)
    n = R.shape[1]
    denominator = np.sum(centred**2, axis=1)
    q = np.zeros(R.shape[0])
    for k in range(1, lags + 1):
        r_k = np.sum(centred[:, k:] * centred[:, :-k], axis=1) / denominator
        q += r_k**2 / (n - k)
    return n * (n + 2) * q


def _ljung_box_null(design, rows: int, lags: int, ar_lags: tuple) -> np.ndarray:
    """Ljung-Box statistics of residuals simulated under the fitted model with independent
    errors: ``(I - H) e`` for the (weighted or whitened) design, less the fit of the AR lags.

    The chi-squared reference of the Ljung-Box test ignores that regression residuals are
    correlated by the fit itself; in 12+12 or 24+24 periods it then fires in 12-17% of
    well-specified series instead of 5%. This null keeps the nominal rate. The draws use a
    fixed seed, so a result is reproducible.
    """
    rng = np.random.default_rng(20261204)
    q, _ = np.linalg.qr(design)
    E = rng.standard_normal((LJUNG_BOX_DRAWS, design.shape[0]))
    R = (E - (E @ q) @ q.T)[:, :rows]
    if ar_lags:
        longest = max(ar_lags)
        if rows - longest <= len(ar_lags) + 2:
            return _ljung_box_statistics(R, lags)
        out = np.empty((R.shape[0], rows - longest))
        for i, r in enumerate(R):
            Z = np.column_stack([r[longest - lag : rows - lag] for lag in ar_lags])
            target = r[longest:]
            out[i] = target - Z @ np.linalg.lstsq(Z, target, rcond=None)[0]
        R = out
    return _ljung_box_statistics(R, lags)


def residual_diagnostics(fitted: Fit, model: str, n_units: int, rows_per_unit: int) -> dict:
    """Ljung-Box (p-value by simulation under the fitted model, see
    :func:`_ljung_box_null`) and Durbin-Watson on the residuals of the series under study."""
    from statsmodels.stats.stattools import durbin_watson

    residuals = fitted.residuals[:rows_per_unit]
    lags = max(min(10, len(residuals) // 5), fitted.lb_model_df + 1)
    diagnostics = {"covariance": fitted.covariance, "n_obs": int(rows_per_unit * n_units)}
    if not fitted.exact and np.ptp(residuals) > 0 and len(residuals) > lags + 1:
        statistic = float(_ljung_box_statistics(residuals, lags)[0])
        if fitted.residual_design is not None:
            null = _ljung_box_null(fitted.residual_design, rows_per_unit, lags, fitted.ar_lags)
            p_value = (1 + np.sum(null >= statistic)) / (1 + len(null))
        else:
            from scipy import stats

            p_value = stats.chi2.sf(statistic, lags - fitted.lb_model_df)
        diagnostics["ljung_box_lags"] = lags
        diagnostics["ljung_box_statistic"] = statistic
        diagnostics["ljung_box_p_value"] = float(p_value)
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
