"""A self-contained HTML report of one or more ITS analyses (plots embedded as PNG)."""

from __future__ import annotations

import base64
import datetime as dt
import html

from safetylens.its.methods import methods_text
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
