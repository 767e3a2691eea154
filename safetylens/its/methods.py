"""The method of an analysis in words: the one source for the CLI, notebooks and the report."""

from __future__ import annotations

_MODEL_WORDS = {
    "quasipoisson": (
        "a quasi-Poisson log-linear model (a Poisson GLM whose standard errors are scaled by "
        "the Pearson chi-squared statistic over the residual degrees of freedom, allowing for "
        "overdispersion)"
    ),
    "poisson": "a Poisson log-linear model",
    "negbin": (
        "a negative binomial log-linear model, with the dispersion parameter theta estimated "
        "by maximum likelihood as in R's MASS::glm.nb and held fixed for the standard errors"
    ),
    "binomial": "a binomial logistic model of the share",
    "quasibinomial": (
        "a quasi-binomial logistic model of the share (standard errors scaled by the Pearson "
        "chi-squared statistic over the residual degrees of freedom)"
    ),
    "ols": "ordinary least squares",
    "arima": "a linear model with autoregressive (AR) errors",
}

_CHANGES = {
    "both": "a change in level and a change in slope",
    "level": "a change in level",
    "slope": "a change in slope",
}


def methods_sentences(result) -> list[str]:
    """The method of ``result`` (an :class:`~safetylens.its.results.ITSResult`), sentence by
    sentence: model, offset, terms and their coding, seasonality, errors, intervals."""
    s = result.settings
    parts = [
        f"The {result.period}ly series was analysed by segmented regression using "
        f"{_MODEL_WORDS[result.model]}."
    ]
    if result.is_count_model and result.has_denominator:
        parts.append(
            f"The logarithm of the denominator ({result.series.denominator_name or 'denominator'}) "
            f"was the offset, so the model describes rates; rates are shown per {s['per']:,g}."
        )
    first_post = result.series.data.index[result.first_post]
    parts.append(
        f"The model had a baseline level and trend and {_CHANGES[s['impact']]} from the first "
        f"post-rollout period, {first_post} (rollout on {result.rollout.isoformat()}, in period "
        f"{result.rollout_period}). The level change is read at that period; the slope change "
        "counts periods from it (0 there)."
    )
    if s["phase_in"]:
        parts.append(
            f"{s['phase_in']} period(s) from the rollout on were treated as a phase-in "
            "and left out of the fit."
        )
    if s["seasonality"] == "fourier":
        parts.append(f"Seasonality was modelled with {s['harmonics']} pairs of Fourier terms.")
    elif s["seasonality"] == "month":
        parts.append("Seasonality was modelled with indicators for the calendar month (quarter).")
    if result.model == "arima":
        seasonal = f" with seasonal AR({s['seasonal_ar']})" if s["seasonal_ar"] else ""
        how = (
            "the AR coefficients were estimated by restricted maximum likelihood (REML) and "
            "the terms by generalised least squares, as R's nlme::gls"
            if s["arima_method"] == "reml"
            else "all parameters were estimated by exact maximum likelihood, as R's arima"
        )
        parts.append(f"The errors followed an AR({s['ar']}) process{seasonal}; {how}.")
    if result.controlled:
        parts.append(
            "The group was compared with the control group(s) "
            f"({', '.join(map(str, result.control_groups))}) in one stacked model with group "
            "interactions; the effect credited to the rollout is the difference between the "
            "group's changes and the control's, so a change seen in both (such as a change in "
            "reporting culture) is not credited to the rollout."
        )
    parts.append(f"Standard errors: {result.covariance}.")
    if result.uses_adjusted_intervals:
        parts.append(
            "Intervals and p-values use the small-sample (REML, as nlme::gls) covariance with t "
            "on the residual df rather than the ML standard errors shown: in short series ML "
            "standard errors are too small and 95% intervals cover the truth less than 90% of "
            "the time."
        )
    level = f"{1 - result.alpha:.0%}"
    if result.ci_df is None:
        parts.append(f"Intervals ({level}) use the normal quantile.")
    else:
        parts.append(f"Intervals ({level}) use t with {result.ci_df:g} df.")
    if result.model in ("quasipoisson", "quasibinomial"):
        parts.append("p-values use t with the residual df, as R's summary.glm.")
    parts.append(
        "Effects compare the fitted values with the counterfactual (the pre-rollout model "
        "extended), with delta-method intervals. Residual autocorrelation was checked with the "
        "Ljung-Box and Durbin-Watson statistics."
    )
    return parts


def methods_text(result) -> str:
    """:func:`methods_sentences` as one paragraph."""
    return " ".join(methods_sentences(result))
