"""Segmented regression for interrupted time series: the model specification and its steps.

:class:`SegmentedRegression` holds the settings (checked in :meth:`~SegmentedRegression.fit`);
``fit`` reads as the method: locate the rollout, build the design, stack the units (the series
and any controls), estimate, collect the notes. The numerical estimators are in
:mod:`safetylens.its.estimators`; the fit returns an immutable
:class:`~safetylens.its.results.ITSResult`.
"""

from __future__ import annotations

import inspect
import numbers
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from safetylens._dates import parse_date
from safetylens.exceptions import DataValidationError, FitError, ModelWarning, SafetylensError
from safetylens.its import estimators
from safetylens.its.controlled import CONTROLLED_TERMS, controlled_design
from safetylens.its.design import design_matrix, phases
from safetylens.its.options import (
    COUNT_MODELS,
    SHARE_MODELS,
    ArimaIntervals,
    ArimaMethod,
    Impact,
    Model,
    Seasonality,
    StandardErrors,
)
from safetylens.its.results import ITSResult
from safetylens.its.series import PERIODS, SEASON_LENGTH, PeriodSeries

MIN_PERIODS = 3
"""Fewer periods than this on either side of the rollout: refused."""

FEW_PERIODS = 8
"""Fewer periods than this on either side: a warning."""


def _param_error(name: str, requirement: str, value) -> DataValidationError:
    return DataValidationError(
        f"The '{name}' parameter of SegmentedRegression must be {requirement}. "
        f"Got {value!r} instead."
    )


@dataclass(frozen=True)
class _Int:
    """Constraint: an int of at least ``low``."""

    low: int

    def check(self, name, value):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < self.low:
            raise _param_error(name, f"an int of at least {self.low}", value)
        return int(value)


@dataclass(frozen=True)
class _Open:
    """Constraint: a real number in an open range (``high`` may be infinite)."""

    requirement: str
    low: float
    high: float = float("inf")

    def check(self, name, value):
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise _param_error(name, self.requirement, value)
        if not self.low < value < self.high:
            raise _param_error(name, self.requirement, value)
        return float(value)


class _Ints:
    """Constraint: a sequence of ints."""

    def check(self, name, value):
        try:
            values = tuple(value)
        except TypeError:
            raise _param_error(name, "a sequence of ints", value) from None
        if any(not isinstance(k, numbers.Integral) or isinstance(k, bool) for k in values):
            raise _param_error(name, "a sequence of ints", value)
        return tuple(int(k) for k in values)


class _Bool:
    def check(self, name, value):
        if not isinstance(value, bool | np.bool_):
            raise _param_error(name, "a bool", value)
        return bool(value)


def _check_choice(choice, name, value, optional=False):
    if value is None and optional:
        return None
    try:
        return choice(value).value
    except ValueError:
        raise _param_error(name, f"one of {', '.join(choice.values())}", value) from None


