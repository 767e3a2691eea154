"""safetylens: information-linked incident classification and interrupted time-series analysis.

The public API is small and loads lazily, so ``import safetylens`` stays light:

>>> import safetylens
>>> safetylens.LABELS[0]
'records_unavailable'

Classify reports with a shipped model (``"accurate"``, the default, or ``"fast"``):

>>> model = safetylens.load_model("fast")
>>> safetylens.classify_texts(["EPR down so allergies could not be checked"], model)["labels"][0]
'records_unavailable;medication_information;it_system'
"""

from safetylens.exceptions import (
    DataValidationError,
    FitError,
    InputFormatError,
    ModelIntegrityError,
    SafetylensError,
    SafetylensWarning,
)
from safetylens.taxonomy import LABELS

__version__ = "0.2.0"

__all__ = [
    "LABELS",
    "DataValidationError",
    "EncoderClassifier",
    "FitError",
    "ITSResult",
    "IncidentClassifier",
    "InputFormatError",
    "ModelIntegrityError",
    "SafetylensError",
    "SafetylensWarning",
    "SegmentedRegression",
    "classify_file",
    "classify_frame",
    "classify_texts",
    "evaluate",
    "load_model",
    "read_table",
    "redact",
    "train",
]

_LAZY = {
    "IncidentClassifier": ("safetylens._model", "IncidentClassifier"),
    "EncoderClassifier": ("safetylens._encoder", "EncoderClassifier"),
    "classify_file": ("safetylens._classify", "classify_file"),
    "classify_frame": ("safetylens._classify", "classify_frame"),
    "load_model": ("safetylens._modelcard", "load_model"),
    "read_table": ("safetylens._readers", "read_table"),
    "redact": ("safetylens._redact", "redact"),
    "SegmentedRegression": ("safetylens.its", "SegmentedRegression"),
    "ITSResult": ("safetylens.its", "ITSResult"),
    "train": ("safetylens._training", "train_model"),
    "evaluate": ("safetylens._training", "evaluate_file"),
}


def classify_texts(texts, model=None, *, explain=False):
    """Classify a list of report texts; returns a DataFrame of the columns ``classify`` adds.

    Parameters
    ----------
    texts : sequence of str
    model : classifier, str or path-like, optional
        A loaded model, ``"accurate"`` (the default), ``"fast"`` or a model folder.
    explain : bool, default=False
        Add an ``evidence`` column.

    Examples
    --------
    >>> out = classify_texts(["Pt given wrong pt's bloods results"], "fast")
    >>> out.columns[:2].tolist()
    ['labels', 'information_linked']
    """
    from safetylens._classify import label_texts
    from safetylens._modelcard import load_model

    if model is None or isinstance(model, str) or hasattr(model, "__fspath__"):
        model = load_model(model)
    return label_texts(texts, model, explain=explain)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'safetylens' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
