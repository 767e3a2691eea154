"""Estimators checked on simulated series against independent computations.

R is not available here, so each estimator is compared with a route written from the
formulas in this file (numpy/scipy): IRLS for Poisson and quasi-Poisson, score equations for
the negative binomial (the fixed point ``MASS::glm.nb`` finds), closed-form OLS with a
hand-coded Stata-style Newey-West, and the exact AR(1) likelihood (Prais-Winsten form) with a
numerical Hessian for ``arima``. The simulated series are CSV files made by
``tests/data/its/make_simulated.py``; ``tests/data/its/simulated_r_check.R`` fits them in R
for whoever has it (R was not available when these tests were written, so no number here
comes from R).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special, stats

from safetylens.exceptions import DataValidationError, FitError, ModelWarning
from safetylens.its import PeriodSeries, SegmentedRegression

DATA = Path(__file__).parent / "data" / "its"
FOUR_SIG = 5e-5  # relative tolerance: agreement to four significant figures
N_PRE = N_POST = 30


def segmented_design(n_pre=N_PRE, n_post=N_POST):
    t = np.arange(n_pre + n_post, dtype=float)
    post = (t >= n_pre).astype(float)
    return np.column_stack([np.ones_like(t), t, post, post * (t - n_pre)])


def quiet_fit(spec, series, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spec.fit(series, **kwargs)


@pytest.fixture(scope="module")
def counts():
    """60 months of overdispersed counts with bed days (data/its/make_simulated.py)."""
    frame = pd.read_csv(DATA / "simulated_counts.csv")
    return segmented_design(), frame["bed_days"].to_numpy(float), frame["count"].to_numpy(float)


def irls_poisson(X, y, offset):
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(y.mean()) - offset.mean()
    for _ in range(100):
        mu = np.exp(X @ beta + offset)
        z = X @ beta + (y - mu) / mu
        new = np.linalg.solve(X.T @ (mu[:, None] * X), X.T @ (mu * z))
        if np.max(np.abs(new - beta)) < 1e-13:
            break
        beta = new
    mu = np.exp(X @ beta + offset)
    cov = np.linalg.inv(X.T @ (mu[:, None] * X))
    pearson = np.sum((y - mu) ** 2 / mu)
    return beta, cov, pearson / (len(y) - X.shape[1])


def test_poisson_and_quasipoisson_match_irls(counts):
    X, den, y = counts
    series = PeriodSeries.from_arrays("2015-01", counts=y, denominators=den)
    beta, cov, dispersion = irls_poisson(X, y, np.log(den))
    for model, scale in (("poisson", 1.0), ("quasipoisson", dispersion)):
        result = quiet_fit(SegmentedRegression(model=model), series, rollout="2017-07-01")
        np.testing.assert_allclose(result.params.to_numpy(), beta, rtol=FOUR_SIG)
        np.testing.assert_allclose(
            result.bse.to_numpy(), np.sqrt(np.diag(cov) * scale), rtol=FOUR_SIG
        )
        assert result.diagnostics["dispersion"] == pytest.approx(dispersion, rel=FOUR_SIG)
    # quasi-Poisson: normal-quantile interval, t p-value with the residual df (as R)
    z = stats.norm.ppf(0.975)
    se = np.sqrt(cov[2, 2] * dispersion)
    ci = result.conf_int().loc["level_change"]
    assert ci["ci_low"] == pytest.approx(beta[2] - z * se, rel=FOUR_SIG)
    p = 2 * stats.t.sf(abs(beta[2] / se), len(y) - 4)
    assert result.pvalues["level_change"] == pytest.approx(p, rel=1e-4)


def test_poisson_warns_about_overdispersion(counts):
    X, den, y = counts
    series = PeriodSeries.from_arrays("2015-01", counts=y, denominators=den)
    with pytest.warns(ModelWarning, match="Overdispersion"):
        result = SegmentedRegression(model="poisson").fit(series, rollout="2017-07-01")
    assert any("Overdispersion" in w for w in result.notes)


def negbin_by_score_equations(X, y, offset):
    """Alternate NB IRLS for beta with a root of the theta score equation until both hold."""
    theta = 10.0
    beta, _, _ = irls_poisson(X, y, offset)
    for _ in range(200):
        for _ in range(100):
            mu = np.exp(X @ beta + offset)
            w = mu / (1 + mu / theta)
            z = X @ beta + (y - mu) / mu
            new = np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (w * z))
            done = np.max(np.abs(new - beta)) < 1e-14
            beta = new
            if done:
                break
        mu = np.exp(X @ beta + offset)

        def score(t, mu=mu):
            return np.sum(
                special.digamma(t + y)
                - special.digamma(t)
                + np.log(t)
                + 1
                - np.log(t + mu)
                - (y + t) / (t + mu)
            )

        new_theta = optimize.brentq(score, 1e-3, 1e6, xtol=1e-14, rtol=1e-15)
        if abs(new_theta - theta) < 1e-12 * theta:
            break
        theta = new_theta
    mu = np.exp(X @ beta + offset)
    w = mu / (1 + mu / theta)
    return beta, np.linalg.inv(X.T @ (w[:, None] * X)), theta


def test_negbin_matches_ml_with_theta_fixed_for_ses(counts):
    X, den, y = counts
    series = PeriodSeries.from_arrays("2015-01", counts=y, denominators=den)
    beta, cov, theta = negbin_by_score_equations(X, y, np.log(den))
    result = quiet_fit(SegmentedRegression(model="negbin"), series, rollout="2017-07-01")
    assert result.diagnostics["theta"] == pytest.approx(theta, rel=FOUR_SIG)
    np.testing.assert_allclose(result.params.to_numpy(), beta, rtol=FOUR_SIG)
    np.testing.assert_allclose(result.bse.to_numpy(), np.sqrt(np.diag(cov)), rtol=FOUR_SIG)


def newey_west_by_hand(X, e, lags):
    n, k = X.shape
    meat = np.zeros((k, k))
    for i in range(n):
        meat += np.outer(X[i], X[i]) * e[i] ** 2
    for lag in range(1, lags + 1):
        weight = 1 - lag / (lags + 1)
        for i in range(lag, n):
            term = e[i] * e[i - lag] * (np.outer(X[i], X[i - lag]) + np.outer(X[i - lag], X[i]))
            meat += weight * term
    bread = np.linalg.inv(X.T @ X)
    return n / (n - k) * bread @ meat @ bread


@pytest.fixture(scope="module")
def continuous():
    """60 months of a continuous outcome with AR(1) errors (data/its/make_simulated.py)."""
    frame = pd.read_csv(DATA / "simulated_continuous.csv")
    return segmented_design(), frame["value"].to_numpy(float)


@pytest.mark.parametrize("lags", [1, 3])
def test_ols_newey_west_matches_stata_formula(continuous, lags):
    X, y = continuous
    series = PeriodSeries.from_arrays("2015-01", values=y)
    beta = np.linalg.solve(X.T @ X, X.T @ y)
    cov = newey_west_by_hand(X, y - X @ beta, lags)
    spec = SegmentedRegression(model="ols", se="newey-west", lags=lags)
    result = quiet_fit(spec, series, rollout="2017-07")
    np.testing.assert_allclose(result.params.to_numpy(), beta, rtol=FOUR_SIG)
    np.testing.assert_allclose(result.bse.to_numpy(), np.sqrt(np.diag(cov)), rtol=FOUR_SIG)
    df = len(y) - 4
    t = beta / np.sqrt(np.diag(cov))
    np.testing.assert_allclose(result.pvalues.to_numpy(), 2 * stats.t.sf(np.abs(t), df), rtol=1e-6)
    half = stats.t.ppf(0.975, df) * np.sqrt(cov[2, 2])
    assert result.conf_int().loc["level_change", "ci_high"] == pytest.approx(
        beta[2] + half, rel=FOUR_SIG
    )


def test_ols_newey_west_matches_statsmodels_hac(continuous):
    """statsmodels' HAC with use_correction=True applies the same n/(n-k) (a third route)."""
    import statsmodels.api as sm

    X, y = continuous
    reference = sm.OLS(y, X).fit(
        cov_type="HAC", cov_kwds={"maxlags": 2, "use_correction": True}, use_t=True
    )
    series = PeriodSeries.from_arrays("2015-01", values=y)
    result = quiet_fit(
        SegmentedRegression(model="ols", se="newey-west", lags=2), series, rollout="2017-07"
    )
    np.testing.assert_allclose(result.bse.to_numpy(), reference.bse, rtol=1e-10)