class SegmentedRegression:
    """Segmented regression for an interrupted time series.

    ``__init__`` only stores the settings; everything is checked in :meth:`fit`.

    Parameters
    ----------
    model : Model or str, optional
        One of :class:`~safetylens.its.options.Model`. Default: ``"quasipoisson"`` for counts,
        ``"ols"`` for values.
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
        AR(1) errors, where ML intervals with the normal quantile give about 86%), or the ML
        standard errors with the normal quantile exactly as R's ``arima``.
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

    _parameter_constraints: dict = {
        "model": lambda name, v: _check_choice(Model, name, v, optional=True),
        "impact": lambda name, v: _check_choice(Impact, name, v),
        "seasonality": lambda name, v: _check_choice(Seasonality, name, v),
        "harmonics": _Int(1).check,
        "se": lambda name, v: _check_choice(StandardErrors, name, v),
        "lags": _Int(0).check,
        "ar": _Int(0).check,
        "seasonal_ar": _Int(0).check,
        "arima_method": lambda name, v: _check_choice(ArimaMethod, name, v),
        "arima_intervals": lambda name, v: _check_choice(ArimaIntervals, name, v),
        "phase_in": _Int(0).check,
        "alpha": _Open("a float in the range (0, 1)", 0.0, 1.0).check,
        "per": _Open("a number above 0", 0.0).check,
        "at": _Ints().check,
        "trend": _Bool().check,
    }
    """How each parameter is checked; the names are those of ``__init__``."""

    def __init__(
        self,
        *,
        model: Model | str | None = None,
        impact: Impact | str = "both",
        seasonality: Seasonality | str = "none",
        harmonics: int = 2,
        se: StandardErrors | str = "model",
        lags: int = 1,
        ar: int = 1,
        seasonal_ar: int = 0,
        arima_method: ArimaMethod | str = "ml",
        arima_intervals: ArimaIntervals | str = "adjusted",
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

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The parameter names, read from the signature of ``__init__`` (as scikit-learn)."""
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values() if p.kind == p.KEYWORD_ONLY]

    def get_params(self) -> dict:
        """The settings, as given.

        Examples
        --------
        >>> SegmentedRegression(model="ols", se="newey-west").get_params()["se"]
        'newey-west'
        """
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params) -> SegmentedRegression:
        """Change settings (unknown names are refused); returns ``self``."""
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise DataValidationError(
                    f"SegmentedRegression has no parameter '{name}'; it has {', '.join(valid)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
        }
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults[k]]
        return f"SegmentedRegression({', '.join(changed)})"

    # ------------------------------------------------------------------ checking
    def _validated_settings(self, series: PeriodSeries) -> dict:
        """The settings checked against their constraints and the series, as plain values."""
        settings = {
            name: self._parameter_constraints[name](name, value)
            for name, value in self.get_params().items()
        }
        share = "total" in series.data.columns
        default = "quasibinomial" if share else "quasipoisson"
        model = settings["model"] or (default if series.outcome == "count" else "ols")
        settings["model"] = model
        if model in COUNT_MODELS and series.outcome != "count":
            raise DataValidationError(
                f"model {model} needs counts; the series holds values (use --count-col, or "
                "--model ols / arima for a continuous outcome)"
            )
        if model in SHARE_MODELS and not share:
            raise DataValidationError(
                f"model {model} models a share: give the total per period (--total-col, or "
                "--share on event-level rows)"
            )
        if model in COUNT_MODELS and share:
            raise DataValidationError(
                f"the series is a share (a count out of a total): use --model binomial or "
                f"quasibinomial, or ols / arima on the share, not {model}"
            )
        season = SEASON_LENGTH[series.period]
        if settings["seasonality"] == "fourier" and season:
            limit = season // 2
            if settings["harmonics"] > limit:
                raise _param_error(
                    "harmonics", f"at most {limit} for {series.period}s", settings["harmonics"]
                )
        if settings["seasonal_ar"] and (model != "arima" or season is None):
            raise DataValidationError("seasonal_ar needs model arima and months, weeks or quarters")
        if settings["se"] == "newey-west" and model != "ols":
            raise DataValidationError(
                "Newey-West standard errors are for model ols; count models and arima "
                "handle autocorrelation differently"
            )
        return settings

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        series: PeriodSeries,
        *,
        rollout,
        control=None,
        group: str | None = None,
        label: str | None = None,
    ):
        """Fit the segmented regression.

        Parameters
        ----------
        series : PeriodSeries
            The series under study.
        rollout : str, datetime.date or pandas.Timestamp, or a sequence of two
            Rollout date; the period containing it is the rollout period. ISO or day first.
            Two dates (a pilot, then the full rollout) add ``level_change_2`` and
            ``slope_change_2`` from the second.
        control : PeriodSeries, sequence or dict of PeriodSeries, optional
            Control series for a controlled analysis (several are pooled, each keeping its
            own serial correlation); a dict names them. They must cover every period of
            ``series``.
        group : str, optional
            Name of the analysed group, carried into the result.
        label : str, optional
            How warnings name the group (default: ``group``), e.g. ``"site 'North'"``.

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
        if not isinstance(series, PeriodSeries):
            raise DataValidationError("fit() needs a PeriodSeries (see safetylens.its.series)")
        settings = self._validated_settings(series)
        controls = _named_controls(control, series, settings["model"])
        timing = _locate_rollout(series, rollout, settings)
        designs = _build_designs(series, controls, timing, settings)
        stacked = _stack_units(series, controls, designs, timing, settings)
        fitted = _estimate(stacked, settings, series)
        diagnostics = estimators.residual_diagnostics(
            fitted, settings["model"], len(stacked.units), int(stacked.fit_rows.sum())
        )
        notes = _collect_notes(series, timing, fitted, diagnostics, settings)
        name = label if label is not None else group
        prefix = "" if name is None else f"{name}: "
        for message in notes[len(series.notes) :]:
            warnings.warn(prefix + message, ModelWarning, stacklevel=2)
        columns = stacked.columns
        return ITSResult(
            settings=settings | {"at": timing.at},
            series=series,
            controls=tuple(controls.values()),
            control_names=tuple(controls),
            group=group,
            rollout=timing.rollout,
            rollouts=timing.rollouts,
            rollout_at=timing.rollout_at,
            phase=timing.phase,
            designs=tuple(designs),
            params=pd.Series(fitted.params, index=columns),
            cov=pd.DataFrame(fitted.cov, index=columns, columns=columns),
            ci_df=fitted.ci_df,
            p_df=fitted.p_df,
            covariance=fitted.covariance,
            diagnostics=diagnostics,
            notes=tuple(notes),
            interval_cov=None
            if fitted.interval_cov is None
            else pd.DataFrame(fitted.interval_cov, index=columns, columns=columns),
        )


# ---------------------------------------------------------------------- the steps of fit
@dataclass(frozen=True)
class _Timing:
    """Where the rollout falls in the series."""

    rollout: object  # datetime.date
    rollouts: tuple  # every rollout date (two for a pilot, then the full rollout)
    rollout_at: int  # position of the rollout period
    first_post: int  # position of the first fitted post-rollout period
    second_post: int | None  # the same for a second rollout
    phase: np.ndarray  # "pre", "phase_in" or "post" per period
    at: tuple  # periods after the rollout period at which effects are reported
    notes: tuple  # caveats about the timing (few periods, effects inside the phase-in)


@dataclass(frozen=True)
class _Stacked:
    """The units' rows stacked into one regression (phase-in rows left out)."""

    units: list
    columns: list
    X: np.ndarray
    y: np.ndarray
    offset: np.ndarray | None
    totals: np.ndarray | None
    unit_ids: np.ndarray
    fit_rows: np.ndarray


