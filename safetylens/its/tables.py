"""One renderer for result tables: the terminal, notebooks and the HTML report share it.

:func:`result_tables` turns a result into plain tables of formatted strings;
:func:`render_text` and :func:`render_html` only lay them out, so every output shows the same
numbers with the same rounding.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """A titled table of already formatted cells."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def fmt(value) -> str:
    """Format a number for a table: 4 decimals, or 4 significant digits when tiny or huge.

    Examples
    --------
    >>> fmt(0.87776), fmt(-20.05809), fmt(0.0000123), fmt(float("nan")), fmt(12)
    ('0.8778', '-20.0581', '1.23e-05', 'NA', '12')
    """
    if value is None:
        return "NA"
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if not math.isfinite(value):
        return "NA"
    if value != 0 and (abs(value) < 0.001 or abs(value) >= 1e6):
        return f"{value:.4g}"
    return f"{value:.4f}"


def fmt_p(value) -> str:
    """Format a p-value.

    Examples
    --------
    >>> fmt_p(0.4279), fmt_p(0.00001)
    ('0.428', '<0.001')
    """
    if value is None or not math.isfinite(float(value)):
        return "NA"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


_TERM_NAMES = {
    "intercept": "baseline level (first period)",
    "time": "trend before the rollout (per period)",
    "level_change": "change in level at the rollout",
    "slope_change": "change in trend after the rollout (per period)",
    "level_change_2": "change in level at the second rollout",
    "slope_change_2": "change in trend after the second rollout (per period)",
    "treated": "group minus control: baseline level",
    "treated_time": "group minus control: trend before the rollout",
    "control_level_change": "control's own change in level",
    "control_slope_change": "control's own change in trend",
    "control_level_change_2": "control's own change in level at the second rollout",
    "control_slope_change_2": "control's own change in trend after the second rollout",
}
_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def term_name(term: str) -> str:
    """A term's name in words, for readers of the report.

    Examples
    --------
    >>> term_name("level_change"), term_name("sin2"), term_name("month_3"), term_name("beds")
    ('change in level at the rollout', 'seasonal wave 2 (sine)', 'March', 'beds')
    """
    if term in _TERM_NAMES:
        return _TERM_NAMES[term]
    match = re.fullmatch(r"(sin|cos)(\d+)", term)
    if match:
        kind = "sine" if match.group(1) == "sin" else "cosine"
        return f"seasonal wave {match.group(2)} ({kind})"
    match = re.fullmatch(r"(month|quarter)_(\d+)", term)
    if match:
        number = int(match.group(2))
        return _MONTHS[number - 1] if match.group(1) == "month" else f"quarter {number}"
    return term


def result_tables(result, *, human: bool = False) -> list[Table]:
    """The tables describing one :class:`~safetylens.its.results.ITSResult` (with
    ``human=True``, terms are named in words with the code name in brackets)."""
    level = f"{1 - result.alpha:.0%}"
    tables = []
    summary = result.summary

    def name(term: str) -> str:
        words = term_name(term)
        return f"{words} [{term}]" if human and words != term else term

    tables.append(
        Table(
            {
                "log": "Estimates (model scale: log rate)",
                "logit": "Estimates (model scale: log odds)",
            }.get(result.link, "Estimates"),
            ("term", "estimate", "SE", f"{level} CI low", f"{level} CI high", "p"),
            tuple(
                (
                    name(term),
                    fmt(r.estimate),
                    fmt(r.se),
                    fmt(r.ci_low),
                    fmt(r.ci_high),
                    fmt_p(r.p_value),
                )
                for term, r in summary.iterrows()
            ),
        )
    )
    if result.ratios is not None:
        kind = "rate ratio" if result.link == "log" else "odds ratio"
        tables.append(
            Table(
                kind.capitalize() + "s",
                ("term", kind, f"{level} CI low", f"{level} CI high"),
                tuple(
                    (name(term), fmt(r.estimate), fmt(r.ci_low), fmt(r.ci_high))
                    for term, r in result.ratios.iterrows()
                ),
            )
        )
    trend = result.post_trend
    if trend is not None:
        tables.append(
            Table(
                "Trend after the rollout (per period, model scale)",
                ("estimate", "SE", f"{level} CI low", f"{level} CI high", "p"),
                (
                    (
                        fmt(trend["estimate"]),
                        fmt(trend["se"]),
                        fmt(trend["ci_low"]),
                        fmt(trend["ci_high"]),
                        fmt_p(trend["p_value"]),
                    ),
                ),
            )
        )
    tables.append(effects_table(result, level))
    cumulative = result.cumulative
    if cumulative is not None:
        tables.append(cumulative_table(result, cumulative, level))
    rows = []
    for key, value in result.diagnostics.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {fmt(v)}" for k, v in value.items())
        rows.append((key.replace("_", " "), value if isinstance(value, str) else fmt(value)))
    tables.append(Table("Diagnostics", ("diagnostic", "value"), tuple(rows)))
    tables.append(
        Table(
            "Notes",
            ("", "note"),
            tuple((f"[{i}]", note) for i, note in enumerate(result.notes, start=1))
            or (("", "None: no caveats were found."),),
        )
    )
    return tables


