"""The immutable result of a segmented regression."""

from __future__ import annotations

import datetime as dt
import math
import sys

import numpy as np
import pandas as pd

from safetylens.its import prediction
from safetylens.its.controlled import control_view
from safetylens.its.design import CHANGE_TERMS, counterfactual_design
from safetylens.its.options import COUNT_MODELS, SHARE_MODELS
from safetylens.its.series import PeriodSeries

SUMMARY_COLUMNS = ["estimate", "se", "ci_low", "ci_high", "p_value"]
"""Columns of :attr:`ITSResult.summary`."""

_SLOPE_TERMS = ("slope_change", "control_slope_change")
_SECOND_SLOPE_TERMS = ("slope_change_2", "control_slope_change_2")
_LEVEL_TERMS = ("level_change", "control_level_change")


def _json_number(value):
    """A float for JSON: ``None`` for NaN or infinity."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class ITSResult:
    """Result of :meth:`SegmentedRegression.fit`; read-only.

    Attributes
    ----------
    model : str
    group : str or None
    rollout : datetime.date
    n_pre, n_post, n_phase_in : int
        Periods before the rollout, after it (after the phase-in), and in the phase-in.
    params, bse, pvalues : pandas.Series
        On the model's scale (log rate for count models).
    summary : pandas.DataFrame
        ``estimate, se, ci_low, ci_high, p_value`` per term.
    rate_ratios, odds_ratios : pandas.DataFrame or None
        Count models (share models): ``exp`` of the change terms with intervals.
    effects : pandas.DataFrame
        Absolute and relative effect at each ``at`` (one interval on the model's scale).
    cumulative : dict or None
        Observed against expected totals after the rollout, with intervals.
    sensitivity : tuple of dict
        The alternative specifications, when asked for (``run_analyses(sensitivity=True)``).
    rollouts : tuple of datetime.date
        Every rollout date (two for a pilot, then the full rollout).
    diagnostics : dict
    notes : tuple of str
        The fit's caveats (too few periods, autocorrelation left, overdispersion, ...), also
        emitted as :class:`~safetylens.exceptions.ModelWarning`.
    methods : str
        How the model was estimated, in words (:mod:`safetylens.its.methods`).

    Examples
    --------
    >>> from safetylens.its import PeriodSeries, SegmentedRegression
    >>> values = [5.0, 5.2, 5.1, 5.4, 5.3, 5.6, 4.1, 4.2, 4.4, 4.3, 4.6, 4.5]
    >>> series = PeriodSeries.from_arrays("2021-01", values=values)
    >>> result = SegmentedRegression(model="ols").fit(series, rollout="2021-07-01")
    >>> result  # doctest: +NORMALIZE_WHITESPACE
    <ITSResult ols month, rollout 2021-07-01: 6 pre, 6 post;
     level_change -1.498 (95% CI -1.78 to -1.216)>
    >>> list(result.summary.columns)
    ['estimate', 'se', 'ci_low', 'ci_high', 'p_value']
    """

    def __init__(
        self,
        *,
        settings: dict,
        series: PeriodSeries,
        controls: tuple,
        control_names: tuple,
        group,
        rollout: dt.date,
        rollout_at: int,
        phase: np.ndarray,
        designs: tuple,
        params: pd.Series,
        cov: pd.DataFrame,
        ci_df,
        p_df,
        covariance: str,
        diagnostics: dict,
        notes: tuple,
        interval_cov: pd.DataFrame | None = None,
        rollouts: tuple = (),
        sensitivity: tuple = (),
    ):
        state = dict(locals())
        del state["self"]
        object.__setattr__(self, "_s", state)

    def replace(self, **changes) -> ITSResult:
        """A copy with some of the stored parts changed (the result itself never changes)."""
        return ITSResult(**(self._s | changes))

    @property
    def sensitivity(self) -> tuple:
        """Rows of the sensitivity analysis (empty unless asked for; see
        :mod:`safetylens.its.sensitivity`)."""
        return self._s["sensitivity"]

    def __setattr__(self, name, value):
        raise AttributeError("ITSResult is read-only")

    # ------------------------------------------------------------------ basics
    @property
    def model(self) -> str:
        return self._s["settings"]["model"]

    @property
    def settings(self) -> dict:
        """The settings the model was fitted with."""
        return dict(self._s["settings"])

    @property
    def series(self) -> PeriodSeries:
        return self._s["series"]

    @property
    def group(self):
        return self._s["group"]

    @property
    def control_groups(self) -> tuple:
        """Names of the control groups (empty when uncontrolled)."""
        return self._s["control_names"]

    @property
    def controlled(self) -> bool:
        return bool(self._s["controls"])

    @property
    def rollout(self) -> dt.date:
        return self._s["rollout"]

    @property
    def period(self) -> str:
        return self.series.period

    @property
    def alpha(self) -> float:
        return self._s["settings"]["alpha"]

    @property
    def phase(self) -> np.ndarray:
        """``pre``, ``phase_in`` or ``post`` for each period."""
        return self._s["phase"].copy()

    @property
    def n_pre(self) -> int:
        return int((self._s["phase"] == "pre").sum())

    @property
    def n_post(self) -> int:
        return int((self._s["phase"] == "post").sum())

    @property
    def n_phase_in(self) -> int:
        return int((self._s["phase"] == "phase_in").sum())

    @property
    def rollout_period(self) -> pd.Period:
        return self.series.data.index[self._s["rollout_at"]]

    @property
    def first_post(self) -> int:
        return self._s["rollout_at"] + self._s["settings"]["phase_in"]

    @property
    def is_count_model(self) -> bool:
        """Log-link count model (rate ratios)."""
        return self.model in COUNT_MODELS

    @property
    def is_share_model(self) -> bool:
        """Logit-link model of a share (odds ratios)."""
        return self.model in SHARE_MODELS

    @property
    def link(self) -> str:
        """``"log"``, ``"logit"`` or ``"identity"``: how the terms relate to the mean."""
        return "log" if self.is_count_model else ("logit" if self.is_share_model else "identity")

    @property
    def rollouts(self) -> tuple:
        """Every rollout date (a second one when two interruptions were modelled)."""
        return self._s["rollouts"]

    @property
    def design(self) -> pd.DataFrame:
        """The design matrix of the series under study, one row per period (phase-in
        included), with the term names as columns."""
        return self._s["designs"][0].copy()

    @property
    def params(self) -> pd.Series:
        return self._s["params"].copy()

    def cov_params(self) -> pd.DataFrame:
        """Covariance matrix of the estimates."""
        return self._s["cov"].copy()

    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self._s["cov"])), index=self._s["params"].index)

    @property
    def _interval_cov(self) -> pd.DataFrame:
        """The covariance behind intervals and p-values: ``cov`` unless a small-sample
        adjusted one travels with the fit (arima: ML standard errors, REML intervals)."""
        adjusted = self._s["interval_cov"]
        return self._s["cov"] if adjusted is None else adjusted

    @property
    def _interval_se(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self._interval_cov)), index=self._s["params"].index)

    def _quantile(self, alpha: float | None = None) -> float:
        return prediction.quantile(self.alpha if alpha is None else alpha, self._s["ci_df"])

    @property
    def ci_df(self):
        """Degrees of freedom of the t quantile for intervals (``None``: normal quantile)."""
        return self._s["ci_df"]

    @property
    def covariance(self) -> str:
        """How the standard errors were computed, in words."""
        return self._s["covariance"]

    @property
    def uses_adjusted_intervals(self) -> bool:
        """Whether intervals use a small-sample covariance other than the one of ``bse``."""
        return self._s["interval_cov"] is not None

    @property
    def pvalues(self) -> pd.Series:
        with np.errstate(divide="ignore", invalid="ignore"):
            return pd.Series(
                prediction.p_value(self.params / self._interval_se, self._s["p_df"]),
                index=self.params.index,
            )

    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """Intervals: estimate -/+ quantile x SE, with the normal quantile or t on ``ci_df``
        (t for ``ols``, ``arima`` with adjusted intervals and REML, normal for GLMs and arima
        with ``arima_intervals="wald"``).

        Returns
        -------
        pandas.DataFrame
            Columns ``ci_low``, ``ci_high``, one row per term.
        """
        q = self._quantile(alpha)
        params, se = self.params, self._interval_se
        return pd.DataFrame({"ci_low": params - q * se, "ci_high": params + q * se})

    @property
    def summary(self) -> pd.DataFrame:
        out = pd.DataFrame({"estimate": self.params, "se": self.bse})
        out = out.join(self.conf_int())
        out["p_value"] = self.pvalues
        return out[SUMMARY_COLUMNS]

    def _ratios(self) -> pd.DataFrame:
        terms = [t for t in CHANGE_TERMS if t in self._s["params"].index]
        table = self.summary.loc[terms, ["estimate", "ci_low", "ci_high"]]
        return np.exp(table)

    @property
    def rate_ratios(self) -> pd.DataFrame | None:
        """Count models: ``exp`` of the change terms, with intervals."""
        return self._ratios() if self.is_count_model else None

    @property
    def odds_ratios(self) -> pd.DataFrame | None:
        """Share models: ``exp`` of the change terms (odds ratios), with intervals."""
        return self._ratios() if self.is_share_model else None

    @property
    def ratios(self) -> pd.DataFrame | None:
        """The rate ratios or the odds ratios, whichever the model has."""
        return self._ratios() if self.link != "identity" else None

    def lincom(self, weights: dict) -> dict:
        """A linear combination of the estimates, as Stata's ``lincom``.

        Parameters
        ----------
        weights : dict
            Term name to weight, e.g. ``{"time": 1, "slope_change": 1}``.

        Returns
        -------
        dict
            ``estimate, se, ci_low, ci_high, p_value`` on the model's scale.
        """
        w = pd.Series(weights, dtype=float).reindex(self._s["params"].index, fill_value=0.0)
        estimate = float(w @ self._s["params"])
        se = float(np.sqrt(w @ self._s["cov"] @ w))
        interval_se = float(np.sqrt(w @ self._interval_cov @ w))
        q = self._quantile()
        with np.errstate(divide="ignore", invalid="ignore"):
            p = float(prediction.p_value(estimate / interval_se, self._s["p_df"]))
        return {
            "estimate": estimate,
            "se": se,
            "ci_low": estimate - q * interval_se,
            "ci_high": estimate + q * interval_se,
            "p_value": p,
        }

    @property
    def post_trend(self) -> dict | None:
        """The group's trend after the rollout (``time`` + ``slope_change``, and the group and
        control terms in a controlled analysis), per period, on the model's scale."""
        names = ("time", "treated_time", *_SLOPE_TERMS, *_SECOND_SLOPE_TERMS)
        terms = [t for t in names if t in self._s["params"].index]
        return self.lincom(dict.fromkeys(terms, 1.0)) if terms else None

    @property
    def diagnostics(self) -> dict:
        return dict(self._s["diagnostics"])

    @property
    def notes(self) -> tuple:
        """The fit's caveats, in the order they were found."""
        return self._s["notes"]

    @property
    def methods(self) -> str:
        """How the model was estimated, in words (the text the report prints)."""
        from safetylens.its.methods import methods_text

        return methods_text(self)

    # ------------------------------------------------------------------ predictions
    @property
    def has_denominator(self) -> bool:
        """Whether the series has a denominator (rates rather than counts per period)."""
        return "denominator" in self.series.data.columns

    @property
    def rate_unit(self) -> str:
        """What the rate scale measures, for axis labels and tables."""
        s = self.series
        if s.outcome == "value":
            return s.name
        if self.has_total:
            return f"{s.name} (% of all incidents)"
        if self.has_denominator:
            per = self._s["settings"]["per"]
            unit = (s.denominator_name or "denominator").replace("_", " ")
            return f"{s.name} per {per:,g} {unit}"
        return f"{s.name} per {s.period}"

    @property
    def has_total(self) -> bool:
        """Whether the series is a share: a count out of a total per period."""
        return "total" in self.series.data.columns

    def _rate_multiplier(self) -> float:
        if self.is_share_model:
            return 100.0
        per = self._s["settings"]["per"]
        return per if (self.is_count_model and self.has_denominator) else 1.0

    def _predict(self, X: np.ndarray, alpha: float | None = None):
        """Mean on the rate scale, with a pointwise interval, for design rows ``X``."""
        return prediction.predict(
            X,
            self._s["params"].to_numpy(),
            self._interval_cov.to_numpy(),
            self._quantile(alpha),
            link=self.link,
            multiplier=self._rate_multiplier(),
        )

    def _column_weights(self) -> np.ndarray:
        """Per period: what turns the rate scale back into the outcome column's scale."""
        data = self.series.data
        if self.series.outcome == "value":
            return np.ones(len(data))
        if self.has_total:
            return data["total"].to_numpy() / 100
        if self.has_denominator:
            return data["denominator"].to_numpy() / self._s["settings"]["per"]
        return np.ones(len(data))

    def _to_column_scale(self, rate: np.ndarray) -> np.ndarray:
        """Rates back to the scale of the ``count`` / ``value`` column (expected counts)."""
        return rate * self._column_weights()

    def observed_rate(self) -> pd.Series:
        """The observed outcome on the rate scale (a share in percent for shares)."""
        data = self.series.data
        if self.series.outcome == "value":
            return data["value"].copy()
        if self.has_total:
            return data["count"] / data["total"] * 100
        if self.has_denominator:
            return data["count"] / data["denominator"] * self._s["settings"]["per"]
        return data["count"].copy()

    def fitted_rate(self) -> pd.Series:
        """Fitted values on the rate scale, one per period (phase-in periods included)."""
        mean, _, _ = self._predict(self._s["designs"][0].to_numpy(float))
        return pd.Series(mean, index=self.series.data.index)

    def counterfactual(self, alpha: float | None = None) -> pd.DataFrame:
        """The pre-rollout model extended over every period, on the rate scale.

        Returns
        -------
        pandas.DataFrame
            Columns ``counterfactual, ci_low, ci_high``, indexed by period.
        """
        X = counterfactual_design(self._s["designs"][0]).to_numpy(float)
        mean, low, high = self._predict(X, alpha)
        return pd.DataFrame(
            {"counterfactual": mean, "ci_low": low, "ci_high": high}, index=self.series.data.index
        )

    def control_rates(self) -> pd.DataFrame | None:
        """Controlled analyses: the controls' observed mean rate and fitted rate per period."""
        if not self.controlled:
            return None
        per = self._s["settings"]["per"]
        observed = []
        for unit in self._s["controls"]:
            data = unit.data.reindex(self.series.data.index)
            if unit.outcome == "value":
                observed.append(data["value"])
            elif "total" in data.columns:
                observed.append(data["count"] / data["total"] * 100)
            elif "denominator" in data.columns:
                observed.append(data["count"] / data["denominator"] * per)
            else:
                observed.append(data["count"])
        fitted, _, _ = self._predict(control_view(self._s["designs"][0]).to_numpy(float))
        return pd.DataFrame(
            {"observed": pd.concat(observed, axis=1).mean(axis=1), "fitted": fitted},
            index=self.series.data.index,
        )

    def _post_row(self, position: int) -> pd.Series:
        """Design row at ``position`` with the change terms as after the rollout."""
        row = self._s["designs"][0].iloc[position].copy()
        for term in _LEVEL_TERMS:
            if term in row.index:
                row[term] = 1.0
        for term in _SLOPE_TERMS:
            if term in row.index:
                row[term] = float(position - self.first_post)
        return row

    def effect_at(self, k: int) -> dict:
        """The effect ``k`` periods after the rollout period (0 is the rollout period):
        fitted with the rollout against the counterfactual, absolute and relative, with
        intervals from one interval on the model's scale
        (:func:`~safetylens.its.prediction.effect_at`)."""
        position = self._s["rollout_at"] + k
        x1 = self._post_row(position)
        x0 = x1.copy()
        for term in CHANGE_TERMS:
            if term in x0.index:
                x0[term] = 0.0
        effect = prediction.effect_at(
            x1.to_numpy(float),
            x0.to_numpy(float),
            self._s["params"].to_numpy(),
            self._interval_cov.to_numpy(),
            self._quantile(),
            link=self.link,
            multiplier=self._rate_multiplier(),
        )
        return {"at": int(k), "period": str(self.series.data.index[position]), **effect}

    @property
    def effects(self) -> pd.DataFrame:
        """Absolute and relative effects at each ``at``, rollout versus counterfactual
        (see :meth:`effect_at`)."""
        return pd.DataFrame([self.effect_at(k) for k in self._s["settings"]["at"]])

    @property
    def default_horizon(self) -> int:
        """How far past the rollout a counterfactual band is drawn by default: half the
        pre-rollout periods, at least 6, at most to the end of the data."""
        available = len(self.series) - self._s["rollout_at"]
        return int(min(available, max(6, self.n_pre // 2)))

    @property
    def cumulative(self) -> dict | None:
        """Observed against expected (counterfactual) totals after the rollout.

        The window runs from the first post-rollout period to the last ``at`` (by default the
        last period). Totals are on the outcome column's scale (incidents for counts and
        shares), with ``[low, high]`` intervals for the expected total, the difference and the
        relative difference, all from one interval (see
        :func:`~safetylens.its.prediction.cumulative`). ``None`` when the window is empty.
        """
        start = self.first_post
        end = self._s["rollout_at"] + max(self._s["settings"]["at"])
        if end < start:
            return None
        window = slice(start, end + 1)
        X0 = counterfactual_design(self._s["designs"][0]).to_numpy(float)[window]
        outcome = self.series.outcome
        out = prediction.cumulative(
            self.series.data[outcome].to_numpy()[window],
            X0,
            self._column_weights()[window] * self._rate_multiplier(),
            self._s["params"].to_numpy(),
            self._interval_cov.to_numpy(),
            self._quantile(),
            link=self.link,
        )
        index = self.series.data.index
        return {
            "from": str(index[start]),
            "to": str(index[end]),
            "periods": end - start + 1,
            "unit": self.series.name if outcome == "value" else "incidents",
            **out,
        }

    def series_table(self) -> pd.DataFrame:
        """One row per period: the outcome, denominator, fitted, counterfactual and phase.

        ``fitted`` and ``counterfactual`` are on the scale of the outcome column (expected
        counts for counts).
        """
        data = self.series.data
        outcome = self.series.outcome
        table = pd.DataFrame(
            {
                "period": data.index.astype(str),
                outcome: data[outcome].to_numpy(),
                "denominator": data["denominator"].to_numpy() if self.has_denominator else np.nan,
                **({"total": data["total"].to_numpy()} if self.has_total else {}),
                "fitted": self._to_column_scale(self.fitted_rate().to_numpy()),
                "counterfactual": self._to_column_scale(
                    self.counterfactual()["counterfactual"].to_numpy()
                ),
                "phase": self._s["phase"],
            }
        )
        return table

    # ------------------------------------------------------------------ output
    def to_dict(self) -> dict:
        """A JSON-safe dict with the keys of the ``--json`` output.

        Examples
        --------
        >>> import json
        >>> from safetylens.its import PeriodSeries, SegmentedRegression
        >>> s = PeriodSeries.from_arrays("2021-01", counts=[9, 11, 10, 12, 6, 7, 5, 6])
        >>> d = SegmentedRegression(model="poisson").fit(s, rollout="2021-05").to_dict()
        >>> sorted(d)  # doctest: +NORMALIZE_WHITESPACE
        ['control', 'cumulative', 'diagnostics', 'effects', 'group', 'methods', 'model',
         'n_phase_in', 'n_post', 'n_pre', 'notes', 'period', 'post_trend', 'rate_ratios',
         'rollout', 'series', 'terms']
        >>> json.loads(json.dumps(d)) == d
        True
        """

        def clean(record: dict) -> dict:
            return {
                k: _json_number(v) if isinstance(v, float | np.floating) else v
                for k, v in record.items()
            }

        terms = {name: clean(dict(row)) for name, row in self.summary.iterrows()}
        ratios = None
        if self.ratios is not None:
            ratios = {name: clean(dict(row)) for name, row in self.ratios.iterrows()}
        effects = [clean(row) for row in self.effects.to_dict(orient="records")]
        for effect in effects:
            effect["unit"] = self.rate_unit
        series_rows = []
        for row in self.series_table().to_dict(orient="records"):
            row = clean(row)
            if self.series.outcome == "count" and row["count"] is not None:
                row["count"] = int(row["count"])
            series_rows.append(row)
        diagnostics = {}
        for key, value in self._s["diagnostics"].items():
            if isinstance(value, dict):
                value = {k: _json_number(v) for k, v in value.items()}
            elif isinstance(value, float | np.floating):
                value = _json_number(value)
            elif isinstance(value, np.integer | np.bool_):
                value = value.item()
            diagnostics[key] = value
        if self.controlled:
            diagnostics["control_groups"] = [str(g) for g in self.control_groups]
        post_trend = self.post_trend
        cumulative = self.cumulative
        if cumulative is not None:
            cumulative = {
                k: [_json_number(x) for x in v] if isinstance(v, list) else v
                for k, v in clean(cumulative).items()
            }
        out = {
            "group": None if self.group is None else str(self.group),
            "control": [str(g) for g in self.control_groups] if self.controlled else None,
            "model": self.model,
            "period": self.period,
            "rollout": self.rollout.isoformat(),
            "n_pre": self.n_pre,
            "n_post": self.n_post,
            "n_phase_in": self.n_phase_in,
            "terms": terms,
            "rate_ratios": ratios if self.is_count_model else None,
            "post_trend": None if post_trend is None else clean(post_trend),
            "effects": effects,
            "cumulative": cumulative,
            "diagnostics": diagnostics,
            "notes": list(self.notes),
            "methods": self.methods,
            "series": series_rows,
        }
        if self.is_share_model:
            out["odds_ratios"] = ratios
        if self.sensitivity:
            out["sensitivity"] = [
                {
                    k: (
                        {kk: _json_number(vv) for kk, vv in v.items()} if isinstance(v, dict) else v
                    )
                    for k, v in row.items()
                }
                for row in self.sensitivity
            ]
        if len(self.rollouts) > 1:
            out["rollouts"] = [d.isoformat() for d in self.rollouts]
        return out

    def plot(self, ax=None):
        """Observed points, fitted lines, counterfactual with its band, rollout and phase-in.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Draw here; by default on a new figure (no pyplot state is touched).

        Returns
        -------
        matplotlib.axes.Axes
        """
        from safetylens.its.plot import plot_result

        return plot_result(self, ax=ax)

    def summary_text(self) -> str:
        """The readable summary (the same tables as the HTML report)."""
        import textwrap

        from safetylens.its.tables import render_text, result_tables

        heading = (
            f"{self.title}: rollout {self.rollout.isoformat()} (period {self.rollout_period}); "
            f"{self.n_pre} periods before, {self.n_phase_in} phase-in, {self.n_post} after"
        )
        methods = textwrap.fill("Methods: " + self.methods, 100)
        return render_text(result_tables(self), title=heading) + "\n\n" + methods

    def print_summary(self, file=None) -> None:
        """Print :meth:`summary_text` (to stdout by default)."""
        print(self.summary_text(), file=file or sys.stdout)

    @property
    def title(self) -> str:
        """A one-line title: group, control, model."""
        group = "" if self.group is None else f"{self.group}: "
        control = (
            f" vs control {', '.join(map(str, self.control_groups))}" if self.controlled else ""
        )
        return f"{group}{self.series.name}{control} ({self.model}, {self.period}s)"

    def __repr__(self) -> str:
        head = f"<ITSResult {self.model} {self.period}"
        if self.group is not None:
            head += f" group={self.group}"
        head += f", rollout {self.rollout.isoformat()}: {self.n_pre} pre, {self.n_post} post"
        if self.n_phase_in:
            head += f", {self.n_phase_in} phase-in"
        level = f"{1 - self.alpha:.0%} CI"
        table = self.ratios if self.ratios is not None else self.summary
        for term in CHANGE_TERMS:
            if term in table.index:
                row = table.loc[term]
                prefix = {"log": "RR ", "logit": "OR "}.get(self.link, "")
                return (
                    f"{head}; {term} {prefix}{row['estimate']:.4g} ({level} "
                    f"{row['ci_low']:.4g} to {row['ci_high']:.4g})>"
                )
        return head + ">"