def _named_controls(control, series: PeriodSeries, model: str) -> dict:
    """Control series by name, checked against the series under study."""
    if control is None:
        control = {}
    elif isinstance(control, PeriodSeries):
        control = {"control": control}
    elif not isinstance(control, dict):
        control = {f"control {i}": unit for i, unit in enumerate(control, start=1)}
    if control and model == "arima":
        raise DataValidationError(
            "a controlled analysis cannot use model arima; use ols with --se newey-west, "
            "or a count model"
        )
    index = series.data.index
    for i, unit in enumerate(control.values(), start=1):
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
    return control


def _rollout_date(rollout):
    try:
        return parse_date(rollout)
    except ValueError:
        raise DataValidationError(
            "cannot read the rollout date; write it day first (03/04/2021) or as ISO (2021-04-03)"
        ) from None


_DAY_FIRST = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\s*$")


def _ambiguity_note(rollout, date) -> str | None:
    """A note when a day-first date would read differently month first (03/04/2021)."""
    if not isinstance(rollout, str):
        return None
    match = _DAY_FIRST.match(rollout)
    if not match or match.group(1) == match.group(2):
        return None
    if int(match.group(1)) > 12 or int(match.group(2)) > 12:
        return None
    return (
        f"The rollout date {rollout.strip()} was read day first, as {date.day} "
        f"{date:%B %Y}; write it as ISO ({date.isoformat()}) to avoid doubt."
    )


def _rollout_dates(rollout) -> list:
    """One or two rollout dates, in order."""
    many = isinstance(rollout, list | tuple)
    given = list(rollout) if many else [rollout]
    if not 1 <= len(given) <= 2:
        raise DataValidationError(
            f"give one rollout date, or two (a pilot, then the full rollout); got {len(given)}"
        )
    return given


