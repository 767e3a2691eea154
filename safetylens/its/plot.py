"""The ITS plot: observed points, fitted lines, the counterfactual with its band, the rollout.

Drawn on a :class:`matplotlib.figure.Figure` (never pyplot), so it works on the ``Agg``
backend, in scripts and in notebooks alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_PERIOD_LABEL = {
    "month": "Month",
    "week": "Week (Monday start)",
    "quarter": "Quarter",
    "year": "Year",
}


def new_axes(figsize=(8.0, 4.5)):
    """A fresh Axes on its own Figure (no pyplot global state)."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained").subplots()


def plot_result(result, ax=None, *, horizon: int | None = None, outcome_label: str | None = None):
    """Draw ``result`` on ``ax`` (a new figure when ``None``) and return the Axes.

    The counterfactual (line and band) is drawn from the rollout period for at most
    ``horizon`` periods (default :attr:`~safetylens.its.results.ITSResult.default_horizon`):
    extrapolated further, the band only shows how little is known. The legend sits outside
    the data, to the right.

    Lines drawn: the fitted line before and after the rollout, the counterfactual (dashed,
    from the rollout period on) and the rollout (dotted vertical); in a controlled analysis
    also the control's fitted line. Observed values are points; the counterfactual's interval
    and the phase-in are shaded.

    Examples
    --------
    >>> from safetylens.its import PeriodSeries, SegmentedRegression
    >>> s = PeriodSeries.from_arrays("2021-01", counts=[9, 11, 10, 12, 6, 7, 5, 6])
    >>> ax = SegmentedRegression(model="poisson").fit(s, rollout="2021-05").plot()
    >>> ax.get_ylabel(), len(ax.get_lines())
    ('incidents per month', 4)
    """
    if ax is None:
        ax = new_axes(figsize=(9.5, 4.5))
    phase = result.phase
    index = result.series.data.index
    x = index.start_time
    observed = result.observed_rate().to_numpy()
    fitted = result.fitted_rate().to_numpy()
    band = result.counterfactual()
    pre, post = phase == "pre", phase == "post"
    horizon = result.default_horizon if horizon is None else max(int(horizon), 1)
    position = np.arange(len(phase))
    after = ~pre & (position < int(np.flatnonzero(~pre)[0]) + horizon)
    ax.scatter(x, observed, s=16, color="#1f4e79", zorder=3, label="observed")
    ax.plot(x[pre], fitted[pre], color="#1f4e79", linewidth=2, label="fitted before rollout")
    ax.plot(x[post], fitted[post], color="#c0392b", linewidth=2, label="fitted after rollout")
    ax.plot(
        x[after],
        band["counterfactual"].to_numpy()[after],
        color="#7f7f7f",
        linestyle="--",
        linewidth=1.5,
        label=f"counterfactual (no rollout), {int(after.sum())} {result.period}s",
    )
    ax.fill_between(
        x[after],
        band["ci_low"].to_numpy()[after],
        band["ci_high"].to_numpy()[after],
        color="#7f7f7f",
        alpha=0.2,
        linewidth=0,
        label=f"counterfactual {1 - result.alpha:.0%} interval",
    )
    rollout_x = pd.Timestamp(result.rollout)
    ax.axvline(
        rollout_x,
        color="black",
        linestyle=":",
        linewidth=1.2,
        label=f"rollout {result.rollout.isoformat()}",
    )
    if result.n_phase_in:
        start = index[np.flatnonzero(phase == "phase_in")[0]].start_time
        end = index[result.first_post].start_time
        ax.axvspan(
            start, end, color="#f0b27a", alpha=0.3, linewidth=0, label="phase-in (not fitted)"
        )
    if result.controlled:
        control = result.control_rates()
        ax.scatter(
            x, control["observed"], s=12, marker="x", color="#27ae60", label="control observed"
        )
        ax.plot(x, control["fitted"], color="#27ae60", linewidth=1.2, label="control fitted")
    ax.set_xlabel(_PERIOD_LABEL[result.period])
    ax.set_ylabel(result.rate_unit if outcome_label is None else _unit(result, outcome_label))
    import textwrap

    ax.set_title("\n".join(textwrap.wrap(result.title, 90)), fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    ax.grid(alpha=0.3)
    return ax


def _unit(result, label: str) -> str:
    """The rate unit with the series' own name replaced by the user's words."""
    return result.rate_unit.replace(result.series.name, label, 1)


def figure_png(result, dpi: int = 110, **options) -> bytes:
    """The plot of ``result`` as PNG bytes (``options`` as for :func:`plot_result`)."""
    import io

    ax = plot_result(result, new_axes(figsize=(9.5, 4.5)), **options)
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
