"""Robustness: refit the reasonable alternative specifications and tabulate the changes.

Turner et al. (2021) found that the choice of method flips the significance of the level or
slope change in 4-25% of published interrupted time series; the table shows the evaluator
whether theirs is one. The alternatives are the other reasonable models for the outcome
(quasi-Poisson, negative binomial and arima on the rate for counts; quasi-binomial, binomial
and arima on the share for shares; OLS with model-based and Newey-West errors and arima for
values), the other choice of seasonality, and the phase-in one period shorter and longer.

Reference: Turner SL, Karahalios A, Forbes AB, et al. Comparison of six statistical methods
for interrupted time series studies: empirical evaluation of 190 published series. BMC Med Res
Methodol. 2021;21:134.
"""

from __future__ import annotations

import warnings

from safetylens.exceptions import SafetylensError
from safetylens.its.series import SEASON_LENGTH

_ALTERNATIVE_MODELS = {
    "count": (("quasipoisson", {}), ("negbin", {}), ("arima", {})),
    "share": (("quasibinomial", {}), ("binomial", {}), ("arima", {})),
    "value": (("ols", {"se": "model"}), ("ols", {"se": "newey-west"}), ("arima", {})),
}

_TERMS = ("level_change", "slope_change")


def _describe(model: str, options: dict, kind: str) -> str:
    if model == "arima":
        return "arima (AR errors) on the " + ("rate" if kind == "count" else kind)
    if model == "ols":
        return "ols, Newey-West errors" if options.get("se") == "newey-west" else "ols"
    return model


def alternatives(result) -> list[tuple[str, dict]]:
    """The specifications to refit: ``(description, settings)``, the fitted one first."""
    settings = dict(result.settings)
    kind = "share" if result.has_total else result.series.outcome
    base_model = settings["model"]
    specs = [("as specified", settings)]
    seen = {(base_model, settings.get("se"))}
    for model, options in _ALTERNATIVE_MODELS[kind]:
        if model == "arima" and result.controlled:
            continue  # a controlled analysis cannot use arima
        changed = settings | {"model": model} | options
        key = (model, changed.get("se"))
        if key in seen or (model == base_model and model != "ols"):
            continue
        seen.add(key)
        if model != "ols":
            changed["se"] = "model"
        if model != "arima":
            changed["seasonal_ar"] = 0
        specs.append((_describe(model, options, kind), changed))
    if SEASON_LENGTH[result.period]:
        if settings["seasonality"] == "none":
            specs.append(
                (
                    "with Fourier seasonality (2 pairs)",
                    settings
                    | {
                        "seasonality": "fourier",
                        "harmonics": min(2, SEASON_LENGTH[result.period] // 2),
                    },
                )
            )
        else:
            specs.append(("without seasonality", settings | {"seasonality": "none"}))
    if settings["phase_in"] > 0:
        specs.append(
            (
                f"phase-in {settings['phase_in'] - 1}",
                settings | {"phase_in": settings["phase_in"] - 1},
            )
        )
    specs.append(
        (f"phase-in {settings['phase_in'] + 1}", settings | {"phase_in": settings["phase_in"] + 1})
    )
    return specs


def _row(description: str, settings: dict, fitted) -> dict:
    row = {
        "specification": description,
        "model": settings["model"],
        "seasonality": settings["seasonality"],
        "phase_in": settings["phase_in"],
        "scale": {"log": "rate ratio", "logit": "odds ratio"}.get(fitted.link, "difference"),
        "error": None,
    }
    summary = fitted.summary
    ratios = fitted.ratios
    for term in _TERMS:
        if term not in summary.index:
            row[term] = None
            continue
        table = ratios if ratios is not None else summary
        row[term] = {
            "estimate": float(table.loc[term, "estimate"]),
            "ci_low": float(table.loc[term, "ci_low"]),
            "ci_high": float(table.loc[term, "ci_high"]),
            "p_value": float(summary.loc[term, "p_value"]),
        }
    return row


def sensitivity_table(result, series, rollout, control=None) -> list[dict]:
    """Refit ``result``'s analysis under each alternative; one row per specification.

    Parameters
    ----------
    result : ITSResult
        The analysis as specified.
    series, rollout, control
        What it was fitted on (as for :meth:`SegmentedRegression.fit`).

    Returns
    -------
    list of dict
        ``specification, model, seasonality, phase_in, scale, level_change, slope_change,
        error``; the changes hold ``estimate, ci_low, ci_high, p_value`` (ratios for log and
        logit models), ``error`` says why a specification could not be fitted.
    """
    from safetylens.its.regression import SegmentedRegression

    rows = []
    for description, settings in alternatives(result):
        if description == "as specified":
            rows.append(_row(description, settings, result))
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # caveats of the alternatives are not the fit's
                fitted = SegmentedRegression(**settings).fit(
                    series, rollout=rollout, control=control, group=result.group
                )
            rows.append(_row(description, settings, fitted))
        except SafetylensError as exc:
            rows.append(
                {
                    "specification": description,
                    "model": settings["model"],
                    "seasonality": settings["seasonality"],
                    "phase_in": settings["phase_in"],
                    "scale": None,
                    "level_change": None,
                    "slope_change": None,
                    "error": str(exc),
                }
            )
    return rows


def with_sensitivity(result, series, rollout, control=None):
    """``result`` with its sensitivity table attached (a new, equally read-only result)."""
    return result.replace(sensitivity=tuple(sensitivity_table(result, series, rollout, control)))
