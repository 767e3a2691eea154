"""A self-contained HTML report of one or more ITS analyses, meant to be handed to a board.

Per analysis: a plain-English headline, the plot, the effects (with human names for the
terms), the cumulative effect and the sensitivity table; then how the incidents were
classified, the caveats, and an appendix with the full estimates, diagnostics, methods and
notes. Every table goes through :mod:`safetylens.its.tables` and the method text through
:mod:`safetylens.its.methods`, so the report says what the CLI says.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math

from safetylens.its.methods import methods_text
from safetylens.its.plot import figure_png
from safetylens.its.tables import (
    Table,
    cumulative_table,
    effects_table,
    fmt,
    fmt_p,
    render_html,
    result_tables,
    term_name,
)

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 64rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: right; vertical-align: top; }
th, td.text { text-align: left; }
img { max-width: 100%; }
.headline { font-size: 1.15rem; background: #f3f6fa; border-left: 4px solid #1f4e79;
            padding: 0.5rem 0.8rem; }
.caveat { color: #6b3d00; }
.error { color: #a00; font-weight: bold; }
h2 { border-top: 1px solid #ddd; padding-top: 1rem; }
"""

CLASSIFICATION_COLUMNS = ("labels", "information_linked", "needs_review")
"""Columns that mark an input as classified by ``safetylens classify``."""

MODEL_COLUMNS = ("model_name", "model_sha256")
"""Columns naming the classifier that made the labels, read when the input has them."""


def classification_from_frame(frame, validation: dict | None = None) -> dict | None:
    """How the incidents of a classified input were classified, for the report.

    Reads ``needs_review`` (the share of reports a person should check) and, when present,
    ``model_name`` / ``model_sha256``; the published test figures come from the model card of
    the shipped model when the input names it or names no model. ``validation`` is a dict of
    local validation figures (for example ``{"reports checked": 200, "precision": 0.93}``),
    printed as given. ``None`` for an input that was not classified (an aggregated series).
    """
    columns = set(map(str, frame.columns))
    if not columns & set(CLASSIFICATION_COLUMNS):
        return None if validation is None else {"validation": dict(validation)}
    out: dict = {"n_reports": int(len(frame))}
    if "needs_review" in columns:
        from safetylens.its.series import _flags

        flags = _flags(frame["needs_review"], "needs_review", "input")
        out["share_needing_review"] = float(flags.mean()) if len(flags) else None
    for column in MODEL_COLUMNS:
        if column in columns:
            values = frame[column].dropna().astype(str).unique().tolist()
            out[column] = values[0] if len(values) == 1 else ", ".join(values[:3])
    try:
        from safetylens._modelcard import read_card

        card = read_card()
    except Exception:  # noqa: BLE001 - the report works without the card
        card = None
    if card is not None and out.get("model_sha256", card["model_sha256"]) == card["model_sha256"]:
        out.setdefault("model_name", f"{card.get('name', 'default')} (shipped with safetylens)")
        out["model_sha256_card"] = card["model_sha256"]
        metrics = card.get("test_metrics") or {}
        # One entry per held-out test split (older cards hold one split's metrics).
        splits = {"test split": metrics} if "per_label" in metrics else metrics
        figures = {}
        for name, values in splits.items():
            linked = values.get("any_information_linked") or {}
            figures[f"{name}: reports"] = values.get("n_reports")
            figures[f"{name}: macro F1 over the labels"] = values.get("macro_f1")
            figures[f"{name}: information-linked F1"] = linked.get("f1")
        out["test_figures"] = figures
    if validation is not None:
        out["validation"] = dict(validation)
    return out


def _percent_magnitude(value) -> str:
    return f"{abs(100 * value):.0f}%"


def _amount(value) -> str:
    return f"{abs(value):,.0f}"


_CLI_ADVICE = (
    (r"--model ols --se newey-west", "OLS with Newey-West standard errors"),
    (r"--model (\w+)", r"the \1 model"),
    (r"a higher --ar or --seasonal-ar", "a higher AR order or a seasonal AR term"),
    (r"--period quarter", "quarters rather than months"),
    (r"--count-col", "a count column"),
)


def for_readers(note: str) -> str:
    """A caveat with the command-line advice put in words, for the report.

    Examples
    --------
    >>> for_readers("Consider --model arima, or --model ols --se newey-west.")
    'Consider the arima model, or OLS with Newey-West standard errors.'
    """
    import re

    for pattern, words in _CLI_ADVICE:
        note = re.sub(pattern, words, note)
    return note


