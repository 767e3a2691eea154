"""The incident classifier: a scikit-learn estimator over a text pipeline, with tuned thresholds.

The pipeline is ``TextNormalizer`` (abbreviations, negation, stemming) -> TF-IDF word n-grams
(plus character n-grams, which keep typos such as "recieved" close to the real word) -> one-vs-rest
linear SVM with sigmoid-calibrated probabilities. Per-label decision thresholds are chosen to
maximise F1 on out-of-fold probabilities from K-fold cross-validation, so they never see the
report they score.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from safetylens._text import NEG_PREFIX
from safetylens.exceptions import DataValidationError
from safetylens.taxonomy import LABELS, parse_labels


def labels_to_indicator(y) -> np.ndarray:
    """Turn label lists, ``"a;b"`` strings or an indicator matrix into an (n, 7) 0/1 array.

    Examples
    --------
    >>> y = labels_to_indicator([["it_system"], "records_unavailable;test_results", ""])
    >>> y.sum(axis=0).tolist()
    [1, 0, 0, 1, 0, 0, 1]
    """
    if isinstance(y, np.ndarray) and y.ndim == 2:
        if y.shape[1] != len(LABELS):
            raise DataValidationError(
                f"label matrix must have {len(LABELS)} columns (one per label); got {y.shape[1]}"
            )
        return (y > 0).astype(np.int8)
    rows = []
    for i, item in enumerate(y):
        names = parse_labels(item) if not isinstance(item, (list, tuple, set)) else list(item)
        unknown = set(names).difference(LABELS)
        if unknown:
            raise DataValidationError(f"row {i + 1}: unknown label(s) {sorted(unknown)}")
        rows.append([1 if label in names else 0 for label in LABELS])
    return np.asarray(rows, dtype=np.int8).reshape(-1, len(LABELS))


def check_training_data(X, y, sample_weight=None):
    """Texts, the (n, 7) indicator matrix and the weights (or None), checked to match.

    Examples
    --------
    >>> texts, Y, w = check_training_data(["EPR down"], ["it_system"], [2.0])
    >>> Y.tolist(), w.tolist()
    ([[0, 0, 0, 0, 0, 0, 1]], [2.0])
    """
    texts = as_texts(X)
    Y = labels_to_indicator(y)
    if len(texts) != len(Y):
        raise DataValidationError(f"{len(texts)} texts but {len(Y)} label rows")
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=float)
        if weights.shape != (len(texts),) or not np.all(weights > 0):
            raise DataValidationError("sample_weight must be one positive weight per report")
    return texts, Y, weights


def as_texts(X) -> list:
    """Report texts as a list of str (missing values as ""); a single string is refused."""
    if isinstance(X, str):
        raise DataValidationError("expected a list of report texts, got a single string")
    return ["" if x is None or (isinstance(x, float) and x != x) else str(x) for x in X]


class IncidentClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label classifier of incident report text into the seven information-linked labels.

    Parameters
    ----------
    C : float, default=0.5
        Inverse regularisation strength of each label's linear SVM.
    word_ngrams : tuple of int, default=(1, 2)
        Range of word n-grams after normalisation.
    char_ngrams : tuple of int or None, default=(3, 5)
        Range of character n-grams (within word boundaries); ``None`` turns them off.
    min_df : int, default=2
        Ignore features seen in fewer training reports.
    calibration_cv : int, default=3
        Folds for the sigmoid probability calibration of each label.
    threshold_cv : int, default=5
        Folds of the cross-validation that tunes each label's decision threshold.
    review_margin : float, default=0.15
        A report ``needs_review`` when any label's probability is within this distance of its
        threshold.
    random_state : int, default=0
        Seed for the cross-validation splits.

    Attributes
    ----------
    classes_ : ndarray of str
        The labels, in taxonomy order.
    thresholds_ : ndarray of float
        Decision threshold of each label.
    pipeline_ : sklearn.pipeline.Pipeline
        The fitted text pipeline.
    cv_scores_ : dict
        Out-of-fold F1 per label at the chosen thresholds (an estimate from the training data
        itself; the held-out test split is the honest figure).

    Examples
    --------
    Fitting on a few reports per label (each label needs at least
    ``2 * max(threshold_cv, calibration_cv)`` positive reports):

    >>> from safetylens.taxonomy import LABELS
    >>> words = ["notes missing", "wrong wristband", "allergy not recorded", "bloods not seen",
    ...          "handover omitted", "obs not documented", "EPR down"]
    >>> texts = [f"{w} on ward {i}" for w in words for i in range(8)] + ["pt fell"] * 8
    >>> labels = [[label] for label in LABELS for _ in range(8)] + [[]] * 8
    >>> clf = IncidentClassifier(threshold_cv=2, calibration_cv=2, min_df=1, char_ngrams=None)
    >>> clf = clf.fit(texts, labels)
    >>> clf.predict(["EPR down again"]).tolist()
    [[0, 0, 0, 0, 0, 0, 1]]
    """

    def __init__(
        self,
        *,
        C=0.5,
        word_ngrams=(1, 2),
        char_ngrams=(3, 5),
        min_df=2,
        calibration_cv=3,
        threshold_cv=5,
        review_margin=0.15,
        random_state=0,
    ):
        self.C = C
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.calibration_cv = calibration_cv
        self.threshold_cv = threshold_cv
        self.review_margin = review_margin
        self.random_state = random_state

    def _build_pipeline(self):
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import FeatureUnion, Pipeline
        from sklearn.svm import LinearSVC

        from safetylens._text import TextNormalizer

        features = [
            (
                "words",
                TfidfVectorizer(
                    token_pattern=r"\S+",
                    lowercase=False,
                    ngram_range=tuple(self.word_ngrams),
                    min_df=self.min_df,
                    max_df=0.9,
                    sublinear_tf=True,
                    dtype=np.float32,
                ),
            )
        ]
        if self.char_ngrams is not None:
            features.append(
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        lowercase=False,
                        ngram_range=tuple(self.char_ngrams),
                        min_df=self.min_df,
                        max_df=0.9,
                        sublinear_tf=True,
                        max_features=60_000,
                        dtype=np.float32,
                    ),
                )
            )
        classifier = CalibratedClassifierCV(
            LinearSVC(C=self.C, class_weight="balanced", random_state=self.random_state),
            method="sigmoid",
            cv=self.calibration_cv,
        )
        return Pipeline(
            [
                ("normalise", TextNormalizer()),
                ("features", FeatureUnion(features)),
                ("classify", OneVsRestClassifier(classifier)),
            ]
        )

    def _validate_params(self):
        if not (isinstance(self.C, (int, float)) and self.C > 0):
            raise DataValidationError(
                "The 'C' parameter of IncidentClassifier must be a float > 0. "
                f"Got {self.C!r} instead."
            )
        if not (isinstance(self.threshold_cv, int) and self.threshold_cv >= 2):
            raise DataValidationError(
                "The 'threshold_cv' parameter of IncidentClassifier must be an int >= 2. "
                f"Got {self.threshold_cv!r} instead."
            )
        if not (0 <= self.review_margin < 0.5):
            raise DataValidationError(
                "The 'review_margin' parameter of IncidentClassifier must be in [0, 0.5). "
                f"Got {self.review_margin!r} instead."
            )

    def fit(self, X, y, *, sample_weight=None, progress=None):
        """Fit the pipeline and tune per-label thresholds by cross-validation.

        Parameters
        ----------
        X : sequence of str
            Report texts.
        y : sequence of label lists, ``"a;b"`` strings, or an (n, 7) indicator array
        sample_weight : array-like of float, optional
            Weight of each report: a report of weight w counts as ``round(w)`` copies (at least
            one). Copies of a report stay in the same cross-validation fold, so the
            out-of-fold probabilities never come from a model that saw the report.
        progress : callable, optional
            Called as ``progress(done, total)`` after each cross-validation fold and after the
            final fit (``total`` is ``threshold_cv + 1``).

        Returns
        -------
        self
        """
        from sklearn.base import clone
        from sklearn.model_selection import KFold

        self._validate_params()
        texts, Y, weights = check_training_data(X, y, sample_weight)
        copies = np.ones(len(texts), dtype=int)
        if weights is not None:
            copies = np.maximum(1, np.rint(weights)).astype(int)
        need = max(self.threshold_cv, self.calibration_cv) * 2
        counts = Y.sum(axis=0)
        short = [label for label, n in zip(LABELS, counts, strict=True) if n < need]
        if short:
            raise DataValidationError(
                f"each label needs at least {need} positive training reports; too few for {short}"
            )

        def expanded(index):
            rows = np.repeat(index, copies[index])
            return [texts[i] for i in rows], Y[rows]

        folds = KFold(self.threshold_cv, shuffle=True, random_state=self.random_state)
        oof = np.zeros(Y.shape, dtype=float)
        template = self._build_pipeline()
        total = self.threshold_cv + 1
        for done, (train, test) in enumerate(folds.split(texts), start=1):
            fold = clone(template).fit(*expanded(train))
            oof[test] = fold.predict_proba([texts[i] for i in test])
            if progress is not None:
                progress(done, total)
        self.thresholds_, f1s = tune_thresholds(Y, oof)
        self.cv_scores_ = {label: round(float(f), 4) for label, f in zip(LABELS, f1s, strict=True)}
        self.oof_proba_ = oof
        self.pipeline_ = self._build_pipeline().fit(*expanded(np.arange(len(texts))))
        self._shrink()
        self.classes_ = np.array(LABELS)
        if progress is not None:
            progress(total, total)
        return self

    def _shrink(self) -> None:
        """Store the SVM weights as float32 (the features already are): half the model file,
        probabilities unchanged to about 1e-6."""
        for calibrated in self.pipeline_.named_steps["classify"].estimators_:
            for fold in calibrated.calibrated_classifiers_:
                fold.estimator.coef_ = fold.estimator.coef_.astype(np.float32)

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probability of each label, shape (n, 7), columns in taxonomy order."""
        check_is_fitted(self, "pipeline_")
        texts = as_texts(X)
        if not texts:
            return np.zeros((0, len(LABELS)))
        return self.pipeline_.predict_proba(texts)

    def predict_proba_readable(self, X) -> np.ndarray:
        """Like :meth:`predict_proba`, with NaN rows for texts that have no words to read.

        A text has no words to read when normalising leaves nothing (only symbols, emoji or
        another script) or only a placeholder such as "n/a". Each text is normalised once.
        """
        check_is_fitted(self, "pipeline_")
        texts = as_texts(X)
        normaliser = self.pipeline_.named_steps["normalise"]
        normalised = normaliser.transform(texts) if texts else []
        null = self._null_features()
        readable = np.fromiter(
            (bool(f) and f not in null for f in normalised), dtype=bool, count=len(texts)
        )
        proba = np.full((len(texts), len(LABELS)), np.nan)
        if readable.any():
            rest = self.pipeline_[1:]  # the text is normalised already
            proba[readable] = rest.predict_proba(
                [f for f, r in zip(normalised, readable, strict=True) if r]
            )
        return proba

    def _null_features(self) -> frozenset:
        null = getattr(self, "_null_features_", None)
        if null is None:
            from safetylens._classify import NULL_TEXTS

            normaliser = self.pipeline_.named_steps["normalise"]
            null = self._null_features_ = frozenset(normaliser.transform(list(NULL_TEXTS)))
        return null

    def predict(self, X) -> np.ndarray:
        """0/1 indicator matrix, shape (n, 7): probability at or above each label's threshold."""
        return self.decide(self.predict_proba(X))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Apply the thresholds to probabilities from :meth:`predict_proba`."""
        check_is_fitted(self, "thresholds_")
        return (proba >= self.thresholds_).astype(np.int8)

    def needs_review(self, proba: np.ndarray) -> np.ndarray:
        """True where any label's probability is within ``review_margin`` of its threshold."""
        check_is_fitted(self, "thresholds_")
        return (np.abs(proba - self.thresholds_) < self.review_margin).any(axis=1)

    def explain(self, texts, decisions: np.ndarray, top: int = 3) -> list[str]:
        """Name the words or phrases that drove each assigned label.

        Returns one string per text, such as
        ``"medication_information: allergy, not documented; it_system: EPR"``.
        """
        check_is_fitted(self, "pipeline_")
        normaliser = self.pipeline_.named_steps["normalise"]
        words = self.pipeline_.named_steps["features"].transformer_list[0][1]
        vocabulary = words.vocabulary_
        weights = self._word_weights()
        idf = words.idf_
        out = []
        for text, row in zip(as_texts(texts), decisions, strict=True):
            if not row.any():
                out.append("")
                continue
            pairs = normaliser.analyse(text)
            grams = _grams(pairs, words.ngram_range)
            counts: dict[int, float] = {}
            surfaces: dict[int, str] = {}
            for feature, surface in grams:
                j = vocabulary.get(feature)
                if j is not None:
                    counts[j] = counts.get(j, 0.0) + 1.0
                    surfaces.setdefault(j, surface)
            parts = []
            for k in np.flatnonzero(row):
                scored = sorted(
                    ((1 + np.log(c)) * idf[j] * weights[k, j], j) for j, c in counts.items()
                )
                chosen: list[str] = []
                for score, j in reversed(scored):
                    if score <= 0 or len(chosen) == top:
                        break
                    phrase = _tidy(surfaces[j])
                    # Skip a phrase already inside a chosen one, and replace chosen words that a
                    # longer phrase contains.
                    if any(f" {phrase} " in f" {c} " for c in chosen):
                        continue
                    chosen = [c for c in chosen if f" {c} " not in f" {phrase} "] + [phrase]
                parts.append(f"{LABELS[k]}: {', '.join(chosen) if chosen else '(overall wording)'}")
            out.append("; ".join(parts))
        return out

    def _word_weights(self) -> np.ndarray:
        """Per-label SVM weights of the word features, averaged over calibration folds."""
        if getattr(self, "_word_weights_", None) is not None:
            return self._word_weights_
        n_words = len(self.pipeline_.named_steps["features"].transformer_list[0][1].vocabulary_)
        rows = []
        for calibrated in self.pipeline_.named_steps["classify"].estimators_:
            coefs = [
                c.estimator.coef_.ravel()[:n_words] for c in calibrated.calibrated_classifiers_
            ]
            rows.append(np.mean(coefs, axis=0))
        self._word_weights_ = np.vstack(rows)
        return self._word_weights_

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_word_weights_", None)
        state.pop("_null_features_", None)
        state.pop("oof_proba_", None)  # needed only while training; keeps the file small
        return state