def _locate_rollout(series: PeriodSeries, rollout, settings: dict) -> _Timing:
    """The rollout period(s), the phase of every period, and the periods at which to report."""
    index = series.data.index
    given = _rollout_dates(rollout)
    dates = [_rollout_date(r) for r in given]
    notes = [n for n in (_ambiguity_note(r, d) for r, d in zip(given, dates, strict=True)) if n]
    positions = []
    for date in dates:
        period = pd.Period(date, freq=PERIODS[series.period])
        if not index[0] <= period <= index[-1]:
            raise DataValidationError(
                f"rollout {date.isoformat()} is outside the data ({index[0]} to "
                f"{index[-1]}); give a rollout date within the series"
            )
        positions.append(int(index.get_loc(period)))
    phase_in = settings["phase_in"]
    rollout_at = positions[0]
    first_post = rollout_at + phase_in
    n = len(index)
    second_at = positions[1] if len(positions) > 1 else None
    end_first = second_at if second_at is not None else n
    n_pre, n_post = rollout_at, max(end_first - first_post, 0)
    sides = [("before", n_pre), ("after", n_post)]
    if second_at is not None:
        sides.append(("after the second", max(n - second_at - phase_in, 0)))
    for side, count in sides:
        where = " (after the phase-in)" if side != "before" and phase_in else ""
        between = " and before the second" if side == "after" and second_at is not None else ""
        if count < MIN_PERIODS:
            raise DataValidationError(
                f"only {count} period(s) {side} the rollout{where}{between}; segmented "
                f"regression needs at least {MIN_PERIODS} on each side ({FEW_PERIODS} or more "
                "recommended)"
            )
        if count < FEW_PERIODS:
            notes.append(
                f"Only {count} periods {side} the rollout{where}{between}: estimates are "
                f"imprecise and the trend is poorly identified ({FEW_PERIODS} or more "
                "recommended)."
            )
    at = settings["at"] or (n - 1 - rollout_at,)
    inside = [k for k in at if 0 <= k < phase_in]
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
    return _Timing(
        rollout=dates[0],
        rollouts=tuple(dates),
        rollout_at=rollout_at,
        first_post=first_post,
        second_post=None if second_at is None else second_at + phase_in,
        phase=phases(n, rollout_at, phase_in, second_at),
        at=tuple(at),
        notes=tuple(notes),
    )


def _build_designs(series, controls: dict, timing: _Timing, settings: dict) -> list:
    """One design per unit (the series first), every period, in the same term order."""
    index = series.data.index
    designs = []
    for unit in (series, *controls.values()):
        data = unit.data.reindex(index)
        designs.append(
            design_matrix(
                index,
                timing.first_post,
                period=series.period,
                impact=settings["impact"],
                trend=settings["trend"],
                seasonality=settings["seasonality"],
                harmonics=settings["harmonics"],
                covariates=data[series.covariates] if series.covariates else None,
                second_post=timing.second_post,
            )
        )
    if controls:
        designs = [controlled_design(d, treated=(i == 0)) for i, d in enumerate(designs)]
        order = [t for t in CONTROLLED_TERMS if t in designs[0].columns]
        designs = [d[order + [c for c in d.columns if c not in order]] for d in designs]
    return designs


def _outcome(data: pd.DataFrame, model: str, per: float):
    """The modelled outcome and its companion: counts with log(denominator) as offset for
    count models, counts with their totals for share models; otherwise the value, the share
    in percent, or the rate per ``per`` when there is a denominator (and ``None``)."""
    has_den = "denominator" in data.columns
    if model in COUNT_MODELS:
        offset = np.log(data["denominator"].to_numpy(float)) if has_den else None
        return data["count"].to_numpy(float), offset
    if model in SHARE_MODELS:
        return data["count"].to_numpy(float), data["total"].to_numpy(float)
    if "value" in data.columns:
        return data["value"].to_numpy(float), None
    counts = data["count"].to_numpy(float)
    if "total" in data.columns:  # ols / arima on the share, in percent
        return counts / data["total"].to_numpy(float) * 100, None
    return (counts / data["denominator"].to_numpy(float) * per if has_den else counts), None