def test_ols_model_se_is_classical(continuous):
    X, y = continuous
    beta = np.linalg.solve(X.T @ X, X.T @ y)
    e = y - X @ beta
    cov = e @ e / (len(y) - 4) * np.linalg.inv(X.T @ X)
    series = PeriodSeries.from_arrays("2015-01", values=y)
    result = quiet_fit(SegmentedRegression(model="ols"), series, rollout="2017-07")
    np.testing.assert_allclose(result.bse.to_numpy(), np.sqrt(np.diag(cov)), rtol=FOUR_SIG)


def ar1_regression_ml(X, y):
    """Exact ML of y = X b + u, u AR(1): profile over phi, then a numerical Hessian."""
    n = len(y)

    def transform(phi):
        scale = np.sqrt(1 - phi**2)
        return (
            np.vstack([scale * X[:1], X[1:] - phi * X[:-1]]),
            np.concatenate([scale * y[:1], y[1:] - phi * y[:-1]]),
        )

    def loglik(theta):
        b, phi, sigma2 = theta[:-2], theta[-2], theta[-1]
        Xs, ys = transform(phi)
        r = ys - Xs @ b
        return -0.5 * (n * np.log(2 * np.pi * sigma2) - np.log(1 - phi**2) + r @ r / sigma2)

    def profile(phi):
        Xs, ys = transform(phi)
        b = np.linalg.lstsq(Xs, ys, rcond=None)[0]
        r = ys - Xs @ b
        return b, r @ r / n

    best = optimize.minimize_scalar(
        lambda phi: -loglik(np.concatenate([profile(phi)[0], [phi, profile(phi)[1]]])),
        bounds=(-0.99, 0.99),
        method="bounded",
        options={"xatol": 1e-10},
    )
    b, sigma2 = profile(best.x)
    theta = np.concatenate([b, [best.x, sigma2]])
    k = len(theta)
    steps = 1e-4 * np.maximum(np.abs(theta), 1e-2)
    hessian = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * steps[i], np.eye(k)[j] * steps[j]
            hessian[i, j] = (
                loglik(theta + ei + ej)
                - loglik(theta + ei - ej)
                - loglik(theta - ei + ej)
                + loglik(theta - ei - ej)
            ) / (4 * steps[i] * steps[j])
    return theta, np.sqrt(np.diag(np.linalg.inv(-hessian)))


