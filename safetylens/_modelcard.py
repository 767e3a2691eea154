"""Model folders: saving, checking and loading a fitted classifier with its model card.

Two kinds of folder, told apart by the card's ``backend``:

- ``tfidf`` (the fast model): ``model.joblib`` and ``model_card.json``;
- ``onnx-encoder`` (the accurate model): ``model.onnx``, ``tokenizer.json`` and
  ``model_card.json``. A card may also name a ``companion`` TF-IDF model folder whose
  probabilities are averaged with the encoder's
  (:class:`~safetylens._combined.CombinedClassifier`).

The card records the backend, labels, thresholds, a hash of the training data, library
versions, metrics and the SHA-256 of every file. Loading checks every hash first and refuses a
mismatch.

A joblib (pickle) file can run code when loaded, so only trusted joblib models are loaded: the
models shipped inside the package, models trained with ``safetylens train`` on this machine
(their hashes are kept in a trust list in the user's data folder, ``$SAFETYLENS_HOME`` if set), or
any model when the caller passes ``trust=True`` (``--trust-model``). An ONNX graph and a tokenizer
file cannot run code when loaded, so the trust list does not apply to them.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import warnings
from datetime import datetime, timezone
from pathlib import Path

from safetylens.exceptions import DataValidationError, ModelIntegrityError, SafetylensWarning

MODEL_FILE = "model.joblib"
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CARD_FILE = "model_card.json"
SHIPPED = ("accurate", "fast")
"""The shipped models, by name: ``accurate`` (the default) and ``fast``."""
DEFAULT_MODEL = "accurate"


def resolve_model_dir(model=None) -> Path:
    """The folder of ``model``: ``None`` (the default, accurate), a shipped name or a folder.

    Examples
    --------
    >>> resolve_model_dir("fast").name
    'fast'
    """
    from safetylens._resources import models_dir

    if model is None:
        model = DEFAULT_MODEL
    if isinstance(model, str) and model in SHIPPED:
        return models_dir() / model
    return Path(model)


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
    from safetylens._resources import models_dir

    for name in SHIPPED:
        card = models_dir() / name / CARD_FILE
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


def library_versions(backend: str = "tfidf") -> dict[str, str]:
    """Versions of the libraries a model depends on."""
    import joblib
    import nltk
    import numpy
    import scipy
    import sklearn

    if backend != "tfidf":
        import onnxruntime
        import tokenizers

        versions = {"python": platform.python_version(), "numpy": numpy.__version__}
        versions["onnxruntime"] = onnxruntime.__version__
        versions["tokenizers"] = tokenizers.__version__
        try:
            import torch
            import transformers

            versions["torch"] = torch.__version__
            versions["transformers"] = transformers.__version__
        except ImportError:
            pass
        return versions
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

    A joblib model's hash is added to this machine's trust list, so it loads without
    ``--trust-model`` here.
    """
    from safetylens._writers import atomic_path, write_bytes_atomic, write_text_atomic

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    backend = _backend_of(model)
    full = {
        "name": folder.name,
        "backend": backend,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "labels": [str(c) for c in model.classes_],
        "thresholds": {
            str(c): float(t) for c, t in zip(model.classes_, model.thresholds_, strict=True)
        },
        "review_margin": model.review_margin,
        "params": {k: _json_safe(v) for k, v in model.get_params().items()},
        "cv_f1": model.cv_scores_,
        "library_versions": library_versions(backend),
    }
    if backend == "tfidf":
        import joblib

        # scikit-learn's vectorizers cache the memory address of their stop-word list; it would
        # make two fits of the same data pickle to different bytes.
        for _, vectorizer in model.pipeline_.named_steps["features"].transformer_list:
            vars(vectorizer).pop("_stop_words_id", None)
        with atomic_path(folder / MODEL_FILE) as tmp:
            joblib.dump(model, tmp, compress=3)
        files = [MODEL_FILE]
    else:
        write_bytes_atomic(folder / ONNX_FILE, model.onnx_model_)
        write_text_atomic(folder / TOKENIZER_FILE, model.tokenizer_json_)
        files = [ONNX_FILE, TOKENIZER_FILE]
        full["base_model"] = {
            **getattr(model, "base_model_info_", {}),
            "licence": "Apache-2.0" if model.base_model == "all-MiniLM-L6-v2" else "see base",
        }
    full.update(card or {})
    full["files"] = {name: sha256_file(folder / name) for name in files}
    full["model_file"] = files[0]
    full["model_sha256"] = full["files"][files[0]]
    write_text_atomic(folder / CARD_FILE, json.dumps(full, indent=2) + "\n")
    if backend == "tfidf":
        _remember(full["model_sha256"])
    return full


