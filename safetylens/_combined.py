"""The shipped accurate model: the encoder's probabilities averaged with the fast model's.

The two models err differently: the encoder reads meaning in wording it has never seen, the
TF-IDF model is sure of the exact phrases of incident reports. A weighted mean of their
probabilities, with thresholds tuned on reports neither model trained on, does better than
either alone (the figures are in the model card).
"""

from __future__ import annotations

import numpy as np


class CombinedClassifier:
    """A weighted mean of an encoder's and a TF-IDF model's probabilities.

    Parameters
    ----------
    encoder : EncoderClassifier
    companion : IncidentClassifier
    weight : float
        The encoder's weight; the companion's is ``1 - weight``.
    thresholds : ndarray of float
        Decision threshold of each label for the mean probability.

    Examples
    --------
    >>> from safetylens import load_model
    >>> model = load_model("accurate")
    >>> type(model).__name__, type(model.encoder).__name__, type(model.companion).__name__
    ('CombinedClassifier', 'EncoderClassifier', 'IncidentClassifier')
    """

    def __init__(self, *, encoder, companion, weight, thresholds):
        self.encoder = encoder
        self.companion = companion
        self.weight = float(weight)
        self.thresholds_ = np.asarray(thresholds, dtype=float)
        self.classes_ = encoder.classes_
        self.review_margin = encoder.review_margin

    def __repr__(self) -> str:
        return f"CombinedClassifier(weight={self.weight:g}, encoder=..., companion=...)"

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each label, shape (n, 7): the weighted mean of the two models'."""
        X = list(X)
        return self.weight * self.encoder.predict_proba(X) + (
            1 - self.weight
        ) * self.companion.predict_proba(X)

    def predict_proba_readable(self, X) -> np.ndarray:
        """Like :meth:`predict_proba`, with NaN rows for texts that either model cannot read."""
        X = list(X)
        return self.weight * self.encoder.predict_proba_readable(X) + (
            1 - self.weight
        ) * self.companion.predict_proba_readable(X)

    def predict(self, X) -> np.ndarray:
        """0/1 indicator matrix, shape (n, 7)."""
        return self.decide(self.predict_proba(X))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Apply the thresholds to probabilities from :meth:`predict_proba`."""
        return (np.nan_to_num(proba, nan=0.0) >= self.thresholds_).astype(np.int8)

    def needs_review(self, proba: np.ndarray) -> np.ndarray:
        """True where any label's probability is within ``review_margin`` of its threshold."""
        return (np.abs(proba - self.thresholds_) < self.review_margin).any(axis=1)

    def explain(self, texts, decisions: np.ndarray) -> list[str]:
        """The sentence behind each label (from the encoder, see
        :meth:`EncoderClassifier.explain`)."""
        return self.encoder.explain(texts, decisions)