def test_arima_ml_matches_exact_ar1_likelihood(continuous):
    """Default arima is R's arima: estimates and SEs within 2% of the exact likelihood's optimum;
    intervals use the REML covariance with t on n-k df unless Wald intervals are asked for."""
    X, y = continuous
    theta, se = ar1_regression_ml(X, y)
    series = PeriodSeries.from_arrays("2015-01", values=y)
    result = quiet_fit(SegmentedRegression(model="arima"), series, rollout="2017-07")
    np.testing.assert_allclose(result.params.to_numpy(), theta[:4], rtol=0.02)
    np.testing.assert_allclose(result.bse.to_numpy(), se[:4], rtol=0.02)
    assert result.diagnostics["ar_coefficients"]["ar1"] == pytest.approx(theta[4], rel=0.02)
    _, reml_se, _ = ar1_regression_reml(X, y)
    half = stats.t.ppf(0.975, len(y) - 4) * reml_se[2]
    ci = result.conf_int().loc["level_change"]
    assert ci["ci_high"] - result.params["level_change"] == pytest.approx(half, rel=FOUR_SIG)
    assert "small-sample (REML" in result.methods
    wald = (
        quiet_fit(
            SegmentedRegression(model="arima", arima_intervals="wald"), series, rollout="2017-07"
        )
        .conf_int()
        .loc["level_change"]
    )
    assert wald["ci_high"] - result.params["level_change"] == pytest.approx(
        stats.norm.ppf(0.975) * se[2], rel=0.02
    )


def ar1_regression_reml(X, y):
    """REML for phi (profile over a grid refined by a bounded search), then GLS."""
    n, k = X.shape

    def whiten(phi):
        scale = np.sqrt(1 - phi**2)
        return (
            np.vstack([scale * X[:1], X[1:] - phi * X[:-1]]),
            np.concatenate([scale * y[:1], y[1:] - phi * y[:-1]]),
        )

    def deviance(phi):
        Xs, ys = whiten(phi)
        b = np.linalg.lstsq(Xs, ys, rcond=None)[0]
        ssr = np.sum((ys - Xs @ b) ** 2)
        return (
            (n - k) * np.log(ssr / (n - k)) - np.log(1 - phi**2) + np.linalg.slogdet(Xs.T @ Xs)[1]
        )

    phi = optimize.minimize_scalar(
        deviance, bounds=(-0.99, 0.99), method="bounded", options={"xatol": 1e-12}
    ).x
    Xs, ys = whiten(phi)
    b = np.linalg.lstsq(Xs, ys, rcond=None)[0]
    r = ys - Xs @ b
    return b, np.sqrt(np.diag(r @ r / (n - k) * np.linalg.inv(Xs.T @ Xs))), phi