def _tidy(surface: str) -> str:
    """Collapse repeats from one abbreviation ("epr epr" -> "epr")."""
    words = surface.split()
    return " ".join(w for i, w in enumerate(words) if i == 0 or w != words[i - 1])


def _grams(pairs: list[tuple[str, str]], ngram_range) -> list[tuple[str, str]]:
    """Word n-gram features of one text with the surface words they came from."""
    low, high = ngram_range
    out = []
    for n in range(low, high + 1):
        for i in range(len(pairs) - n + 1):
            window = pairs[i : i + n]
            feature = " ".join(f for f, _ in window)
            surface = " ".join(s for _, s in window)
            if window[0][0].startswith(NEG_PREFIX):
                surface = "not " + surface
            out.append((feature, surface))
    return out


def tune_thresholds(Y: np.ndarray, proba: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """Choose each label's threshold to maximise held-out F1 (ties: the one nearest 0.5).

    ``proba`` must come from reports the model did not train on (out-of-fold or validation).
    """
    from sklearn.metrics import f1_score

    grid = np.round(np.arange(0.10, 0.905, 0.025), 3)
    thresholds, best_f1 = [], []
    for k in range(Y.shape[1]):
        scores = np.array([f1_score(Y[:, k], proba[:, k] >= t, zero_division=0) for t in grid])
        best = scores.max()
        candidates = grid[scores >= best - 1e-9]
        chosen = candidates[np.argmin(np.abs(candidates - 0.5))]
        thresholds.append(float(chosen))
        best_f1.append(float(best))
    return np.array(thresholds), best_f1
