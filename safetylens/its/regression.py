"""Segmented regression for interrupted time series: the model spec and how it is fitted.

:class:`SegmentedRegression` holds the settings; :meth:`SegmentedRegression.fit` returns an
immutable :class:`~safetylens.its.results.ITSResult`. The estimators follow the software
that ITS papers report, so that numbers agree with R and Stata:

* ``poisson`` / ``quasipoisson``: log-link GLM (IRLS) with ``log(denominator)`` as offset; the
  quasi-Poisson scale is Pearson's chi-squared over the residual df (R ``quasipoisson``);
  Wald intervals with the normal quantile (R ``confint.default``); quasi-Poisson p-values use
  t with the residual df, as R's ``summary.glm``.
* ``negbin``: theta estimated by maximum likelihood, alternating with the GLM fit as
  ``MASS::glm.nb`` does; standard errors with theta held fixed, as R reports them.
* ``ols``: model-based standard errors, or Newey-West as Stata's ``newey`` (Bartlett kernel,
  lag L, no prewhitening, small-sample factor n/(n-k), t with n-k df); in a controlled
  analysis the autocovariances are taken within each group.
* ``arima``: regression with AR(p) (and seasonal AR(P)) errors by exact maximum likelihood
  (Kalman filter, intercept in the regression, standard errors from the numerical Hessian: R's
  ``arima`` with ``xreg``), phase-in periods being missing values that the AR errors run
  through. In short series ML underestimates the autocorrelation and its 95% Wald intervals
  cover the truth less than 90% of the time (about 86% with AR(1) 0.3-0.6 and 24 periods a
  side), so by default intervals and p-values use the restricted-ML (REML) covariance of R's
  ``nlme::gls(correlation = corARMA(p))`` with t on n-k df (about 93%); the estimates and
  standard errors stay R's. ``arima_intervals="wald"`` gives R's intervals exactly;
  ``arima_method="reml"`` the whole GLS fit.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from safetylens._dates import parse_date
from safetylens.exceptions import DataValidationError, FitError, ModelWarning, SafetylensError
from safetylens.its.controlled import CONTROLLED_TERMS, controlled_design
from safetylens.its.design import IMPACTS, SEASONALITIES, design_matrix, phases
from safetylens.its.series import PERIODS, SEASON_LENGTH, PeriodSeries

MODELS = ("quasipoisson", "poisson", "negbin", "ols", "arima")
"""Model names accepted by ``model``."""

COUNT_MODELS = ("quasipoisson", "poisson", "negbin")
"""Log-link count models (results include rate ratios)."""

MIN_PERIODS = 3
"""Fewer periods than this on either side of the rollout: refused."""

FEW_PERIODS = 8
"""Fewer periods than this on either side: a warning."""


@dataclass
class _Fit:
    """What every estimator hands back (internal)."""

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


def _param_error(name: str, requirement: str, value) -> DataValidationError:
    return DataValidationError(
        f"The '{name}' parameter of SegmentedRegression must be {requirement}. "
        f"Got {value!r} instead."
    )


def _check_int(name: str, value, low: int) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise _param_error(name, f"an int of at least {low}", value)


class SegmentedRegression:
    """Segmented regression for an interrupted time series.

    ``__init__`` only stores the settings; everything is checked in :meth:`fit`.

    Parameters
    ----------
    model : {"quasipoisson", "poisson", "negbin", "ols", "arima"}, optional
        Default: ``"quasipoisson"`` for counts, ``"ols"`` for values.
    impact : {"level", "slope", "both"}, default="both"
        Which change terms the model has; choose before looking at the data.
    seasonality : {"none", "fourier", "month"}, default="none"
        Fourier pairs, or month (quarter) indicators.
    harmonics : int, default=2
        Fourier pairs when ``seasonality="fourier"``.
    se : {"model", "newey-west"}, default="model"
        Standard errors for ``ols``.
    lags : int, default=1
        Newey-West lag.
    ar : int, default=1
        AR order of the errors for ``arima``.
    seasonal_ar : int, default=0
        Seasonal AR order for ``arima`` (period 12 for months, 4 for quarters, 52 for weeks).
    arima_method : {"ml", "reml"}, default="ml"
        How ``arima`` estimates: exact maximum likelihood (estimates and standard errors as R's
        ``arima`` with ``xreg``), or restricted ML for the AR coefficients with GLS for the
        terms (as R's ``nlme::gls`` with ``corARMA``).
    arima_intervals : {"adjusted", "wald"}, default="adjusted"
        With ``arima_method="ml"``: intervals and p-values from the REML covariance with t on
        n-k df (small-sample adjusted; about 93% coverage of 95% intervals in 24+24 periods with
        AR(1) errors, where ML Wald intervals give about 86%), or ML Wald intervals with the
        normal quantile exactly as R's ``arima``.
    phase_in : int, default=0
        Periods from the rollout on that are left out of the fit.
    alpha : float, default=0.05
        1 - confidence level of intervals.
    per : float, default=1000
        Rates are shown per this many units of the denominator.
    at : sequence of int, default=()
        Report the effect this many periods after the rollout period (0 is the rollout period);
        by default at the last period. Negative values read the post-rollout line extended back.
    trend : bool, default=True
        Include the ``time`` term. Leave it on for segmented regression; ``False`` fits a pure
        intervention model (level shift with covariates), as some ARIMA analyses do.

    Examples
    --------
    >>> from safetylens.its import PeriodSeries
    >>> counts = [30, 28, 33, 31, 35, 30, 34, 33, 22, 25, 21, 24, 23, 22, 20, 24]
    >>> series = PeriodSeries.from_arrays("2020-01", counts=counts, denominators=[1000] * 16)
    >>> result = SegmentedRegression(model="poisson").fit(series, rollout="01/09/2020")
    >>> result.n_pre, result.n_post
    (8, 8)
    >>> float(round(result.rate_ratios.loc["level_change", "estimate"], 3))
    0.671
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        impact: str = "both",
        seasonality: str = "none",
        harmonics: int = 2,
        se: str = "model",
        lags: int = 1,
        ar: int = 1,
        seasonal_ar: int = 0,
        arima_method: str = "ml",
        arima_intervals: str = "adjusted",
        phase_in: int = 0,
        alpha: float = 0.05,
        per: float = 1000,
        at=(),
        trend: bool = True,
    ):
        self.model = model
        self.impact = impact
        self.seasonality = seasonality
        self.harmonics = harmonics
        self.se = se
        self.lags = lags
        self.ar = ar
        self.seasonal_ar = seasonal_ar
        self.arima_method = arima_method
        self.arima_intervals = arima_intervals
        self.phase_in = phase_in
        self.alpha = alpha
        self.per = per
        self.at = at
        self.trend = trend

    def get_params(self) -> dict:
        """The settings, as given.

        Examples
        --------
        >>> SegmentedRegression(model="ols", se="newey-west").get_params()["se"]
        'newey-west'
        """
        names = (
            "model",
            "impact",
            "seasonality",
            "harmonics",
            "se",
            "lags",
            "ar",
            "seasonal_ar",
            "arima_method",
            "arima_intervals",
            "phase_in",
            "alpha",
            "per",
            "at",
            "trend",
        )
        return {name: getattr(self, name) for name in names}

    def __repr__(self) -> str:
        defaults = SegmentedRegression().get_params()
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults[k]]
        return f"SegmentedRegression({', '.join(changed)})"

    # ------------------------------------------------------------------ checking
    def _checked_model(self, series: PeriodSeries) -> str:
        if self.model is not None and self.model not in MODELS:
            raise _param_error("model", f"one of {', '.join(MODELS)}", self.model)
        for name, allowed in (
            ("impact", IMPACTS),
            ("seasonality", SEASONALITIES),
            ("se", ("model", "newey-west")),
            ("arima_method", ("ml", "reml")),
            ("arima_intervals", ("adjusted", "wald")),
        ):
            if getattr(self, name) not in allowed:
                raise _param_error(name, f"one of {', '.join(allowed)}", getattr(self, name))
        for name, low in (
            ("harmonics", 1),
            ("lags", 0),
            ("ar", 0),
            ("seasonal_ar", 0),
            ("phase_in", 0),
        ):
            _check_int(name, getattr(self, name), low)
        if not isinstance(self.alpha, numbers.Real) or not 0 < self.alpha < 1:
            raise _param_error("alpha", "a float in the range (0, 1)", self.alpha)
        if not isinstance(self.per, numbers.Real) or not self.per > 0:
            raise _param_error("per", "a number above 0", self.per)
        if any(not isinstance(k, numbers.Integral) or isinstance(k, bool) for k in self.at):
            raise _param_error("at", "a sequence of ints", self.at)
        model = self.model or ("quasipoisson" if series.outcome == "count" else "ols")
        if model in COUNT_MODELS and series.outcome != "count":
            raise DataValidationError(
                f"model {model} needs counts; the series holds values (use --count-col, or "
                "--model ols / arima for a continuous outcome)"
            )
        if self.seasonality == "fourier" and SEASON_LENGTH[series.period]:
            limit = SEASON_LENGTH[series.period] // 2
            if self.harmonics > limit:
                raise _param_error(
                    "harmonics", f"at most {limit} for {series.period}s", self.harmonics
                )
        if self.seasonal_ar and (model != "arima" or SEASON_LENGTH[series.period] is None):
            raise DataValidationError("seasonal_ar needs model arima and months, weeks or quarters")
        if self.se == "newey-west" and model != "ols":
            raise DataValidationError(
                "Newey-West standard errors are for model ols; count models and arima "
                "handle autocorrelation differently"
            )
        return model

    # ------------------------------------------------------------------ fitting
    def fit(self, series: PeriodSeries, *, rollout, control=None, group: str | None = None):
        """Fit the segmented regression.

        Parameters
        ----------
        series : PeriodSeries
            The series under study.
        rollout : str, datetime.date or pandas.Timestamp
            Rollout date; the period containing it is the rollout period. ISO or day first.
        control : PeriodSeries, sequence or dict of PeriodSeries, optional
            Control series for a controlled analysis (several are pooled, each keeping its
            own serial correlation); a dict names them. They must cover every period of
            ``series``.
        group : str, optional
            Name of the analysed group, carried into the result.

        Returns
        -------
        ITSResult

        Raises
        ------
        DataValidationError
            Bad settings, a rollout outside the data, or fewer than 3 periods on a side.
        FitError
            The model cannot be fitted (all zeros, a singular design, ...).
        """
        from safetylens.its.results import ITSResult

        if not isinstance(series, PeriodSeries):
            raise DataValidationError("fit() needs a PeriodSeries (see safetylens.its.series)")
        model = self._checked_model(series)
        if control is None:
            control = {}
        elif isinstance(control, PeriodSeries):
            control = {"control": control}
        elif not isinstance(control, dict):
            control = {f"control {i}": unit for i, unit in enumerate(control, start=1)}
        controls = list(control.values())
        if controls and model == "arima":
            raise DataValidationError(
                "a controlled analysis cannot use model arima; use ols with --se newey-west, "
                "or a count model"
            )
        index = series.data.index
        rollout_date = _rollout_date(rollout)
        rollout_period = pd.Period(rollout_date, freq=PERIODS[series.period])
        if not index[0] <= rollout_period <= index[-1]:
            raise DataValidationError(
                f"rollout {rollout_date.isoformat()} is outside the data ({index[0]} to "
                f"{index[-1]}); give a rollout date within the series"
            )
        rollout_at = int(index.get_loc(rollout_period))
        first_post = rollout_at + self.phase_in
        n = len(index)
        n_pre, n_post = rollout_at, max(n - first_post, 0)
        notes = list(series.notes)
        for side, count in (("before", n_pre), ("after", n_post)):
            where = " (after the phase-in)" if side == "after" and self.phase_in else ""
            if count < MIN_PERIODS:
                raise DataValidationError(
                    f"only {count} period(s) {side} the rollout{where}; segmented regression "
                    f"needs at least {MIN_PERIODS} on each side ({FEW_PERIODS} or more recommended)"
                )
            if count < FEW_PERIODS:
                notes.append(
                    f"Only {count} periods {side} the rollout{where}: estimates are imprecise "
                    f"and the trend is poorly identified ({FEW_PERIODS} or more recommended)."
                )
        at = tuple(self.at) or (n - 1 - rollout_at,)
        inside = [k for k in at if 0 <= k < self.phase_in]
        if inside:
            notes.append(
                f"Effects at {', '.join(map(str, inside))} period(s) after the rollout fall in the "
                "phase-in, which was not fitted: they extend the post-rollout line back."
            )
        for k in at:
            if not 0 <= rollout_at + k < n:
                raise DataValidationError(
                    f"at={k} falls outside the data: periods run from {-rollout_at} to "
                    f"{n - 1 - rollout_at} relative to the rollout period"
                )
        phase = phases(n, rollout_at, self.phase_in)
        units = [series, *controls]
        for i, unit in enumerate(controls, start=1):
            if (
                unit.period != series.period
                or not index.isin(unit.data.index).all()
                or unit.outcome != series.outcome
                or set(unit.covariates) != set(series.covariates)
                or ("denominator" in unit.data) != ("denominator" in series.data)
            ):
                raise DataValidationError(
                    f"control series {i} does not match the series under study: it needs every "
                    f"{series.period} of it, the same outcome, covariates and denominator"
                )
        designs = []
        for unit in units:
            data = unit.data.reindex(index)
            designs.append(
                design_matrix(
                    index,
                    first_post,
                    period=series.period,
                    impact=self.impact,
                    trend=self.trend,
                    seasonality=self.seasonality,
                    harmonics=self.harmonics,
                    covariates=data[series.covariates] if series.covariates else None,
                )
            )
        if controls:
            designs = [controlled_design(d, treated=(i == 0)) for i, d in enumerate(designs)]
            order = [t for t in CONTROLLED_TERMS if t in designs[0].columns]
            designs = [d[order + [c for c in d.columns if c not in order]] for d in designs]
        columns = list(designs[0].columns)
        y_units, offsets = [], []
        for unit in units:
            data = unit.data.reindex(index)
            y, offset = _outcome(data, model, self.per)
            y_units.append(y)
            offsets.append(offset)
        fit_rows = phase != "phase_in"
        X = np.vstack([d.to_numpy(float)[fit_rows] for d in designs])
        y = np.concatenate([u[fit_rows] for u in y_units])
        offset = None if offsets[0] is None else np.concatenate([o[fit_rows] for o in offsets])
        unit_ids = np.repeat(np.arange(len(units)), fit_rows.sum())
        _check_design(
            X, columns, y, model, self.impact, unit_ids, np.tile(phase[fit_rows], len(units))
        )
        with warnings.catch_warnings():
            # statsmodels' own warnings are replaced by the checks below (converged flags).
            warnings.simplefilter("ignore")
            try:
                fitted = self._estimate(
                    model,
                    X,
                    y,
                    offset,
                    unit_ids,
                    designs[0],
                    y_units[0],
                    fit_rows,
                    SEASON_LENGTH[series.period],
                )
            except SafetylensError:
                raise
            except _NUMERICAL_ERRORS as exc:
                raise FitError(
                    f"the {model} model could not be fitted to this series "
                    f"({type(exc).__name__}); try another --model or fewer terms"
                ) from None
        if not (np.all(np.isfinite(fitted.params)) and np.all(np.isfinite(fitted.cov))):
            raise FitError(
                f"the {model} model could not be fitted to this series (estimates are not "
                "finite); try another --model or fewer terms"
            )
        diagnostics = _diagnostics(fitted, model, len(units), int(fit_rows.sum()))
        notes.extend(_autocorrelation_warning(model, self.se, diagnostics))
        notes.extend(fitted.warnings)
        for message in notes[len(series.notes) :]:
            warnings.warn(message, ModelWarning, stacklevel=2)
        settings = self.get_params() | {"model": model, "at": at}
        return ITSResult(
            settings=settings,
            series=series,
            controls=tuple(controls),
            control_names=tuple(control),
            group=group,
            rollout=rollout_date,
            rollout_at=rollout_at,
            phase=phase,
            designs=tuple(designs),
            params=pd.Series(fitted.params, index=columns),
            cov=pd.DataFrame(fitted.cov, index=columns, columns=columns),
            ci_df=fitted.ci_df,
            p_df=fitted.p_df,
            covariance=fitted.covariance,
            diagnostics=diagnostics,
            warnings=tuple(notes),
            interval_cov=None
            if fitted.interval_cov is None
            else pd.DataFrame(fitted.interval_cov, index=columns, columns=columns),
        )

    def _estimate(self, model, X, y, offset, unit_ids, design, y_full, fit_rows, season_length):
        """Dispatch to the estimator of ``model`` (internal)."""
        if model in COUNT_MODELS:
            return _fit_glm(X, y, offset, model)
        if model == "ols":
            return _fit_ols(X, y, self.se, self.lags, unit_ids)
        reml = _fit_ar_reml(
            X, y, np.flatnonzero(fit_rows), self.ar, self.seasonal_ar, season_length
        )
        if self.arima_method == "reml":
            return reml
        fitted = _fit_arima(
            design.to_numpy(float),
            np.where(fit_rows, y_full, np.nan),
            self.ar,
            self.seasonal_ar,
            season_length,
        )
        if self.arima_intervals == "adjusted" and not reml.exact:
            # Exact ML estimates and standard errors (as R's arima), but intervals and
            # p-values from the REML covariance with t on n-k df: ML intervals cover about
            # 86% in 24+24 periods with AR(1) 0.3-0.6, these about 93% (see the tests).
            fitted.interval_cov = reml.cov
            fitted.ci_df = fitted.p_df = reml.ci_df
            fitted.diagnostics["interval_ar_coefficients"] = reml.diagnostics["ar_coefficients"]
        return fitted