def test_arima_reml_matches_gls_with_reml_ar1(continuous):
    """arima_method="reml": AR(1) by REML, terms by GLS, t on n-k df (nlme::gls, corAR1)."""
    X, y = continuous
    beta, se, phi = ar1_regression_reml(X, y)
    series = PeriodSeries.from_arrays("2015-01", values=y)
    result = quiet_fit(
        SegmentedRegression(model="arima", arima_method="reml"), series, rollout="2017-07"
    )
    assert result.diagnostics["ar_coefficients"]["ar1"] == pytest.approx(phi, rel=FOUR_SIG)
    np.testing.assert_allclose(result.params.to_numpy(), beta, rtol=FOUR_SIG)
    np.testing.assert_allclose(result.bse.to_numpy(), se, rtol=FOUR_SIG)
    half = stats.t.ppf(0.975, len(y) - 4) * se[2]
    assert result.conf_int().loc["level_change", "ci_low"] == pytest.approx(
        beta[2] - half, rel=FOUR_SIG
    )


def test_arima_phase_in_periods_are_missing_not_dropped(continuous):
    """With a phase-in the AR errors run through the gap (exact likelihood with missing)."""
    X, y = continuous
    series = PeriodSeries.from_arrays("2015-01", values=y)
    result = quiet_fit(
        SegmentedRegression(model="arima", arima_method="reml", phase_in=2),
        series,
        rollout="2017-07",
    )
    assert result.diagnostics["n_obs"] == len(y) - 2
    ml = quiet_fit(SegmentedRegression(model="arima", phase_in=2), series, rollout="2017-07")
    assert result.params["level_change"] == pytest.approx(ml.params["level_change"], rel=0.05)


def test_arima_intervals_cover_the_true_level_change():
    """AR(1) errors (phi 0.3-0.6), 24 periods each side: 95% intervals cover >= 90%.

    Plain ML Wald intervals (``arima_intervals="wald"``) cover about 86% here; the default
    small-sample adjusted ones about 93%."""
    rng = np.random.default_rng(12345)
    X = segmented_design(24, 24)
    truth = np.array([20.0, 0.1, -3.0, -0.1])
    spec = SegmentedRegression(model="arima", ar=1)
    covered = 0
    n_series = 200
    for _ in range(n_series):
        phi = rng.uniform(0.3, 0.6)
        shocks = rng.normal(0, 1, len(X))
        errors = np.zeros(len(X))
        errors[0] = shocks[0] / np.sqrt(1 - phi**2)
        for i in range(1, len(X)):
            errors[i] = phi * errors[i - 1] + shocks[i]
        series = PeriodSeries.from_arrays("2018-01", values=X @ truth + errors)
        ci = quiet_fit(spec, series, rollout="2020-01").conf_int().loc["level_change"]
        covered += ci["ci_low"] <= truth[2] <= ci["ci_high"]
    assert covered / n_series >= 0.90


# ---------------------------------------------------------------- hard fits and refusals
def test_all_zero_counts_are_refused_in_one_line():
    series = PeriodSeries.from_arrays("2020-01", counts=[0] * 12)
    with pytest.raises(FitError, match="every count is 0"):
        SegmentedRegression().fit(series, rollout="2020-07")


def test_no_incidents_after_rollout_is_refused():
    series = PeriodSeries.from_arrays("2020-01", counts=[3, 4, 2, 5, 3, 4, 0, 0, 0, 0, 0, 0])
    with pytest.raises(FitError, match="no incidents after the rollout"):
        SegmentedRegression().fit(series, rollout="2020-07")


def test_singular_design_names_the_term():
    series = PeriodSeries.from_arrays(
        "2020-01", values=np.arange(12.0) ** 1.5, covariates={"beds": [30.0] * 12}
    )
    with pytest.raises(FitError, match="term 'beds'"):
        SegmentedRegression(model="ols").fit(series, rollout="2020-07")