def _backend_of(model) -> str:
    from safetylens._encoder import EncoderClassifier
    from safetylens._model import IncidentClassifier

    if isinstance(model, IncidentClassifier):
        return "tfidf"
    if isinstance(model, EncoderClassifier):
        return "onnx-encoder"
    raise DataValidationError(f"cannot save a {type(model).__name__}; not a safetylens classifier")


def _json_safe(value):
    if isinstance(value, tuple):
        return list(value)
    return value


def read_card(folder: str | os.PathLike | None = None) -> dict:
    """Read and return the model card of ``folder`` (a path, ``"accurate"`` or ``"fast"``)."""
    folder = resolve_model_dir(folder)
    card_path = folder / CARD_FILE
    if not folder.is_dir():
        raise ModelIntegrityError(f"{folder}: no such model folder")
    if not card_path.exists():
        raise ModelIntegrityError(f"{folder}: no {CARD_FILE}; not a safetylens model folder")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ModelIntegrityError(f"{card_path}: the model card is not valid JSON") from None
    if not isinstance(card, dict) or "model_sha256" not in card:
        raise ModelIntegrityError(f"{card_path}: the model card has no model_sha256")
    return card


def load_model(folder=None, *, trust: bool = False):
    """Load a model folder after checking its hashes (and, for joblib, whether it is trusted).

    Parameters
    ----------
    folder : str or path-like, optional
        ``"accurate"`` (the default), ``"fast"``, or a model folder.
    trust : bool, default=False
        Load a joblib model that is neither shipped nor trained on this machine.

    Returns
    -------
    IncidentClassifier, EncoderClassifier or CombinedClassifier

    Raises
    ------
    ModelIntegrityError
        Missing files, a hash that does not match the card, an untrusted model, a card whose
        labels or thresholds differ from the model's, or a file that is not a safetylens model.
    """
    return load_model_and_card(folder, trust=trust)[0]


def load_model_and_card(folder=None, *, trust: bool = False):
    """Like :func:`load_model`, returning ``(model, card)``."""
    folder = resolve_model_dir(folder)
    card = read_card(folder)
    backend = card.get("backend", "tfidf")
    if backend == "tfidf":
        model = _load_joblib(folder, card, trust)
    elif backend == "onnx-encoder":
        model = _load_encoder(folder, card)
    else:
        raise ModelIntegrityError(f"{folder}: unknown model backend in {CARD_FILE}")
    _check_thresholds(folder, card, model)
    companion = card.get("companion")
    if companion is not None:
        model = _combine(folder, card, model, companion)
    return model, card


def _thresholds_of(folder, card) -> dict:
    try:
        return {str(k): round(float(v), 6) for k, v in card.get("thresholds", {}).items()}
    except (TypeError, ValueError, AttributeError):
        raise ModelIntegrityError(
            f"{folder}: a threshold in {CARD_FILE} is not a number; the card was edited, so the "
            "model is refused"
        ) from None


def _check_thresholds(folder, card, model) -> None:
    thresholds = {
        str(c): round(float(t), 6) for c, t in zip(model.classes_, model.thresholds_, strict=True)
    }
    if (
        list(card.get("labels", [])) != list(thresholds)
        or _thresholds_of(folder, card) != thresholds
    ):
        raise ModelIntegrityError(
            f"{folder}: the labels or thresholds in {CARD_FILE} differ from the model's; "
            "the card was edited, so the model is refused"
        )


