"""safetylens: information-linked incident classification and interrupted time-series analysis.

The public API is small and loads lazily, so ``import safetylens`` stays light:

>>> import safetylens
>>> safetylens.LABELS[0]
'records_unavailable'

Classify reports with the shipped model:

>>> model = safetylens.load_model()
>>> safetylens.classify_texts(["EPR down so allergies could not be checked"], model)["labels"][0]
'records_unavailable;medication_information;it_system'
"""

from __future__ import annotations

from safetylens.exceptions import (
    DataValidationError,
    FitError,
    InputFormatError,
    ModelIntegrityError,
    SafetylensError,
    SafetylensWarning,
)
from safetylens.taxonomy import LABELS

__version__ = "0.1.0"

__all__ = [
    "LABELS",
    "DataValidationError",
    "FitError",
    "ITSResult",
    "IncidentClassifier",
    "InputFormatError",
    "ModelIntegrityError",
    "SafetylensError",
    "SafetylensWarning",
    "SegmentedRegression",
    "classify_frame",
    "classify_texts",
    "evaluate",
    "load_model",
    "read_table",
    "redact",
    "train",
]

_LAZY = {
    "IncidentClassifier": ("safetylens.model", "IncidentClassifier"),
    "classify_frame": ("safetylens.classify", "classify_frame"),
    "read_table": ("safetylens.io", "read_table"),
    "redact": ("safetylens.redact", "redact"),
    "SegmentedRegression": ("safetylens.its", "SegmentedRegression"),
    "ITSResult": ("safetylens.its", "ITSResult"),
    "train": ("safetylens.training", "train_model"),
    "evaluate": ("safetylens.training", "evaluate_file"),
}


def load_model(folder=None, *, trust=False):
    """Load a model folder (default: the shipped model) after checking its hash.

    Returns the :class:`~safetylens.model.IncidentClassifier`; the card is
    ``safetylens.modelcard.read_card(folder)``.
    """
    from safetylens.modelcard import load_model as _load

    return _load(folder, trust=trust)[0]


def classify_texts(texts, model=None, *, explain=False):
    """Classify a list of report texts; returns a DataFrame of the columns ``classify`` adds.

    Parameters
    ----------
    texts : sequence of str
    model : IncidentClassifier, optional
        Default: the shipped model.
    explain : bool, default=False
        Add an ``evidence`` column.
    """
    from safetylens.classify import label_texts

    return label_texts(model if model is not None else load_model(), texts, explain=explain)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'safetylens' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