def test_too_many_terms_for_the_periods_is_refused():
    series = PeriodSeries.from_arrays("2020-01", values=np.arange(8.0) ** 1.5)
    with pytest.raises(FitError, match="too few for 15 terms"):
        SegmentedRegression(model="ols", seasonality="month").fit(series, rollout="2020-05")


def test_perfect_fit_gives_a_result_with_a_warning():
    series = PeriodSeries.from_arrays("2020-01", values=[1.0, 2, 3, 4, 5, 10, 11, 12, 13, 14])
    with pytest.warns(ModelWarning, match="fits the data exactly"):
        result = SegmentedRegression(model="ols").fit(series, rollout="2020-06")
    assert result.params["level_change"] == pytest.approx(4.0)  # 10 against the line's 6


def test_arima_on_an_exact_line_does_not_crash():
    series = PeriodSeries.from_arrays("2020-01", values=np.r_[np.arange(12.0), np.arange(12.0) + 5])
    try:
        result = quiet_fit(SegmentedRegression(model="arima"), series, rollout="2021-01")
    except FitError as exc:
        assert "\n" not in str(exc)
    else:
        assert result.params["level_change"] == pytest.approx(-7.0, abs=1e-3)  # 5 against 12


def test_negbin_without_overdispersion_warns():
    rng = np.random.default_rng(3)
    series = PeriodSeries.from_arrays("2020-01", counts=rng.poisson(50, 24))
    result = quiet_fit(SegmentedRegression(model="negbin"), series, rollout="2021-01")
    assert any("No overdispersion" in w for w in result.notes)
    assert np.isfinite(result.bse).all()


@pytest.mark.parametrize(("n_pre", "n_post", "side"), [(2, 10, "before"), (10, 2, "after")])
def test_fewer_than_three_periods_a_side_is_refused(n_pre, n_post, side):
    series = PeriodSeries.from_arrays("2020-01", counts=[5] * (n_pre + n_post))
    rollout = str(pd.Period("2020-01", freq="M") + n_pre)
    with pytest.raises(DataValidationError, match=f"only 2 period\\(s\\) {side} the rollout"):
        SegmentedRegression().fit(series, rollout=rollout)


def test_fewer_than_eight_periods_warns():
    series = PeriodSeries.from_arrays("2020-01", counts=[5, 6, 5, 7, 6, 4, 3, 4, 3, 4, 3, 4, 3, 4])
    with pytest.warns(ModelWarning, match="Only 6 periods before"):
        result = SegmentedRegression().fit(series, rollout="2020-07")
    assert any("Only 6 periods before" in w for w in result.notes)


def test_phase_in_is_left_out_and_shifts_the_first_post_period():
    values = [10.0, 10.2, 10.1, 10.4, 10.3, 10.6, 99.0, 99.0, 7.1, 7.2, 7.4, 7.3, 7.6, 7.5]
    series = PeriodSeries.from_arrays("2020-01", values=values)
    result = quiet_fit(SegmentedRegression(model="ols", phase_in=2), series, rollout="2020-07-15")
    assert (result.n_pre, result.n_phase_in, result.n_post) == (6, 2, 6)
    assert result.phase.tolist()[5:9] == ["pre", "phase_in", "phase_in", "post"]
    assert result.diagnostics["n_obs"] == 12
    assert result.params["level_change"] < -3  # the 99s would pull it up if they were fitted


def test_bad_settings_follow_the_sklearn_wording():
    series = PeriodSeries.from_arrays("2020-01", counts=[5] * 12)
    with pytest.raises(
        DataValidationError,
        match=r"The 'alpha' parameter of SegmentedRegression "
        r"must be a float in the range \(0, 1\)\. Got 1\.5 instead\.",
    ):
        SegmentedRegression(alpha=1.5).fit(series, rollout="2020-07")
    with pytest.raises(DataValidationError, match="needs counts"):
        SegmentedRegression(model="poisson").fit(
            PeriodSeries.from_arrays("2020-01", values=[5.0] * 12), rollout="2020-07"
        )