def _read_checked(folder: Path, card: dict, name: str) -> bytes:
    """Read a model file once and check its SHA-256 against the card."""
    path = folder / name
    if not path.is_file():
        raise ModelIntegrityError(f"{folder}: the model file {name} is missing")
    data = path.read_bytes()
    expected = card.get("files", {}).get(name)
    if expected is None and name == card.get("model_file"):
        expected = card.get("model_sha256")
    if expected is None or hashlib.sha256(data).hexdigest() != expected:
        raise ModelIntegrityError(
            f"{folder}: {name} does not match its model card (SHA-256 differs); "
            "the model was changed or damaged, so it is refused"
        )
    return data


_loaded: dict = {}  # (folder, sha256) -> model: files are hashed on every load, parsed once


def _load_joblib(folder: Path, card: dict, trust: bool):
    import sklearn

    from safetylens._model import IncidentClassifier

    if card.get("model_file", MODEL_FILE) != MODEL_FILE:
        raise ModelIntegrityError(f"{folder}: the model card must name {MODEL_FILE}")
    # Read once, hash and unpickle the same bytes: the file cannot be swapped in between.
    data = _read_checked(folder, card, MODEL_FILE)
    sha = hashlib.sha256(data).hexdigest()
    if not trust and sha not in _trusted_hashes():
        raise ModelIntegrityError(
            f"{folder}: this model is neither a shipped model nor one trained on this machine, "
            "and loading a model file can run code; pass --trust-model only if you trust its source"
        )
    model = _loaded.get(("joblib", sha))
    if model is None:
        model = _unpickle(data, folder)
        _remember_loaded(("joblib", sha), model)
    if not isinstance(model, IncidentClassifier):
        raise ModelIntegrityError(f"{folder}: {MODEL_FILE} is not a safetylens classifier")
    trained_with = card.get("library_versions", {}).get("scikit-learn")
    if trained_with and trained_with != sklearn.__version__:
        warnings.warn(
            f"the model was trained with scikit-learn {trained_with} but {sklearn.__version__} "
            "is installed; predictions may differ slightly. Retrain with `safetylens train` "
            "to be sure.",
            SafetylensWarning,
            stacklevel=3,
        )
    return model


def _load_encoder(folder: Path, card: dict):
    import numpy as np

    from safetylens._encoder import EncoderClassifier

    onnx_bytes = _read_checked(folder, card, ONNX_FILE)
    tokenizer = _read_checked(folder, card, TOKENIZER_FILE)
    key = ("onnx", hashlib.sha256(onnx_bytes + tokenizer).hexdigest())
    model = _loaded.get(key)
    if model is not None:
        return model
    params = card.get("params", {})
    known = EncoderClassifier().get_params()
    try:
        model = EncoderClassifier(**{k: params[k] for k in known if k in params})
        model.onnx_model_ = onnx_bytes
        model.tokenizer_json_ = tokenizer.decode("utf-8")
        model.classes_ = np.array(card["labels"])
        model.thresholds_ = np.array([float(card["thresholds"][c]) for c in card["labels"]])
        model.cv_scores_ = card.get("cv_f1", {})
        model.base_model_info_ = card.get("base_model", {})
        model._runtime()  # parse the graph and tokenizer now, so a bad file fails here
    except (KeyError, TypeError, ValueError, UnicodeDecodeError):
        raise ModelIntegrityError(
            f"{folder}: the model card does not describe this model"
        ) from None
    except Exception as exc:  # onnxruntime and tokenizers raise their own types
        raise ModelIntegrityError(
            f"{folder}: cannot load {ONNX_FILE} or {TOKENIZER_FILE} ({type(exc).__name__})"
        ) from None
    _remember_loaded(key, model)
    return model


