"""Text normalisation: abbreviations, negation scope (NegEx-style tables), stemming."""

import pytest

from safetylens._text import TextNormalizer, abbreviations, negation_cues


def features(text):
    return TextNormalizer().transform([text])[0].split()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Negation is scoped: the same word inside and outside a negation differs.
        ("allergies were checked and documented", ["allergi", "were", "check", "and", "document"]),
        ("allergy not documented", ["allergi", "not", "neg_document"]),
        ("no wristband", ["no", "neg_wristband"]),
        # Pseudo-negations open no scope.
        ("no change in obs", ["no", "chang", "in", "observ"]),
        ("not only the notes", ["not", "onli", "the", "note"]),
        # Termination cues and sentence ends close the scope.
        ("not handed over but documented", ["not", "neg_hand", "neg_over", "but", "document"]),
        ("no harm. notes missing", ["no", "neg_harm", "note", "miss"]),
        # The scope ends after five words.
        ("no a b c d e f", ["no", "neg_a", "neg_b", "neg_c", "neg_d", "neg_e", "f"]),
        # Abbreviations expand before negation and stemming.
        ("pt's NOK not informed", ["patient", "next", "of", "kin", "not", "neg_inform"]),
        ("EPR down", ["electron", "patient", "record", "down"]),
        ("TTO w/o warfarin", ["to", "take", "out", "medic", "without", "neg_warfarin"]),
    ],
)
def test_normalised_features(text, expected):
    assert features(text) == expected


def test_html_entities_and_unicode_are_folded():
    assert features("<p>Pt&nbsp;fell &amp; café</p>") == ["patient", "fell", "cafe"]


def test_numbers_alone_are_dropped_but_codes_kept():
    assert features("gave 500 mg at 0300 news2 7") == ["gave", "mg", "at", "earli", "warn", "score"]


def test_non_text_values_give_empty_strings():
    assert TextNormalizer().transform([None, float("nan"), "", 3]) == ["", "", "", ""]


def test_tables_have_the_documented_schema():
    assert all(expansion for expansion in abbreviations().values())
    assert set(negation_cues().values()) == {"preceding", "following", "pseudo", "termination"}


def test_stemming_cache_gives_the_same_result_twice():
    norm = TextNormalizer()
    first = norm.transform(["Documented documentation documenting"] * 2)
    assert first[0] == first[1] == "document document document"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Words from an expansion are never cues: DNACPR negates nothing after it.
        (
            "DNACPR form missing",
            ["do", "not", "attempt", "cardiopulmonari", "resuscit", "form", "miss"],
        ),
        # Typed without the apostrophe, still a cue.
        ("didnt document", ["didnt", "neg_document"]),
        # Dates and overdoses are not medication abbreviations.
        ("12 Mar od", ["mar", "od"]),
    ],
)
def test_expansions_and_cue_variants(text, expected):
    assert features(text) == expected


def test_clinical_comparisons_are_not_html():
    assert features("BM <4 so insulin withheld >1 hour") == [
        "bm",
        "so",
        "insulin",
        "withheld",
        "hour",
    ]
