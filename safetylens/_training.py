"""Training and scoring from labelled files: the glue between tables, the model and its card."""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from pathlib import Path

from safetylens.exceptions import DataValidationError


def read_labelled(path, *, text_col=None, labels_col="labels"):
    """Read labelled reports: returns (texts, indicator matrix, text column name).

    Rows whose text is blank are refused (a labelled corpus should not have them), and so are
    unknown label names, with the 1-based data row number.
    """
    from safetylens._classify import find_text_column
    from safetylens._model import labels_to_indicator
    from safetylens._names import column_list
    from safetylens._readers import read_table

    path = Path(path)
    frame = read_table(path)
    columns = [str(c) for c in frame.columns]
    column = find_text_column(columns, text_col, source=path.name)
    if labels_col not in frame.columns:
        raise DataValidationError(
            f"{path.name}: no labels column '{labels_col}'; pass --labels-col. Columns are: "
            + column_list(columns)
        )
    texts = frame[column].tolist()
    blank = [i + 1 for i, t in enumerate(texts) if not str(t).strip()]
    if blank:
        raise DataValidationError(
            f"{path.name}: {len(blank)} row(s) have no text (first: data row {blank[0]}); "
            "remove them from the training data"
        )
    from safetylens.taxonomy import LABELS, parse_labels

    labels = []
    for i, cell in enumerate(frame[labels_col].tolist()):
        try:
            labels.append(parse_labels(cell))
        except ValueError:
            # The cell is not quoted: a wrong --labels-col would print report text.
            raise DataValidationError(
                f"{path.name}: column '{labels_col}', data row {i + 1}: not a list of label "
                f"names separated by ';' (expected names from {', '.join(LABELS)})"
            ) from None
    return texts, labels_to_indicator(labels), column


def data_hash(texts, Y) -> str:
    """SHA-256 of the texts and labels in order (what the model card records)."""
    digest = hashlib.sha256()
    for text, row in zip(texts, Y, strict=True):
        digest.update(json.dumps([str(text), [int(v) for v in row]]).encode("utf-8"))
    return digest.hexdigest()


class Backend(str, Enum):
    """The kinds of model ``safetylens train`` fits."""

    tfidf = "tfidf"
    transformer = "transformer"


def train_model(
    data,
    output,
    *,
    backend=Backend.tfidf,
    text_col=None,
    labels_col="labels",
    seed=0,
    cv=5,
    test=None,
    params=None,
    progress=None,
) -> dict:
    """Fit a classifier on labelled files and save it with its card.

    Parameters
    ----------
    data : path-like or list of path-like
        Labelled reports (text column and ``labels_col``); several files are concatenated.
    output : path-like
        Model folder to write.
    backend : {"tfidf", "transformer"}, default="tfidf"
        ``tfidf`` fits :class:`~safetylens._model.IncidentClassifier` (minutes);
        ``transformer`` fine-tunes :class:`~safetylens._encoder.EncoderClassifier` (tens of
        minutes on a laptop CPU; needs the ``train`` extra).
    seed : int, default=0
        Seed of the cross-validation or validation split (and, for the encoder, of training).
    cv : int, default=5
        Folds used to tune the decision thresholds (``tfidf`` only; the encoder tunes them on
        held-out validation reports).
    test : path-like or list of path-like, optional
        Held-out labelled reports; their metrics are stored in the card as ``test_metrics``.
    params : dict, optional
        Extra parameters of the estimator.
    progress : callable, optional
        Called as ``progress(done, total, what)`` as training goes.

    Returns
    -------
    dict
        The model card.
    """
    import numpy as np

    from safetylens._metrics import score
    from safetylens._modelcard import save_model

    try:
        backend = Backend(getattr(backend, "value", backend))
    except ValueError:
        raise DataValidationError(
            f"unknown backend {backend!r}; use one of {', '.join(b.value for b in Backend)}"
        ) from None
    paths = [Path(p) for p in (data if isinstance(data, (list, tuple)) else [data])]
    if not paths:
        raise DataValidationError("no training data given")
    parts = [read_labelled(p, text_col=text_col, labels_col=labels_col) for p in paths]
    texts = [t for part in parts for t in part[0]]
    Y = np.vstack([part[1] for part in parts])
    if backend is Backend.tfidf:
        from safetylens._model import IncidentClassifier

        model = IncidentClassifier(threshold_cv=cv, random_state=seed, **(params or {}))
        model.fit(
            texts,
            Y,
            progress=None if progress is None else (lambda d, t: progress(d, t, "folds")),
        )
    else:
        from safetylens._encoder import EncoderClassifier

        model = EncoderClassifier(random_state=seed, **(params or {}))
        model.fit(
            texts,
            Y,
            progress=None if progress is None else (lambda s, t, e, loss: progress(s, t, "steps")),
        )
    card = {
        "training_data": {
            "name": ", ".join(p.name for p in paths),
            "n_reports": len(texts),
            "sha256": data_hash(texts, Y),
            "label_counts": {
                str(c): int(n) for c, n in zip(model.classes_, Y.sum(axis=0), strict=True)
            },
        },
        "seed": seed,
    }
    if test is not None:
        tests = [Path(t) for t in (test if isinstance(test, (list, tuple)) else [test])]
        card["test_data"], card["test_metrics"] = [], {}
        for path in tests:
            test_texts, test_Y, _ = read_labelled(path, text_col=text_col, labels_col=labels_col)
            card["test_data"].append(
                {
                    "name": path.name,
                    "n_reports": len(test_texts),
                    "sha256": data_hash(test_texts, test_Y),
                }
            )
            card["test_metrics"][path.name] = score(test_Y, model.predict(test_texts))
    return save_model(model, output, card=card)


def evaluate_file(data, model_dir=None, *, text_col=None, labels_col="labels", trust=False) -> dict:
    """Score a model (``"accurate"``, the default, ``"fast"`` or a folder) on a labelled file.

    Returns the metrics of :func:`safetylens._metrics.score`.
    """
    from safetylens._metrics import score
    from safetylens._modelcard import load_model

    model = load_model(model_dir, trust=trust)
    texts, Y, _ = read_labelled(data, text_col=text_col, labels_col=labels_col)
    return score(Y, model.predict(texts))