def headline(result, outcome_label: str | None = None) -> str:
    """One plain-English sentence (or two) for the analysis: the change in level at the
    first post-rollout period and the cumulative difference after the rollout."""
    what = (outcome_label or result.series.name).strip()
    what = what[:1].upper() + what[1:]
    level = f"{1 - result.alpha:.0%}"
    k = result.first_post - result._s["rollout_at"]
    e = result.effect_at(k)
    rel, low, high = e["relative_effect"], e["relative_ci_low"], e["relative_ci_high"]
    when = "at go-live" if k == 0 else f"after the {k}-period phase-in"
    if result.is_share_model:
        what = f"The share of {what[:1].lower() + what[1:]} among all reported incidents"
    if rel is not None and math.isfinite(rel) and math.isfinite(low) and math.isfinite(high):
        if low > 0 or high < 0:
            verb = "fell" if rel < 0 else "rose"
            lo, hi = sorted((abs(low), abs(high)))
            first = (
                f"{what} {verb} by {_percent_magnitude(rel)} ({level} CI "
                f"{100 * lo:.0f}% to {100 * hi:.0f}%) {when}"
            )
        else:
            first = (
                f"{what} changed by {100 * rel:+.0f}% ({level} CI {100 * low:+.0f}% to "
                f"{100 * high:+.0f}%) {when}: the data are consistent with no change"
            )
    else:
        first = (
            f"{what} changed by {fmt(e['absolute_effect'])} ({level} CI "
            f"{fmt(e['absolute_ci_low'])} to {fmt(e['absolute_ci_high'])}) {when}"
        )
    c = result.cumulative
    if c is None or result.series.outcome != "count":
        return first + "."
    diff, (d_low, d_high) = c["difference"], c["difference_ci"]
    word = "fewer" if diff < 0 else "more"
    if d_low < 0 < d_high:
        return (
            f"{first}. Over the following {c['periods']} {result.period}s there were "
            f"{diff:+,.0f} incidents against the expected number ({level} CI {d_low:+,.0f} to "
            f"{d_high:+,.0f})."
        )
    lo, hi = sorted((abs(d_low), abs(d_high)))
    return (
        f"{first}, about {_amount(diff)} {word} incidents ({_amount(lo)} to {_amount(hi)}) over "
        f"the following {c['periods']} {result.period}s."
    )


def _effects_table(result) -> list[Table]:
    """The board-level tables: ratios (or changes) with human names, and the effects."""
    level = f"{1 - result.alpha:.0%}"
    tables = []
    summary = result.summary
    ratios = result.ratios
    kind = {"log": "rate ratio", "logit": "odds ratio"}.get(result.link, "change")
    rows = []
    for term in ("level_change", "slope_change", "level_change_2", "slope_change_2"):
        if term not in summary.index:
            continue
        source = ratios if ratios is not None else summary
        r = source.loc[term]
        rows.append(
            (
                term_name(term),
                fmt(r["estimate"]),
                f"{fmt(r['ci_low'])} to {fmt(r['ci_high'])}",
                fmt_p(summary.loc[term, "p_value"]),
            )
        )
    tables.append(Table("What changed at the rollout", ("", kind, f"{level} CI", "p"), tuple(rows)))
    tables.append(effects_table(result, level, for_board=True))
    c = result.cumulative
    if c is not None:
        tables.append(cumulative_table(result, c, level))
    return tables


def _sensitivity_table(result) -> Table:
    level = f"{1 - result.alpha:.0%}"

    def cell(change):
        if change is None:
            return "-"
        return (
            f"{fmt(change['estimate'])} ({fmt(change['ci_low'])} to {fmt(change['ci_high'])}), "
            f"p {fmt_p(change['p_value'])}"
        )

    return Table(
        f"Sensitivity: the level and slope change under other reasonable choices ({level} CI)",
        ("specification", "scale", term_name("level_change"), term_name("slope_change")),
        tuple(
            (
                row["specification"],
                row["scale"] or "-",
                cell(row["level_change"])
                if row["error"] is None
                else f"not fitted: {row['error']}",
                cell(row["slope_change"]) if row["error"] is None else "",
            )
            for row in result.sensitivity
        ),
    )


def _classification_section(classification: dict | None) -> list[str]:
    parts = ["<h2>How the incidents were classified</h2>"]
    if classification is None or "n_reports" not in classification:
        parts.append(
            "<p>The input was an aggregated series, so this report cannot say how its incidents "
            "were classified. Say so when presenting it.</p>"
        )
    else:
        rows = [("reports in the input", fmt(classification["n_reports"]))]
        if "model_name" in classification:
            rows.append(("classifier", classification["model_name"]))
        sha = classification.get("model_sha256") or classification.get("model_sha256_card")
        if sha:
            note = (
                ""
                if classification.get("model_sha256")
                else " (the shipped model; the input does not record which model it used)"
            )
            rows.append(("classifier SHA-256", sha + note))
        share = classification.get("share_needing_review")
        if share is not None:
            rows.append(("share of reports flagged for human review", f"{100 * share:.1f}%"))
        for key, value in (classification.get("test_figures") or {}).items():
            if value is not None:
                rows.append((f"published test figure: {key}", fmt(value)))
        parts.append(render_html([Table("Classification", ("", "value"), tuple(rows))]))
    validation = (classification or {}).get("validation")
    if validation:
        parts.append(
            render_html(
                [
                    Table(
                        "Local validation (a sample of these reports checked by hand)",
                        ("", "value"),
                        tuple((str(k), fmt(v)) for k, v in validation.items()),
                    )
                ]
            )
        )
    else:
        parts.append(
            "<p>No local validation was given: the figures above come from the model's own "
            "test set, not from these reports. Check a random sample of them by hand before "
            "relying on the counts.</p>"
        )
    parts.append(
        '<p class="caveat">Misclassification that changes at the go-live biases the counts: '
        "if the new system changes how incidents are written up (templates, drop-down "
        "categories, who reports), the classifier may find more or fewer information-linked "
        "incidents without any change in what happened.</p>"
    )
    return parts


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
    "Turner SL, Karahalios A, Forbes AB, et al. Comparison of six statistical methods for "
    "interrupted time series studies: empirical evaluation of 190 published series. BMC Med "
    "Res Methodol. 2021;21:134.",
)


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