_NUMERICAL_ERRORS = (
    np.linalg.LinAlgError,
    ValueError,
    FloatingPointError,
    OverflowError,
    ZeroDivisionError,
)
"""Errors that numerical libraries raise on hopeless fits; turned into a one-line FitError."""


def _rollout_date(rollout):
    try:
        return parse_date(rollout)
    except ValueError:
        raise DataValidationError(
            "cannot read the rollout date; write it day first (03/04/2021) or as ISO (2021-04-03)"
        ) from None


def _outcome(data: pd.DataFrame, model: str, per: float):
    """The modelled outcome and the offset: counts with log(denominator) for count models,
    otherwise the value, or the rate per ``per`` when there is a denominator."""
    has_den = "denominator" in data.columns
    if model in COUNT_MODELS:
        offset = np.log(data["denominator"].to_numpy(float)) if has_den else None
        return data["count"].to_numpy(float), offset
    if "value" in data.columns:
        return data["value"].to_numpy(float), None
    counts = data["count"].to_numpy(float)
    return (counts / data["denominator"].to_numpy(float) * per if has_den else counts), None


def _check_design(X, columns, y, model, impact, unit_ids, phase) -> None:
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


def _fit_glm(X, y, offset, model) -> _Fit:
    import statsmodels.api as sm

    if model == "negbin":
        return _fit_negbin(X, y, offset)
    glm = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset)
    res = glm.fit(scale="X2" if model == "quasipoisson" else 1.0)
    _check_not_diverged(res, y)
    pearson = float(res.pearson_chi2)
    df_resid = float(res.df_resid)
    out = _Fit(
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


def _fit_negbin(X, y, offset) -> _Fit:
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
    out = _Fit(
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


def _fit_ols(X, y, se, lags, unit_ids) -> _Fit:
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
    out = _Fit(
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


def _fit_arima(X, y, ar, seasonal_ar, season_length) -> _Fit:
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
    out = _Fit(
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


def _fit_ar_reml(X, y, positions, ar, seasonal_ar, season_length) -> _Fit:
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
    out = _Fit(
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


def _diagnostics(fitted: _Fit, model: str, n_units: int, rows_per_unit: int) -> dict:
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


def _autocorrelation_warning(model: str, se: str, diagnostics: dict) -> list[str]:
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