def _combine(folder: Path, card: dict, encoder, companion: dict):
    import numpy as np

    from safetylens._combined import CombinedClassifier

    other_dir = (folder.parent / str(companion.get("folder", ""))).resolve()
    try:
        other, other_card = load_model_and_card(other_dir)
    except ModelIntegrityError:
        raise ModelIntegrityError(
            f"{folder}: this model averages the encoder with the fast model in "
            f"'{companion.get('folder')}' beside it, which is missing or damaged; keep the two "
            "folders together"
        ) from None
    if other_card.get("model_sha256") != companion.get("model_sha256"):
        raise ModelIntegrityError(
            f"{folder}: the companion model '{companion.get('folder')}' is not the one this model "
            "was built with (SHA-256 differs); keep the shipped folders together"
        )
    try:
        weight = float(companion["weight"])
        thresholds = np.array([float(companion["thresholds"][c]) for c in card["labels"]])
    except (KeyError, TypeError, ValueError):
        raise ModelIntegrityError(f"{folder}: the companion entry of the card is damaged") from None
    return CombinedClassifier(
        encoder=encoder, companion=other, weight=weight, thresholds=thresholds
    )


def _remember_loaded(key, model) -> None:
    if len(_loaded) >= 3:
        _loaded.pop(next(iter(_loaded)))
    _loaded[key] = model


def _unpickle(data: bytes, folder: Path):
    import importlib
    import io
    import sys

    import joblib
    import sklearn.exceptions

    # Models trained with safetylens 0.1 name the modules before they became private.
    added = []
    for old, new in _RENAMED_MODULES.items():
        if old not in sys.modules:
            sys.modules[old] = importlib.import_module(new)
            added.append(old)
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
    finally:
        for name in added:
            sys.modules.pop(name, None)


_RENAMED_MODULES = {"safetylens.model": "safetylens._model", "safetylens.text": "safetylens._text"}


def _plain(value) -> str:
    """Card text safe for a terminal: control characters (escape codes) removed."""
    return "".join(ch for ch in str(value) if ch >= " " or ch == "\t")


def format_card(card: dict) -> str:
    """A model card as text for the terminal (``safetylens model info``)."""
    from safetylens._metrics import format_metrics

    lines = [
        f"model: {_plain(card.get('name', '?'))}  ({_plain(card.get('backend', 'tfidf'))}, "
        f"created {_plain(card.get('created', '?'))})"
    ]
    base = card.get("base_model")
    if isinstance(base, dict) and base:
        lines.append(
            f"base encoder: {_plain(base.get('name', '?'))} "
            f"(licence {_plain(base.get('licence', '?'))})"
        )
    companion = card.get("companion")
    if isinstance(companion, dict):
        lines.append(
            f"averaged with: the '{_plain(companion.get('folder', '?'))}' model "
            f"(encoder weight {_plain(companion.get('weight', '?'))})"
        )
    training = card.get("training_data", {})
    if isinstance(training, dict) and training:
        lines.append(
            f"trained on: {_plain(training.get('n_reports', '?'))} reports, "
            f"sha256 {_plain(training.get('sha256', '?'))[:16]}..."
        )
    thresholds = card.get("thresholds", {})
    if isinstance(companion, dict) and isinstance(companion.get("thresholds"), dict):
        thresholds = companion["thresholds"]
    if isinstance(thresholds, dict):
        lines.append("thresholds:")
        for label, value in thresholds.items():
            try:
                lines.append(f"  {_plain(label):<25} {float(value):.3f}")
            except (TypeError, ValueError):
                lines.append(f"  {_plain(label):<25} (not a number)")
    metrics = card.get("test_metrics")
    if isinstance(metrics, dict) and metrics:
        # One entry per test split (older cards hold a single split's metrics).
        splits = metrics if "per_label" not in metrics else {"test split": metrics}
        for name, values in splits.items():
            lines.append(f"held-out {_plain(name)}:")
            try:
                lines.extend("  " + _plain(line) for line in format_metrics(values).splitlines())
            except (KeyError, TypeError, ValueError, AttributeError):
                lines.append("  (the card's metrics are damaged)")
    versions = card.get("library_versions", {})
    if isinstance(versions, dict) and versions:
        lines.append(
            "libraries: " + ", ".join(f"{_plain(k)} {_plain(v)}" for k, v in versions.items())
        )
    files = card.get("files")
    if isinstance(files, dict):
        for name, sha in files.items():
            lines.append(f"{_plain(name)} sha256: {_plain(sha)}")
    else:
        lines.append(f"model file sha256: {_plain(card.get('model_sha256', '?'))}")
    return "\n".join(lines)