def html_report(
    results,
    *,
    source: str | None = None,
    plots: list | None = None,
    title: str | None = None,
    outcome_label: str | None = None,
    horizon: int | None = None,
    prespecified: bool = False,
    classification: dict | None = None,
) -> str:
    """A self-contained HTML page to hand to a board.

    Parameters
    ----------
    results : list of ITSResult or FailedAnalysis
    source : str, optional
        Input file name, shown under the title.
    plots : list of bytes, optional
        PNG images, one per result (``None`` for a failed one); drawn here when not given.
    title : str, optional
        The report's title (default: "Interrupted time-series analysis").
    outcome_label : str, optional
        What is counted, in words, for the headlines and axis labels.
    horizon : int, optional
        Periods past the rollout over which the counterfactual band is drawn.
    prespecified : bool, default=False
        Whether the analysis was specified before the data were seen; stated only then.
    classification : dict, optional
        From :func:`classification_from_frame` (model, SHA-256, share needing review and,
        under ``"validation"``, local validation figures).

    Returns
    -------
    str
    """
    from safetylens.its.analysis import FailedAnalysis

    if plots is None:
        plots = [
            None
            if isinstance(r, FailedAnalysis)
            else figure_png(r, horizon=horizon, outcome_label=outcome_label)
            for r in results
        ]
    heading = title or "Interrupted time-series analysis"
    made = f"Made by safetylens on {dt.date.today().isoformat()}"
    body = [
        f"<h1>{html.escape(heading)}</h1>",
        f"<p>{html.escape(made)}" + (f" from {html.escape(source)}" if source else "") + ".</p>",
        "<h2>Summary</h2>",
    ]
    fitted = [r for r in results if not isinstance(r, FailedAnalysis)]
    for i, result in enumerate(results, start=1):
        if isinstance(result, FailedAnalysis):
            body.append(
                f'<p class="error">{i}. {html.escape(str(result.group))}: could not be '
                f"analysed: {html.escape(result.error)}</p>"
            )
            continue
        body.append(
            f'<p class="headline">{i}. {html.escape(result.title)}: '
            f"{html.escape(headline(result, outcome_label))}</p>"
        )
    body.append(
        '<p class="caveat">These are rates of <em>reported</em> incidents, not rates of harm: '
        "reporting depends on culture, staffing and the reporting system, and a rollout can "
        "change reporting as well as safety.</p>"
    )
    if prespecified:
        body.append(
            "<p>The analysis (model, impact terms, seasonality, phase-in) was specified before "
            "the data were seen.</p>"
        )
    body.append(render_html([_data_summary(fitted)]) if fitted else "")
    for i, (result, png) in enumerate(zip(results, plots, strict=True), start=1):
        if isinstance(result, FailedAnalysis):
            continue
        body.append(f"<h2>{i}. {html.escape(result.title)}</h2>")
        body.append(f'<p class="headline">{html.escape(headline(result, outcome_label))}</p>')
        encoded = base64.b64encode(png).decode("ascii")
        body.append(
            f'<img alt="{html.escape(result.title)}" src="data:image/png;base64,{encoded}">'
        )
        body.append(render_html(_effects_table(result)))
        if result.sensitivity:
            body.append(render_html([_sensitivity_table(result)]))
        if result.notes:
            body.append("<h3>Caveats</h3><ol>")
            body.extend(
                f'<li class="caveat">{html.escape(for_readers(n))}</li>' for n in result.notes
            )
            body.append("</ol>")
    body.extend(_classification_section(classification))
    body.append("<h2>Appendix: methods, estimates and diagnostics</h2>")
    for i, result in enumerate(results, start=1):
        if isinstance(result, FailedAnalysis):
            continue
        body.append(f"<h3>{i}. {html.escape(result.title)}</h3>")
        body.append(f"<p>{html.escape(methods_text(result))}</p>")
        tables = [t for t in result_tables(result, human=True) if t.title != "Notes"]
        body.append(render_html(tables))
    body.append("<h2>References</h2><ol>")
    body.extend(f"<li>{html.escape(ref)}</li>" for ref in REFERENCES)
    body.append("</ol>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(heading)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
