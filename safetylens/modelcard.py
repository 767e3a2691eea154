"""Model folders: saving, checking and loading a fitted classifier with its model card.

A model is a folder holding ``model.joblib`` and ``model_card.json``. The card records the
labels, thresholds, a hash of the training data, library versions, metrics and the SHA-256 of
the joblib file. Loading checks that hash first and refuses a mismatch.

A joblib (pickle) file can run code when loaded, so only trusted models are loaded: the default
model shipped inside the package, models trained with ``safetylens train`` on this machine (their
hashes are kept in a trust list in the user's data folder, ``$SAFETYLENS_HOME`` if set), or any
model when the caller passes ``trust=True`` (``--trust-model``).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import warnings
from datetime import datetime, timezone
from pathlib import Path

from safetylens.exceptions import ModelIntegrityError, SafetylensWarning

MODEL_FILE = "model.joblib"
CARD_FILE = "model_card.json"


def default_model_dir() -> Path:
    """The folder of the default model shipped with the package."""
    from safetylens._resources import models_dir

    return models_dir() / "default"


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _state_dir() -> Path:
    home = os.environ.get("SAFETYLENS_HOME")
    if home:
        return Path(home)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "safetylens"


def _trust_file() -> Path:
    return _state_dir() / "trusted_models.txt"


def _trusted_hashes() -> set[str]:
    trusted = set()
    card = default_model_dir() / CARD_FILE
    if card.exists():
        trusted.add(json.loads(card.read_text(encoding="utf-8")).get("model_sha256", ""))
    try:
        trusted.update(_trust_file().read_text(encoding="utf-8").split())
    except OSError:
        pass
    trusted.discard("")
    return trusted


def _remember(sha: str) -> None:
    path = _trust_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(sha + "\n")
    except OSError:
        warnings.warn(
            f"could not record the new model in {path}; load it with --trust-model",
            SafetylensWarning,
            stacklevel=2,
        )


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on."""
    import joblib
    import nltk
    import numpy
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "nltk": nltk.__version__,
        "joblib": joblib.__version__,
    }


def save_model(model, folder: str | os.PathLike, *, card: dict | None = None) -> dict:
    """Write ``model`` and its card into ``folder`` (created if needed); return the card.

    The new model's hash is added to this machine's trust list, so it loads without
    ``--trust-model`` here.
    """
    import joblib

    from safetylens.io import atomic_path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # scikit-learn's vectorizers cache the memory address of their stop-word list; it would
    # make two fits of the same data pickle to different bytes.
    for _, vectorizer in model.pipeline_.named_steps["features"].transformer_list:
        vars(vectorizer).pop("_stop_words_id", None)
    with atomic_path(folder / MODEL_FILE) as tmp:
        joblib.dump(model, tmp, compress=3)
    sha = sha256_file(folder / MODEL_FILE)
    full = {
        "name": folder.name,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "labels": [str(c) for c in model.classes_],
        "thresholds": {
            str(c): float(t) for c, t in zip(model.classes_, model.thresholds_, strict=True)
        },
        "review_margin": model.review_margin,
        "params": {k: _json_safe(v) for k, v in model.get_params().items()},
        "cv_f1": model.cv_scores_,
        "library_versions": library_versions(),
    }
    full.update(card or {})
    full["model_file"] = MODEL_FILE
    full["model_sha256"] = sha
    from safetylens.io import write_text_atomic

    write_text_atomic(folder / CARD_FILE, json.dumps(full, indent=2) + "\n")
    _remember(sha)
    return full


def _json_safe(value):
    if isinstance(value, tuple):
        return list(value)
    return value


