"""Text normalisation for incident reports: one job, turning free text into feature tokens.

Steps, in order: HTML tags and entities removed; Unicode folded and lower-cased; NLTK regexp
tokenisation; clinical abbreviations expanded from ``data/abbreviations.tsv``; negation scope
marked from the NegEx-style cue table ``data/negation_cues.tsv`` (words inside a negation scope
get a ``neg_`` prefix, so "allergy not documented" yields ``neg_document`` while "allergies were
checked and documented" yields ``document``); Snowball stemming with a cache. No NLTK data is
downloaded: the tokenizer and stemmer need none.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from importlib import resources

from sklearn.base import BaseEstimator, TransformerMixin

NEG_PREFIX = "neg_"
"""Prefix given to tokens inside a negation scope."""

SCOPE_WINDOW = 5
"""A preceding cue negates at most this many following words."""

_BOUNDARY = frozenset(".;:!?")
_TAG = re.compile(r"</?[a-z][a-z0-9]*(?:\s[^<>]{0,200})?/?>", re.IGNORECASE)
_TOKEN_PATTERN = r"[a-z][a-z0-9]*(?:[&'/][a-z0-9]+)*|[0-9]+[a-z][a-z0-9]*|[.;:!?]"
_STEM_CACHE_LIMIT = 500_000


def _read_table(name: str) -> list[list[str]]:
    text = resources.files("safetylens").joinpath("data", name).read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, tuple[str, ...]]:
    """The shipped abbreviation table: abbreviation -> expansion tokens.

    Examples
    --------
    >>> abbreviations()["pt"]
    ('patient',)
    >>> abbreviations()["nok"]
    ('next', 'of', 'kin')
    """
    return {
        abbr.lower(): tuple(expansion.split())
        for abbr, expansion in _read_table("abbreviations.tsv")
    }


@lru_cache(maxsize=1)
def negation_cues() -> dict[tuple[str, ...], str]:
    """The shipped negation cue table: cue words -> type (preceding/following/pseudo/termination).

    Examples
    --------
    >>> negation_cues()[("not",)]
    'preceding'
    >>> negation_cues()[("not", "only")]
    'pseudo'
    """
    cues = {}
    for cue, kind in _read_table("negation_cues.tsv"):
        if kind not in {"preceding", "following", "pseudo", "termination"}:
            raise ValueError(f"negation_cues.tsv: unknown cue type {kind!r}")
        cues[tuple(cue.split())] = kind
    return cues


class TextNormalizer(TransformerMixin, BaseEstimator):
    """Turn report texts into space-separated feature tokens.

    Parameters
    ----------
    expand_abbreviations : bool, default=True
        Expand clinical abbreviations (pt, obs, EPR, TTO, NOK, DNACPR, GP, ...).
    mark_negation : bool, default=True
        Prefix words inside a negation scope with ``neg_``.
    stem : bool, default=True
        Apply the Snowball English stemmer (cached).

    Examples
    --------
    >>> norm = TextNormalizer()
    >>> norm.transform(["Allergy NOT documented on EPR."])
    ['allergi not neg_document neg_on neg_electron neg_patient neg_record']
    >>> norm.transform(["Allergies were checked and documented."])
    ['allergi were check and document']
    """

    def __init__(self, *, expand_abbreviations=True, mark_negation=True, stem=True):
        self.expand_abbreviations = expand_abbreviations
        self.mark_negation = mark_negation
        self.stem = stem

    def fit(self, X, y=None):
        """Nothing to learn; checks the word lists load. Returns self."""
        abbreviations()
        negation_cues()
        return self

    def transform(self, X):
        """Normalise each text; non-text or empty values give an empty string."""
        return [" ".join(feature for feature, _ in self.analyse(text)) for text in X]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags

    def analyse(self, text) -> list[tuple[str, str]]:
        """Return ``(feature, surface word)`` pairs for one text, for explanations.

        Examples
        --------
        >>> TextNormalizer().analyse("No wristband")
        [('no', 'no'), ('neg_wristband', 'wristband')]
        """
        if not isinstance(text, str) or not text:
            return []
        tokens = _tokenize(_clean(text))
        if self.expand_abbreviations:
            tokens = _expand(tokens)
        marks = _negation_marks(tokens) if self.mark_negation else [False] * len(tokens)
        stem = _stem if self.stem else _identity
        out = []
        for (token, surface), negated in zip(tokens, marks, strict=True):
            if token in _BOUNDARY:
                continue
            feature = stem(token)
            out.append((NEG_PREFIX + feature if negated else feature, surface))
        return out


def _clean(text: str) -> str:
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return text.lower()


@lru_cache(maxsize=1)
def _tokenizer():
    from nltk.tokenize import RegexpTokenizer

    return RegexpTokenizer(_TOKEN_PATTERN)


def _tokenize(text: str) -> list[tuple[str, str]]:
    return [(token, token) for token in _tokenizer().tokenize(text)]


class _Expanded(str):
    """A word from a several-word expansion: never a negation cue ("DNACPR" is "do not
    attempt ...", which negates nothing)."""

    __slots__ = ()


def _expand(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    table = abbreviations()
    out = []
    for token, surface in tokens:
        if token.endswith("'s"):
            token = token[:-2]  # possessive: "pt's" is "pt"
        expansion = table.get(token)
        if expansion is None:
            out.append((token, surface))
        else:
            if len(expansion) == 1:  # "w/o" -> "without" is still a cue
                out.append((expansion[0], surface))
            else:
                out.extend((_Expanded(word), surface) for word in expansion)
    return out


def _negation_marks(tokens: list[tuple[str, str]]) -> list[bool]:
    cues = negation_cues()
    words = [token for token, _ in tokens]
    marks = [False] * len(words)
    remaining = 0  # words left in the current preceding-cue scope
    i = 0
    while i < len(words):
        word = words[i]
        if word in _BOUNDARY:
            remaining = 0
            i += 1
            continue
        cue_len, kind = (1, None) if isinstance(word, _Expanded) else _match_cue(words, i, cues)
        if kind == "pseudo":
            i += cue_len
            continue
        if kind == "termination":
            remaining = 0
            i += cue_len
            continue
        if kind == "preceding":
            remaining = SCOPE_WINDOW
            i += cue_len
            continue
        if kind == "following":
            j, back = i - 1, 0
            while j >= 0 and back < 3 and words[j] not in _BOUNDARY:
                marks[j] = True
                j -= 1
                back += 1
            i += cue_len
            continue
        if remaining:
            marks[i] = True
            remaining -= 1
        i += 1
    return marks


def _match_cue(words: list[str], i: int, cues: dict) -> tuple[int, str | None]:
    if words[i] not in _cue_starts():
        return 1, None
    for length in (3, 2, 1):
        if i + length <= len(words):
            kind = cues.get(tuple(words[i : i + length]))
            if kind is not None:
                return length, kind
    return 1, None


@lru_cache(maxsize=1)
def _cue_starts() -> frozenset:
    return frozenset(cue[0] for cue in negation_cues())


_stem_cache: dict[str, str] = {}


@lru_cache(maxsize=1)
def _stemmer():
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english")


def _stem(token: str) -> str:
    stem = _stem_cache.get(token)
    if stem is None:
        if len(_stem_cache) > _STEM_CACHE_LIMIT:
            _stem_cache.clear()
        stem = _stemmer().stem(token) if token.isalpha() else token
        _stem_cache[token] = stem
    return stem


def _identity(token: str) -> str:
    return token