def test_fourier_terms_for_quarters_skip_the_zero_sine():
    """At half the season length (k = 2 for quarters) the sine is 0 everywhere: left out."""
    from safetylens.its.design import seasonal_terms

    idx = pd.period_range("2015Q1", periods=8, freq="Q")
    assert list(seasonal_terms(idx, "quarter", "fourier", harmonics=2).columns) == [
        "sin1",
        "cos1",
        "cos2",
    ]
    counts = [30, 20, 25, 35] * 3 + [24, 16, 20, 28] * 3
    series = PeriodSeries.from_arrays("2015Q1", counts=counts, period="quarter")
    result = quiet_fit(
        SegmentedRegression(model="poisson", seasonality="fourier"), series, rollout="2018-01-01"
    )
    assert "cos2" in result.params.index and "sin2" not in result.params.index


def test_parameter_names_come_from_the_signature_and_each_has_a_check():
    import inspect

    names = SegmentedRegression._get_param_names()
    signature = inspect.signature(SegmentedRegression.__init__)
    assert names == [p for p in signature.parameters if p != "self"]
    assert set(SegmentedRegression._parameter_constraints) == set(names)
    spec = SegmentedRegression(model="ols").set_params(se="newey-west")
    assert spec.get_params()["se"] == "newey-west"
    with pytest.raises(DataValidationError, match="has no parameter 'sse'"):
        spec.set_params(sse="model")


def test_enum_members_and_strings_are_the_same_setting():
    from safetylens.its import Model, StandardErrors

    series = PeriodSeries.from_arrays("2020-01", values=[5.0, 5.2, 5.1, 5.6, 4.0, 4.2, 4.1, 4.3])
    by_enum = quiet_fit(
        SegmentedRegression(model=Model.OLS, se=StandardErrors.NEWEY_WEST),
        series,
        rollout="2020-05",
    )
    by_text = quiet_fit(
        SegmentedRegression(model="ols", se="newey-west"), series, rollout="2020-05"
    )
    assert by_enum.settings["model"] == "ols" and type(by_enum.settings["model"]) is str
    np.testing.assert_array_equal(by_enum.bse.to_numpy(), by_text.bse.to_numpy())
    with pytest.raises(DataValidationError, match="The 'se' parameter .* one of model, newey-west"):
        SegmentedRegression(model="ols", se="hac").fit(series, rollout="2020-05")