def _stack_units(series, controls: dict, designs: list, timing: _Timing, settings) -> _Stacked:
    """Stack the units' fitted rows (phase-in left out) into one design and outcome."""
    index = series.data.index
    units = [series, *controls.values()]
    y_units, offsets = [], []
    for unit in units:
        y, offset = _outcome(unit.data.reindex(index), settings["model"], settings["per"])
        y_units.append(y)
        offsets.append(offset)
    fit_rows = timing.phase != "phase_in"
    X = np.vstack([d.to_numpy(float)[fit_rows] for d in designs])
    y = np.concatenate([u[fit_rows] for u in y_units])
    extra = None if offsets[0] is None else np.concatenate([o[fit_rows] for o in offsets])
    share = settings["model"] in SHARE_MODELS
    offset, totals = (None, extra) if share else (extra, None)
    unit_ids = np.repeat(np.arange(len(units)), fit_rows.sum())
    columns = list(designs[0].columns)
    estimators.check_design(
        X,
        columns,
        y,
        settings["model"],
        settings["impact"],
        unit_ids,
        np.tile(timing.phase[fit_rows], len(units)),
        totals,
    )
    return _Stacked(units, columns, X, y, offset, totals, unit_ids, fit_rows)


def _estimate(stacked: _Stacked, settings: dict, series: PeriodSeries) -> estimators.Fit:
    """Run the estimator of the model; hopeless numerics become a one-line FitError."""
    model = settings["model"]
    with warnings.catch_warnings():
        # statsmodels' own warnings are replaced by our checks (converged flags).
        warnings.simplefilter("ignore")
        try:
            fitted = _dispatch(stacked, settings, SEASON_LENGTH[series.period])
        except SafetylensError:
            raise
        except estimators.NUMERICAL_ERRORS as exc:
            raise FitError(
                f"the {model} model could not be fitted to this series "
                f"({type(exc).__name__}); try another --model or fewer terms"
            ) from None
    if not (np.all(np.isfinite(fitted.params)) and np.all(np.isfinite(fitted.cov))):
        raise FitError(
            f"the {model} model could not be fitted to this series (estimates are not "
            "finite); try another --model or fewer terms"
        )
    return fitted


def _dispatch(stacked: _Stacked, settings: dict, season_length) -> estimators.Fit:
    """The estimator of ``settings["model"]``."""
    model, X, y = settings["model"], stacked.X, stacked.y
    if model in COUNT_MODELS:
        return estimators.fit_glm(X, y, stacked.offset, model)
    if model in SHARE_MODELS:
        return estimators.fit_share(X, y, stacked.totals, model)
    if model == "ols":
        return estimators.fit_ols(X, y, settings["se"], settings["lags"], stacked.unit_ids)
    ar, seasonal_ar = settings["ar"], settings["seasonal_ar"]
    positions = np.flatnonzero(stacked.fit_rows)
    reml = estimators.fit_ar_reml(X, y, positions, ar, seasonal_ar, season_length)
    if settings["arima_method"] == "reml":
        return reml
    fitted = estimators.fit_arima_ml(X, y, positions, ar, seasonal_ar, season_length)
    if settings["arima_intervals"] == "adjusted" and not reml.exact:
        # Exact ML estimates and standard errors (as R's arima), but intervals and
        # p-values from the REML covariance with t on n-k df: ML intervals cover about
        # 86% in 24+24 periods with AR(1) 0.3-0.6, these about 93% (see the tests).
        fitted.interval_cov = reml.cov
        fitted.ci_df = fitted.p_df = reml.ci_df
        fitted.diagnostics["interval_ar_coefficients"] = reml.diagnostics["ar_coefficients"]
    return fitted


def _collect_notes(series, timing: _Timing, fitted, diagnostics: dict, settings: dict) -> list:
    """The caveats of the fit: the series', the timing's, autocorrelation, the estimator's."""
    notes = [*series.notes, *timing.notes]
    notes.extend(estimators.autocorrelation_warning(settings["model"], settings["se"], diagnostics))
    notes.extend(fitted.warnings)
    return notes