def read_card(folder: str | os.PathLike | None = None) -> dict:
    """Read and return the model card of ``folder`` (default: the shipped model)."""
    folder = Path(folder) if folder is not None else default_model_dir()
    card_path = folder / CARD_FILE
    if not folder.is_dir():
        raise ModelIntegrityError(f"{folder}: no such model folder")
    if not card_path.exists():
        raise ModelIntegrityError(f"{folder}: no {CARD_FILE}; not a safetylens model folder")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ModelIntegrityError(f"{card_path}: the model card is not valid JSON") from None
    if not isinstance(card, dict) or "model_sha256" not in card:
        raise ModelIntegrityError(f"{card_path}: the model card has no model_sha256")
    return card


def load_model(folder: str | os.PathLike | None = None, *, trust: bool = False):
    """Load a model folder after checking its hash and whether it is trusted.

    Parameters
    ----------
    folder : path-like, optional
        The model folder; default the shipped model.
    trust : bool, default=False
        Load a model that is neither the shipped one nor trained on this machine.

    Returns
    -------
    (IncidentClassifier, dict)
        The model and its card.

    Raises
    ------
    ModelIntegrityError
        Missing files, a hash that does not match the card, an untrusted model, or a file that is
        not a safetylens classifier.
    """
    import sklearn

    from safetylens.model import IncidentClassifier

    folder = Path(folder) if folder is not None else default_model_dir()
    card = read_card(folder)
    if card.get("model_file", MODEL_FILE) != MODEL_FILE:
        raise ModelIntegrityError(f"{folder}: the model card must name {MODEL_FILE}")
    model_path = folder / MODEL_FILE
    if not model_path.is_file():
        raise ModelIntegrityError(f"{folder}: the model file {MODEL_FILE} is missing")
    # Read once, hash and unpickle the same bytes: the file cannot be swapped in between.
    data = model_path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if sha != card["model_sha256"]:
        raise ModelIntegrityError(
            f"{folder}: {MODEL_FILE} does not match its model card (SHA-256 differs); "
            "the model was changed or damaged, so it is refused"
        )
    if not trust and sha not in _trusted_hashes():
        raise ModelIntegrityError(
            f"{folder}: this model is neither the shipped model nor one trained on this machine, "
            "and loading a model file can run code; pass --trust-model only if you trust its source"
        )
    model = _loaded.get(sha)
    if model is None:
        model = _unpickle(data, folder)
        _loaded.clear()  # keep one model in memory at most
        _loaded[sha] = model
    if not isinstance(model, IncidentClassifier):
        raise ModelIntegrityError(f"{folder}: {MODEL_FILE} is not a safetylens classifier")
    thresholds = {
        str(c): round(float(t), 6) for c, t in zip(model.classes_, model.thresholds_, strict=True)
    }
    card_thresholds = {str(k): round(float(v), 6) for k, v in card.get("thresholds", {}).items()}
    if list(card.get("labels", [])) != list(thresholds) or card_thresholds != thresholds:
        raise ModelIntegrityError(
            f"{folder}: the labels or thresholds in {CARD_FILE} differ from the model's; "
            "the card was edited, so the model is refused"
        )
    trained_with = card.get("library_versions", {}).get("scikit-learn")
    if trained_with and trained_with != sklearn.__version__:
        warnings.warn(
            f"the model was trained with scikit-learn {trained_with} but {sklearn.__version__} "
            "is installed; predictions may differ slightly. Retrain with `safetylens train` "
            "to be sure.",
            SafetylensWarning,
            stacklevel=2,
        )
    return model, card


_loaded: dict = {}  # sha256 -> model: the file is hashed again on every load, unpickled once


def _unpickle(data: bytes, folder: Path):
    import io

    import joblib
    import sklearn.exceptions

    try:
        with warnings.catch_warnings():
            # load_model's own warning says the same in one plain line.
            warnings.simplefilter(
                "ignore",
                category=getattr(sklearn.exceptions, "InconsistentVersionWarning", UserWarning),
            )
            return joblib.load(io.BytesIO(data))
    except Exception:
        raise ModelIntegrityError(f"{folder}: cannot load {MODEL_FILE}") from None