def test_results_and_regression_import_without_a_cycle():
    import subprocess
    import sys

    code = (
        "import sys, safetylens.its.results\n"
        "assert 'safetylens.its.regression' not in sys.modules\n"
        "import safetylens.its.options\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- arima against R
def r_arima_cases():
    series = pd.read_csv(DATA / "arima_series.csv")
    reference = pd.read_csv(DATA / "arima_ml_reference.csv")
    for sid, rows in series.groupby("series"):
        yield sid, rows, reference[reference["series"] == sid].set_index("term")


def test_arima_ml_matches_r_on_ar1_and_ar2_series_of_12_to_60_a_side():
    """R 4.2.2 ``arima(method = "ML")`` on 32 simulated series (AR(1), AR(2); 12+12, 24+24,
    36+36, 60+60), made by data/its/arima_ml_reference.R: every term within 0.01 SE, every SE
    within 1%, the AR coefficients too, and a log-likelihood at least R's."""
    sizes = set()
    for _, rows, ref in r_arima_cases():
        n_pre, order = int(rows["n_pre"].iloc[0]), int(rows["ar"].iloc[0])
        sizes.add((order, n_pre))
        series = PeriodSeries.from_arrays("2000-01", values=rows["y"].to_numpy())
        rollout = str(pd.Period("2000-01", freq="M") + n_pre)
        spec = SegmentedRegression(model="arima", ar=order, arima_intervals="wald")
        result = quiet_fit(spec, series, rollout=rollout)
        for term in ("intercept", "time", "level_change", "slope_change"):
            r_estimate, r_se = ref.loc[term, "estimate"], ref.loc[term, "se"]
            assert abs(result.params[term] - r_estimate) < 0.01 * r_se
            assert result.bse[term] == pytest.approx(r_se, rel=0.01)
        diagnostics = result.diagnostics
        for name, value in diagnostics["ar_coefficients"].items():
            assert abs(value - ref.loc[name, "estimate"]) < 0.01 * ref.loc[name, "se"]
            assert diagnostics["ar_standard_errors"][name] == pytest.approx(
                ref.loc[name, "se"], rel=0.01
            )
        assert diagnostics["log_likelihood"] >= ref["loglik"].iloc[0] - 1e-6
        assert diagnostics["log_likelihood"] == pytest.approx(ref["loglik"].iloc[0], abs=1e-4)
        assert diagnostics["converged"] is True
        assert diagnostics["sigma2"] == pytest.approx(ref["sigma2"].iloc[0], rel=1e-4)
    assert sizes == {(p, n) for p in (1, 2) for n in (12, 24, 36, 60)}


def test_arima_convergence_flag_is_true_only_at_the_optimum():
    """The flag checks the gradient and a grid over the AR coefficients: a start far off
    is detected as not converged."""
    from safetylens.its.estimators import _ARProfile

    _, rows, _ = next(r_arima_cases())
    t = rows["t"].to_numpy(float)
    post = (t >= 12).astype(float)
    X = np.column_stack([np.ones_like(t), t, post, post * (t - 12)])
    profile = _ARProfile(X, rows["y"].to_numpy(), np.arange(len(t)), 1, 0, None)
    phi, converged = profile.maximise(restricted=False)
    assert converged
    far = phi + 0.3
    gradient = profile._gradient(lambda f: profile.deviance(f, False), far)
    assert np.abs(gradient).max() > 1e-3


# ---------------------------------------------------------------- shares against R
@pytest.mark.parametrize("model", ["binomial", "quasibinomial"])
def test_share_models_match_r_glm(model):
    """R 4.2.2 glm(cbind(linked, total - linked) ~ t + level_change + slope_change,
    family = binomial / quasibinomial) on data/its/share_series.csv: 1e-6."""
    frame = pd.read_csv(DATA / "share_series.csv")
    every = pd.read_csv(DATA / "binomial_reference.csv")
    ref = every[every["model"] == model].set_index("term")
    pearson_over_df = every.loc[every["model"] == "quasibinomial", "dispersion"].iloc[0]
    from safetylens.its import table_series

    series = table_series(frame, date_col="month", count_col="linked", total_col="total")[None]
    result = quiet_fit(SegmentedRegression(model=model), series, rollout="2021-01-01")
    names = {"intercept": "(Intercept)", "time": "t"}
    for term in ("intercept", "time", "level_change", "slope_change"):
        row = ref.loc[names.get(term, term)]
        assert result.params[term] == pytest.approx(row["estimate"], rel=1e-6, abs=1e-9)
        assert result.bse[term] == pytest.approx(row["se"], rel=1e-6)
        assert result.pvalues[term] == pytest.approx(row["p_value"], rel=1e-5)
    assert result.diagnostics["dispersion"] == pytest.approx(pearson_over_df, rel=1e-6)
    odds = result.odds_ratios.loc["level_change"]
    assert odds["estimate"] == pytest.approx(np.exp(ref.loc["level_change", "estimate"]), rel=1e-6)
    assert result.rate_ratios is None
    assert result.to_dict()["odds_ratios"]["level_change"]["estimate"] == odds["estimate"]


def test_share_from_event_rows_counts_all_incidents_as_the_total():
    from safetylens.its import count_events

    rows = pd.DataFrame(
        {
            "date": ["01/01/2021", "02/01/2021", "03/01/2021", "03/02/2021", "04/02/2021"],
            "information_linked": ["true", "false", "true", "false", "false"],
        }
    )
    series = count_events(rows, date_col="date", information_linked=True, share=True)[None]
    assert series.data["count"].tolist() == [2.0, 0.0]
    assert series.data["total"].tolist() == [3.0, 2.0]
    with pytest.raises(DataValidationError, match="--share models the share"):
        count_events(rows, date_col="date", share=True)


def test_share_needs_a_share_model_and_a_share_needs_a_total():
    series = PeriodSeries.from_arrays("2020-01", counts=[5] * 12, totals=[20] * 12)
    with pytest.raises(DataValidationError, match="use --model binomial or quasibinomial"):
        SegmentedRegression(model="poisson").fit(series, rollout="2020-07")
    with pytest.raises(DataValidationError, match="models a share: give the total"):
        SegmentedRegression(model="binomial").fit(
            PeriodSeries.from_arrays("2020-01", counts=[5] * 12), rollout="2020-07"
        )


def test_two_rollouts_add_a_second_level_and_slope_change():
    """A pilot at month 12, trust-wide at month 24: the second change is estimated apart."""
    t = np.arange(36, dtype=float)
    values = 10 + 0.1 * t - 2.0 * (t >= 12) - 3.0 * (t >= 24) + 0.05 * np.sin(t)
    series = PeriodSeries.from_arrays("2020-01", values=values)
    result = quiet_fit(
        SegmentedRegression(model="ols", impact="level"), series, rollout=["2021-01", "2022-01"]
    )
    assert list(result.params.index) == ["intercept", "time", "level_change", "level_change_2"]
    assert result.params["level_change"] == pytest.approx(-2.0, abs=0.1)
    assert result.params["level_change_2"] == pytest.approx(-3.0, abs=0.1)
    assert [d.isoformat() for d in result.rollouts] == ["2021-01-01", "2022-01-01"]
    both = quiet_fit(SegmentedRegression(model="ols"), series, rollout=["2021-01", "2022-01"])
    assert {"slope_change", "slope_change_2"} <= set(both.params.index)
    assert both.to_dict()["rollouts"] == ["2021-01-01", "2022-01-01"]
    with pytest.raises(DataValidationError, match="after the rollout and before the second"):
        SegmentedRegression(model="ols").fit(series, rollout=["2021-01", "2021-03"])


def test_an_ambiguous_day_first_rollout_is_echoed_in_words():
    series = PeriodSeries.from_arrays("2020-01", counts=[30, 32, 31, 33, 29, 30, 20, 21, 19, 22])
    with pytest.warns(ModelWarning, match=r"read day first, as 3 June 2020; write it as ISO"):
        result = SegmentedRegression(model="poisson").fit(series, rollout="03/06/2020")
    assert result.rollout_period == pd.Period("2020-06", freq="M")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = SegmentedRegression(model="poisson").fit(series, rollout="13/06/2020")
    assert not any("day first" in note for note in plain.notes)


def test_sensitivity_refits_at_least_four_specifications():
    from safetylens.its import run_analyses

    frame = pd.read_csv(DATA / "sicily.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (result,) = run_analyses(
            frame,
            rollout="2005-01-01",
            date_col="year,month",
            count_col="aces",
            denominator_col="stdpop",
            seasonality="fourier",
            sensitivity=True,
        )
    rows = result.sensitivity
    assert len(rows) >= 4 and rows[0]["specification"] == "as specified"
    assert [r["specification"] for r in rows] == [
        "as specified",
        "negbin",
        "arima (AR errors) on the rate",
        "without seasonality",
        "phase-in 1",
    ]
    assert rows[0]["level_change"]["estimate"] == pytest.approx(
        result.rate_ratios.loc["level_change", "estimate"]
    )
    assert all(r["error"] is None for r in rows)
    assert result.to_dict()["sensitivity"][3]["seasonality"] == "none"


@pytest.mark.parametrize("model", ["ols", "poisson"])
def test_ljung_box_keeps_its_nominal_rate_on_well_specified_short_series(model):
    """12+12 periods, independent errors: the warning fires in about 5% of series (the
    chi-squared reference fired in 14-15%); 150 series, fixed seed."""
    rng = np.random.default_rng(99)
    t = np.arange(24.0)
    post = t >= 12
    fired = 0
    for _ in range(150):
        if model == "ols":
            series = PeriodSeries.from_arrays(
                "2000-01", values=10 + 0.1 * t - post + rng.normal(size=24)
            )
        else:
            series = PeriodSeries.from_arrays(
                "2000-01", counts=rng.poisson(np.exp(3 + 0.01 * t - 0.2 * post))
            )
        result = quiet_fit(SegmentedRegression(model=model), series, rollout="2001-01")
        fired += any("autocorrelated" in note for note in result.notes)
    assert 0.01 <= fired / 150 <= 0.09


def test_negbin_without_overdispersion_is_not_called_unconverged():
    rng = np.random.default_rng(3)
    counts = rng.poisson(40, size=24)
    result = quiet_fit(
        SegmentedRegression(model="negbin"),
        PeriodSeries.from_arrays("2020-01", counts=counts),
        rollout="2021-01",
    )
    assert result.diagnostics["converged"] is True
    assert not any("did not converge" in note for note in result.notes)


def test_power_for_a_share_is_calibrated_and_finds_a_large_change():
    from safetylens.its import table_series
    from safetylens.its.power import power_analysis

    frame = pd.read_csv(DATA / "share_series.csv")
    series = table_series(frame, date_col="month", count_col="linked", total_col="total")[None]
    large = power_analysis(series, rollout="2021-01-01", effect=-0.35, sims=300, seed=1)
    assert large["model"] == "quasibinomial" and large["power"] >= 0.95
    assert 0.02 <= large["type_one_error"] <= 0.09
    assert -0.35 < large["mde"] < 0
