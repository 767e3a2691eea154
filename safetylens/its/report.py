"""A self-contained HTML report of one or more ITS analyses (plots embedded as PNG)."""

from __future__ import annotations

import base64
import datetime as dt
import html

from safetylens.its.plot import figure_png
from safetylens.its.tables import Table, fmt, render_html, result_tables

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; }
.warning { color: #8a4b00; }
"""

_MODEL_WORDS = {
    "quasipoisson": (
        "a quasi-Poisson log-linear model (a Poisson GLM whose standard errors are scaled by "
        "the Pearson chi-squared statistic over the residual degrees of freedom, allowing for "
        "overdispersion)"
    ),
    "poisson": "a Poisson log-linear model",
    "negbin": (
        "a negative binomial log-linear model, with the dispersion parameter theta estimated "
        "by maximum likelihood as in R's MASS::glm.nb"
    ),
    "ols": "ordinary least squares",
    "arima": "a linear model with autoregressive (AR) errors on the exact likelihood",
}

REFERENCES = (
    "Wagner AK, Soumerai SB, Zhang F, Ross-Degnan D. Segmented regression analysis of "
    "interrupted time series studies in medication use research. J Clin Pharm Ther. "
    "2002;27(4):299-309.",
    "Lopez Bernal J, Cummins S, Gasparrini A. Interrupted time series regression for the "
    "evaluation of public health interventions: a tutorial. Int J Epidemiol. "
    "2017;46(1):348-355.",
    "Linden A. Conducting interrupted time-series analysis for single- and multiple-group "
    "comparisons. Stata J. 2015;15(2):480-500.",
    "Newey WK, West KD. A simple, positive semi-definite, heteroskedasticity and "
    "autocorrelation consistent covariance matrix. Econometrica. 1987;55(3):703-708.",
    "Lopez Bernal J, Cummins S, Gasparrini A. The use of controls in interrupted time series "
    "studies of public health interventions. Int J Epidemiol. 2018;47(6):2082-2093.",
)


def methods_text(result) -> str:
    """The method of one analysis in words."""
    s = result.settings
    parts = [
        f"The {result.period}ly series was analysed by segmented regression using "
        f"{_MODEL_WORDS[result.model]}.",
    ]
    if result.is_count_model and "denominator" in result.series.data.columns:
        parts.append(
            f"The logarithm of the denominator ({result.series.denominator_name or 'denominator'}) "
            f"was the offset, so the model describes rates; rates are shown per "
            f"{s['per']:,g}."
        )
    changes = {
        "both": "a change in level and a change in slope",
        "level": "a change in level",
        "slope": "a change in slope",
    }[s["impact"]]
    first_post = result.series.data.index[result.first_post]
    parts.append(
        f"The model had a baseline level and trend and {changes} from the first post-rollout "
        f"period, {first_post} (rollout on {result.rollout.isoformat()}, in period "
        f"{result.rollout_period}); the impact model was fixed before the analysis."
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
    if result.model == "ols" and s["se"] == "newey-west":
        parts.append(f"Standard errors were Newey-West with lag {s['lags']}, as Stata's newey.")
    if result.model == "arima":
        seasonal = f" with seasonal AR({s['seasonal_ar']})" if s["seasonal_ar"] else ""
        how = (
            "the AR coefficients were estimated by restricted maximum likelihood (REML) and "
            "the terms by generalised least squares, as R's nlme::gls, with t intervals"
            if s["arima_method"] == "reml"
            else "all parameters were estimated by exact maximum likelihood (Kalman filter), as "
            "R's arima"
        )
        parts.append(f"The errors followed an AR({s['ar']}) process{seasonal}; {how}.")
    if result.controlled:
        parts.append(
            "The group was compared with the control group(s) in one stacked model with group "
            "interactions; the effect credited to the rollout is the difference between the "
            "group's changes and the control's, so a change seen in both (such as a change in "
            "reporting culture) is not credited to the rollout."
        )
    parts.append(
        f"Intervals are {1 - result.alpha:.0%} Wald intervals; effects compare the fitted "
        "values with the counterfactual (the pre-rollout model extended), with delta-method "
        "intervals. Residual autocorrelation was checked with the Ljung-Box and Durbin-Watson "
        "statistics."
    )
    return " ".join(parts)


def _data_summary(results) -> Table:
    rows = []
    for i, result in enumerate(results, start=1):
        data = result.series.data
        total = fmt(int(data["count"].sum())) if result.series.outcome == "count" else "-"
        rows.append(
            (
                str(i),
                result.title,
                f"{data.index[0]} to {data.index[-1]}",
                str(result.n_pre),
                str(result.n_phase_in),
                str(result.n_post),
                total,
            )
        )
    return Table(
        "Data",
        ("#", "analysis", "periods", "before", "phase-in", "after", "total count"),
        tuple(rows),
    )


def html_report(results, *, source: str | None = None, plots: list[bytes] | None = None) -> str:
    """A self-contained HTML page: data summary, methods, plots, tables, diagnostics, warnings.

    Parameters
    ----------
    results : list of ITSResult
    source : str, optional
        Input file name, shown in the heading.
    plots : list of bytes, optional
        PNG images, one per result (drawn here when not given).

    Returns
    -------
    str
    """
    if plots is None:
        plots = [figure_png(result) for result in results]
    title = "Interrupted time-series analysis" + (f": {source}" if source else "")
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Made by safetylens on {dt.date.today().isoformat()}.</p>",
        render_html([_data_summary(results)]),
    ]
    for i, (result, png) in enumerate(zip(results, plots, strict=True), start=1):
        body.append(f"<h2>{i}. {html.escape(result.title)}</h2>")
        body.append(f"<p>{html.escape(methods_text(result))}</p>")
        encoded = base64.b64encode(png).decode("ascii")
        body.append(
            f'<img alt="{html.escape(result.title)}" src="data:image/png;base64,{encoded}">'
        )
        for warning in result.warnings:
            body.append(f'<p class="warning">Warning: {html.escape(warning)}</p>')
        body.append(render_html(result_tables(result)))
    body.append("<h2>References</h2><ol>")
    body.extend(f"<li>{html.escape(ref)}</li>" for ref in REFERENCES)
    body.append("</ol>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
