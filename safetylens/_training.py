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


def is_review_file(path) -> bool:
    """True for a review workbook (or its Review sheet saved as CSV) from ``review sample``."""
    from safetylens._readers import iter_table

    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".csv"):
        return False
    try:
        sheet = "Review" if path.suffix.lower() == ".xlsx" else None
        columns = {str(c) for c in iter_table(path, chunk_size=1, sheet=sheet).columns}
    except Exception:  # noqa: BLE001 - not a review file; the normal reader will say why
        return False
    from safetylens.taxonomy import LABELS

    return "reviewed" in columns and set(LABELS) <= columns


def read_training_file(path, *, text_col=None, labels_col="labels"):
    """Labelled reports from a labelled file or a review workbook: (texts, Y, is_local).

    A review workbook (or its Review sheet saved as CSV) contributes only the rows marked
    ``reviewed`` = yes, with the reviewer's labels; its reports count as local reports.
    """
    if is_review_file(path):
        from safetylens._model import labels_to_indicator
        from safetylens._review_score import read_reviewed

        frame = read_reviewed(path)
        if frame.empty:
            raise DataValidationError(f"{Path(path).name}: no reviewed rows (reviewed = yes)")
        return frame["text"].tolist(), labels_to_indicator(frame["labels"].tolist()), True
    texts, Y, _ = read_labelled(path, text_col=text_col, labels_col=labels_col)
    return texts, Y, False


def shipped_corpus() -> list[Path]:
    """The packaged training files (what the shipped models were trained on)."""
    from safetylens._resources import sample_data_dir

    names = ("reports_handwritten.csv", "reports_generated.csv", "reports_registers.csv")
    return [sample_data_dir() / name for name in names]


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
    include_shipped_corpus=False,
    local_weight=1.0,
    progress=None,
) -> dict:
    """Fit a classifier on labelled files (and reviewed workbooks) and save it with its card.

    Parameters
    ----------
    data : path-like or list of path-like
        Labelled reports (a text column and ``labels_col``), or review workbooks from
        ``safetylens review sample`` (only rows with ``reviewed`` = yes count; these are the
        *local* reports); several files are concatenated.
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
    include_shipped_corpus : bool, default=False
        Add the packaged training corpus to ``data``.
    local_weight : float, default=1.0
        Weight of each local (reviewed) report against a corpus report. The encoder weighs its
        loss; the TF-IDF model repeats each local report this many times (rounded), inside its
        cross-validation folds.
    progress : callable, optional
        Called as ``progress(done, total, what)`` as training goes.

    Returns
    -------
    dict
        The model card. With local reports it has ``local_reports``: how many, their F1 under
        the shipped model of the same kind (before) and the held-out F1 of the new model on
        them (after: out-of-fold for ``tfidf``, the validation reports for ``transformer``).
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
    if not (isinstance(local_weight, (int, float)) and 0 < local_weight <= 100):
        raise DataValidationError(f"--local-weight must be in (0, 100]; got {local_weight!r}")
    paths = [Path(p) for p in (data if isinstance(data, (list, tuple)) else [data])]
    if include_shipped_corpus:
        paths = paths + shipped_corpus()
    if not paths:
        raise DataValidationError("no training data given")
    parts = [read_training_file(p, text_col=text_col, labels_col=labels_col) for p in paths]
    texts = [t for part in parts for t in part[0]]
    Y = np.vstack([part[1] for part in parts])
    local = np.concatenate([np.full(len(part[0]), part[2]) for part in parts]).astype(bool)
    weights = np.where(local, float(local_weight), 1.0) if local.any() else None
    if backend is Backend.tfidf:
        from safetylens._model import IncidentClassifier

        model = IncidentClassifier(threshold_cv=cv, random_state=seed, **(params or {}))
        model.fit(
            texts,
            Y,
            sample_weight=weights,
            progress=None if progress is None else (lambda d, t: progress(d, t, "folds")),
        )
    else:
        from safetylens._encoder import EncoderClassifier

        model = EncoderClassifier(random_state=seed, **(params or {}))
        model.fit(
            texts,
            Y,
            sample_weight=weights,
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
    if local.any():
        card["local_reports"] = _local_figures(model, backend, texts, Y, local, local_weight)
    if test is not None:
        tests = [Path(t) for t in (test if isinstance(test, (list, tuple)) else [test])]
        card["test_data"], card["test_metrics"] = [], {}
        for path in tests:
            test_texts, test_Y, _ = read_training_file(
                path, text_col=text_col, labels_col=labels_col
            )
            card["test_data"].append(
                {
                    "name": path.name,
                    "n_reports": len(test_texts),
                    "sha256": data_hash(test_texts, test_Y),
                }
            )
            card["test_metrics"][path.name] = score(test_Y, model.predict(test_texts))
    return save_model(model, output, card=card)


def _local_figures(model, backend, texts, Y, local, local_weight) -> dict:
    """F1 on the local reports before (the shipped model) and after (held out from the fit)."""
    import numpy as np

    from safetylens._metrics import score
    from safetylens._modelcard import load_model

    index = np.flatnonzero(local)
    shipped = load_model("fast" if backend is Backend.tfidf else "accurate")
    before = score(Y[index], shipped.predict([texts[i] for i in index]))
    if backend is Backend.tfidf:
        held_out = index
        after = score(Y[index], model.decide(model.oof_proba_[index]))
        how = "out-of-fold (cross-validated) predictions of the new model"
    else:
        held_out = np.intersect1d(index, model.validation_indices_)
        after = (
            score(Y[held_out], model.predict([texts[i] for i in held_out]))
            if len(held_out)
            else None
        )
        how = "the new model on the local reports held out for validation"
    return {
        "n_reports": int(len(index)),
        "weight": float(local_weight),
        "before": {
            "model": "fast" if backend is Backend.tfidf else "accurate",
            "macro_f1": before["macro_f1"],
            "any_f1": before["any_information_linked"]["f1"],
        },
        "after": None
        if after is None
        else {
            "n_reports": int(len(held_out)),
            "how": how,
            "macro_f1": after["macro_f1"],
            "any_f1": after["any_information_linked"]["f1"],
        },
    }


def evaluate_file(data, model_dir=None, *, text_col=None, labels_col="labels", trust=False) -> dict:
    """Score a model (``"accurate"``, the default, ``"fast"`` or a folder) on a labelled file.

    ``data`` may also be a reviewed workbook: the reviewer's labels of its reviewed rows are the
    truth (unweighted; ``safetylens review score`` gives design-weighted estimates).

    Returns the metrics of :func:`safetylens._metrics.score`.
    """
    from safetylens._metrics import score
    from safetylens._modelcard import load_model

    model = load_model(model_dir, trust=trust)
    texts, Y, _ = read_training_file(data, text_col=text_col, labels_col=labels_col)
    return score(Y, model.predict(texts))
