"""Scoring a classifier against labelled reports: one job, the metrics.

Precision, recall and F1 for each label, micro and macro F1 over the seven labels, and F1 of the
yes/no question "is this report information-linked at all?".
"""

from __future__ import annotations

import numpy as np

from safetylens.taxonomy import LABELS


def score(y_true, y_pred) -> dict:
    """Metrics of predicted against true label indicator matrices, shape (n, 7).

    Returns
    -------
    dict
        ``{"n_reports", "per_label": {label: {precision, recall, f1, support}}, "micro_f1",
        "macro_f1", "any_information_linked": {precision, recall, f1, support}}``, floats
        rounded to 4 places.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([[1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0]])
    >>> p = np.array([[1, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]])
    >>> m = score(t, p)
    >>> m["per_label"]["records_unavailable"]["f1"], m["any_information_linked"]["f1"]
    (1.0, 1.0)
    """
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    y_true = np.asarray(y_true).astype(int)
    y_pred = np.asarray(y_pred).astype(int)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    any_true = y_true.any(axis=1)
    any_pred = y_pred.any(axis=1)
    ap, ar, af, _ = precision_recall_fscore_support(
        any_true, any_pred, average="binary", zero_division=0
    )
    return {
        "n_reports": int(len(y_true)),
        "per_label": {
            label: {
                "precision": round(float(p[k]), 4),
                "recall": round(float(r[k]), 4),
                "f1": round(float(f[k]), 4),
                "support": int(s[k]),
            }
            for k, label in enumerate(LABELS)
        },
        "micro_f1": round(float(f1_score(y_true, y_pred, average="micro", zero_division=0)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, average="macro", zero_division=0)), 4),
        "any_information_linked": {
            "precision": round(float(ap), 4),
            "recall": round(float(ar), 4),
            "f1": round(float(af), 4),
            "support": int(any_true.sum()),
        },
    }


def format_metrics(metrics: dict) -> str:
    """Render :func:`score` output as a plain-text table.

    Examples
    --------
    >>> import numpy as np
    >>> print(format_metrics(score(np.eye(7, dtype=int), np.eye(7, dtype=int))).splitlines()[0])
    label                     precision  recall      f1  support
    """
    lines = [f"{'label':<25} {'precision':>9} {'recall':>7} {'f1':>7} {'support':>8}"]
    for label, m in metrics["per_label"].items():
        lines.append(
            f"{label:<25} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>7.3f} "
            f"{m['support']:>8d}"
        )
    a = metrics["any_information_linked"]
    lines.append(
        f"{'any information-linked':<25} {a['precision']:>9.3f} {a['recall']:>7.3f} "
        f"{a['f1']:>7.3f} {a['support']:>8d}"
    )
    lines.append(
        f"micro F1 {metrics['micro_f1']:.3f}   macro F1 {metrics['macro_f1']:.3f}   "
        f"reports {metrics['n_reports']}"
    )
    return "\n".join(lines)
