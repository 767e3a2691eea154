"""Exceptions and warnings raised by safetylens.

Every error a user can cause derives from :class:`SafetylensError`; the command line turns
these into one plain line on stderr (never a traceback, never patient text) and exit code 2.
"""

from __future__ import annotations


class SafetylensError(Exception):
    """Base class for every error safetylens raises on purpose."""


class DataValidationError(SafetylensError, ValueError):
    """Input data cannot be used as given (missing column, bad date, too few periods, ...)."""


class InputFormatError(DataValidationError):
    """An input file cannot be read: missing, empty, unknown format, malformed or binary."""


class ModelIntegrityError(SafetylensError):
    """A model folder is incomplete, does not match its card, or is not trusted."""


class FitError(SafetylensError):
    """A model could not be fitted to the data (singular design, no variation, ...)."""


class SafetylensWarning(UserWarning):
    """Base class for every warning safetylens emits; results also carry them as notes."""


class DataWarning(SafetylensWarning):
    """Something in the data was dropped, assumed or repaired (for example an incomplete period)."""


class ModelWarning(SafetylensWarning):
    """A fitted model has a caveat (autocorrelation left, overdispersion, few periods, ...)."""


class ReviewFormatError(DataValidationError):
    """A review workbook cannot be scored as it stands (a deleted column, a missing design)."""


class ReviewWarning(SafetylensWarning):
    """Review scores carry a caveat (another model's workbook, prefilled labels, rows left)."""


class AnalysisWarning(SafetylensWarning):
    """One analysis of a batch (one group) could not be fitted; the others completed."""
