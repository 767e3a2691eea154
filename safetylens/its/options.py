"""Every choice an ITS analysis offers, defined once.

Each choice is a ``str`` :class:`~enum.Enum`: the command line uses it as the option's type
(Typer lists the values in ``--help`` and refuses others), and
:class:`~safetylens.its.regression.SegmentedRegression` checks its settings against it. A member
compares equal to its value, so ``Model.OLS == "ols"``.
"""

from __future__ import annotations

from enum import Enum


class Choice(str, Enum):
    """Base of the choices: a member is its string value."""

    def __str__(self) -> str:
        return self.value

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """The allowed values, in order.

        Examples
        --------
        >>> Impact.values()
        ('level', 'slope', 'both')
        """
        return tuple(member.value for member in cls)


class Period(Choice):
    """Length of a period (weeks run Monday to Sunday)."""

    MONTH = "month"
    WEEK = "week"
    QUARTER = "quarter"
    YEAR = "year"


class Model(Choice):
    """The regression model."""

    QUASIPOISSON = "quasipoisson"
    POISSON = "poisson"
    NEGBIN = "negbin"
    BINOMIAL = "binomial"
    QUASIBINOMIAL = "quasibinomial"
    OLS = "ols"
    ARIMA = "arima"


class Impact(Choice):
    """Which change terms the model has."""

    LEVEL = "level"
    SLOPE = "slope"
    BOTH = "both"


class Seasonality(Choice):
    """How seasonality is modelled: not at all, Fourier pairs, or month (quarter) indicators."""

    NONE = "none"
    FOURIER = "fourier"
    MONTH = "month"


class StandardErrors(Choice):
    """Standard errors for ``ols``: model-based or Newey-West."""

    MODEL = "model"
    NEWEY_WEST = "newey-west"


class ArimaMethod(Choice):
    """How ``arima`` estimates: exact maximum likelihood, or REML for the AR terms."""

    ML = "ml"
    REML = "reml"


class ArimaIntervals(Choice):
    """Intervals of ``arima`` with ML: small-sample adjusted (REML covariance, t), or R's own
    (ML standard errors, normal quantile)."""

    ADJUSTED = "adjusted"
    WALD = "wald"


COUNT_MODELS: tuple[str, ...] = (Model.QUASIPOISSON.value, Model.POISSON.value, Model.NEGBIN.value)
"""Log-link count models (results include rate ratios)."""

SHARE_MODELS: tuple[str, ...] = (Model.BINOMIAL.value, Model.QUASIBINOMIAL.value)
"""Logit-link models of a share: a count out of a total (results include odds ratios)."""