def effects_table(result, level: str, *, for_board: bool = False) -> Table:
    """The effect at each ``at`` period: with and without the rollout, their difference and
    the relative change, each with its interval. ``for_board`` words it for the HTML report."""
    if for_board:
        title = f"Effect by period ({result.rate_unit})"
        columns = ("period", "with the rollout", "without (expected)", "difference")
        columns += (f"{level} CI", "relative", f"{level} CI")
    else:
        title = f"Effects ({result.rate_unit})"
        columns = ("periods after rollout", "period", "with rollout", "without (counterfactual)")
        columns += ("absolute effect", f"{level} CI", "relative effect", f"{level} CI")
    rows = []
    for e in result.effects.itertuples():
        when = (
            (f"{e.period} ({e.at} after the rollout period)",)
            if for_board
            else (
                str(e.at),
                e.period,
            )
        )
        rows.append(
            (
                *when,
                fmt(e.fitted),
                fmt(e.counterfactual),
                fmt(e.absolute_effect),
                f"{fmt(e.absolute_ci_low)} to {fmt(e.absolute_ci_high)}",
                percent(e.relative_effect),
                f"{percent(e.relative_ci_low)} to {percent(e.relative_ci_high)}",
            )
        )
    return Table(title, columns, tuple(rows))


_fmt = fmt


def cumulative_table(result, c: dict, level: str) -> Table:
    """The cumulative effect: observed against expected totals after the rollout."""
    counts = c["unit"] == "incidents"

    def fmt(value):  # whole incidents for counts
        return f"{value:,.0f}" if counts and value is not None else _fmt(value)

    return Table(
        f"Cumulative effect, {c['from']} to {c['to']} ({c['periods']} {result.period}s, "
        f"{c['unit']})",
        (
            "observed",
            "expected",
            f"{level} CI",
            "difference",
            f"{level} CI",
            "relative",
            f"{level} CI",
        ),
        (
            (
                fmt(c["observed"]),
                fmt(c["expected"]),
                f"{fmt(c['expected_ci'][0])} to {fmt(c['expected_ci'][1])}",
                fmt(c["difference"]),
                f"{fmt(c['difference_ci'][0])} to {fmt(c['difference_ci'][1])}",
                percent(c["relative"]),
                f"{percent(c['relative_ci'][0])} to {percent(c['relative_ci'][1])}",
            ),
        ),
    )


def percent(value) -> str:
    """A relative change as a signed percentage (``+12.3%``), ``NA`` when not finite."""
    if value is None or not math.isfinite(float(value)):
        return "NA"
    return f"{100 * value:+.1f}%"


_NUMERIC = re.compile(r"[<+-]?\d|NA$")


def render_text(tables: list[Table], title: str | None = None) -> str:
    """Lay tables out as plain text; columns of numbers are right-aligned.

    Examples
    --------
    >>> print(render_text([Table("T", ("name", "b"), (("x", "1.5"), ("y", "22.25")))]))
    T
    name      b
    ----  -----
    x       1.5
    y     22.25
    """
    blocks = [title, "=" * len(title)] if title else []
    for table in tables:
        widths = [
            max([len(c)] + [len(r[i]) for r in table.rows]) for i, c in enumerate(table.columns)
        ]
        right = [
            bool(table.rows) and all(_NUMERIC.match(r[i]) for r in table.rows)
            for i in range(len(table.columns))
        ]

        def line(cells, widths=widths, right=right):
            return "  ".join(
                c.rjust(w) if r else c.ljust(w)
                for c, w, r in zip(cells, widths, right, strict=True)
            ).rstrip()

        blocks.append(
            "\n".join(
                [
                    table.title,
                    line(table.columns),
                    "  ".join("-" * w for w in widths),
                    *(line(row) for row in table.rows),
                ]
            )
        )
        blocks.append("")
    return "\n".join(blocks).rstrip()


def _cell(value: str) -> str:
    numeric = _NUMERIC.match(value) and not re.search(r"[A-Za-z]{2}", value)
    kind = "" if numeric else ' class="text"'
    return f"<td{kind}>{html.escape(value)}</td>"


def render_html(tables: list[Table]) -> str:
    """Lay tables out as HTML (every cell escaped); text cells are marked ``class="text"``
    (left-aligned), numbers are right-aligned.

    Examples
    --------
    >>> print(render_html([Table("T", ("a", "b"), (("<x>", "1.5"),))]))
    <h3>T</h3>
    <table>
    <tr><th>a</th><th>b</th></tr>
    <tr><td class="text">&lt;x&gt;</td><td>1.5</td></tr>
    </table>
    """
    parts = []
    for table in tables:
        parts.append(f"<h3>{html.escape(table.title)}</h3>")
        parts.append("<table>")
        parts.append(
            "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in table.columns) + "</tr>"
        )
        for row in table.rows:
            parts.append("<tr>" + "".join(_cell(v) for v in row) + "</tr>")
        parts.append("</table>")
    return "\n".join(parts)
