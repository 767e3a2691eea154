"""Tests for safetylens._redact: NHS numbers, dates of birth, postcodes, phones and e-mails."""

from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from safetylens import _redact as redact_module
from safetylens._redact import PLACEHOLDERS, nhs_number_is_valid, redact

WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def check_digit(first_nine: str) -> int:
    """NHS Digital modulus 11: 11 - (weighted sum mod 11), 11 -> 0, 10 means no valid number."""
    check = 11 - sum(int(d) * w for d, w in zip(first_nine, WEIGHTS, strict=True)) % 11
    return 0 if check == 11 else check


def make_valid_numbers(count: int, seed: int) -> list[str]:
    """Valid NHS numbers in the issued ranges (4xx, 6xx, 7xx), from a seeded generator."""
    rng = random.Random(seed)
    numbers: list[str] = []
    while len(numbers) < count:
        first_nine = rng.choice("467") + "".join(rng.choice("0123456789") for _ in range(8))
        check = check_digit(first_nine)
        if check != 10:
            numbers.append(first_nine + str(check))
    return numbers


def make_invalid_numbers(count: int, seed: int) -> list[str]:
    """Ten-digit numbers whose last digit is not the check digit (or whose check digit is 10)."""
    rng = random.Random(seed)
    numbers: list[str] = []
    while len(numbers) < count:
        first_nine = rng.choice("123456789") + "".join(rng.choice("0123456789") for _ in range(8))
        check = check_digit(first_nine)
        wrong = [d for d in "0123456789" if check == 10 or int(d) != check]
        numbers.append(first_nine + rng.choice(wrong))
    return numbers


def make_check_ten_numbers(count: int, seed: int) -> list[str]:
    """Numbers whose first nine digits give a check digit of 10: invalid whatever comes last."""
    rng = random.Random(seed)
    numbers: list[str] = []
    while len(numbers) < count:
        first_nine = rng.choice("123456789") + "".join(rng.choice("0123456789") for _ in range(8))
        if check_digit(first_nine) == 10:
            numbers.append(first_nine + rng.choice("0123456789"))
    return numbers


VALID = make_valid_numbers(25, seed=20240101)
INVALID = make_invalid_numbers(25, seed=20240102)
CHECK_TEN = make_check_ten_numbers(5, seed=20240103)

LAYOUTS = {
    "contiguous": lambda n: n,
    "3-3-4 spaces": lambda n: f"{n[:3]} {n[3:6]} {n[6:]}",
    "3-3-4 hyphens": lambda n: f"{n[:3]}-{n[3:6]}-{n[6:]}",
    "3-3-4 spaced hyphens": lambda n: f"{n[:3]} - {n[3:6]} - {n[6:]}",
    "3-3-4 double spaces": lambda n: f"{n[:3]}  {n[3:6]}  {n[6:]}",
    "3-3-4 en dashes": lambda n: f"{n[:3]}\u2013{n[3:6]}\u2013{n[6:]}",
    "3-3-4 non-breaking spaces": lambda n: f"{n[:3]}\u00a0{n[3:6]}\u00a0{n[6:]}",
    "4-3-3": lambda n: f"{n[:4]} {n[4:7]} {n[7:]}",
    "5-5": lambda n: f"{n[:5]} {n[5:]}",
    "3-7": lambda n: f"{n[:3]} {n[3:]}",
    "2-4-4": lambda n: f"{n[:2]} {n[2:6]} {n[6:]}",
}

CONTEXTS = (
    "{}",
    "NHS no {}",
    "NHS number: {}.",
    "Pt ({}) transferred to ward 22",
    "Pt details: J Smith, NHS {}, bed 14",
    "wristband showed {}\nbut notes showed another",
    "NHS#{}",
)
# After another number ("bed 3 943 476 5919") the groups must be three digits or more, so that
# a date and time such as "12 03 2021 1430" never yields a ten-digit candidate.
LONG_RUN_CONTEXTS = ("bed 3 {} on the board", "0 {}", "ward 22 {} 4")


# ----------------------------------------------------------------------------------------------
# nhs_number_is_valid
# ----------------------------------------------------------------------------------------------


def test_known_valid_number_from_nhs_digital_example():
    # The worked example in the NHS Digital data dictionary.
    assert nhs_number_is_valid("9434765919")
    assert nhs_number_is_valid("943 476 5919")
    assert nhs_number_is_valid("943-476-5919")


@pytest.mark.parametrize("number", VALID)
def test_generated_valid_numbers_are_valid(number):
    assert nhs_number_is_valid(number)


@pytest.mark.parametrize("number", INVALID + CHECK_TEN)
def test_generated_invalid_numbers_are_invalid(number):
    assert not nhs_number_is_valid(number)


@pytest.mark.parametrize(
    "text", ["", "943476591", "94347659190", "943476591X", "943 476 591 9 0", "\u0669434765919"]
)
def test_wrong_shapes_are_invalid(text):
    assert not nhs_number_is_valid(text)


def test_check_digit_of_eleven_means_zero():
    # A weighted sum divisible by 11 gives 11 - 0 = 11, which the algorithm turns into 0.
    first_nine = next(
        f"{i:09d}" for i in range(400000000, 400001000) if check_digit(f"{i:09d}") == 0
    )
    assert sum(int(d) * w for d, w in zip(first_nine, WEIGHTS, strict=True)) % 11 == 0
    assert nhs_number_is_valid(first_nine + "0")
    assert not nhs_number_is_valid(first_nine + "1")


def test_validity_of_a_non_string_is_a_type_error():
    with pytest.raises(TypeError, match="Got int instead"):
        nhs_number_is_valid(9434765919)


# ----------------------------------------------------------------------------------------------
# NHS numbers in text
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("number", VALID)
def test_valid_numbers_are_redacted_in_every_layout(number, layout):
    written = LAYOUTS[layout](number)
    for context in CONTEXTS:
        assert redact(context.format(written)) == context.format("[NHS_NUMBER]")
    if layout != "2-4-4":
        for context in LONG_RUN_CONTEXTS:
            assert redact(context.format(written)) == context.format("[NHS_NUMBER]")


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("number", INVALID + CHECK_TEN)
def test_invalid_numbers_are_left_alone_in_every_layout(number, layout):
    written = LAYOUTS[layout](number)
    for context in CONTEXTS + LONG_RUN_CONTEXTS:
        text = context.format(written)
        assert redact(text) == text


@pytest.mark.parametrize("number", VALID[:10])
def test_valid_number_inside_a_longer_digit_run_is_left_alone(number):
    for text in (
        number + "1",
        "1" + number,
        f"order {number}0 placed",
        f"accession {number[:3]}{number[3:6]}{number[6:]}7",
        f"ref LAB{number}",
        f"ref {number}X",
    ):
        assert redact(text) == text


def test_two_numbers_in_one_report():
    a, b = VALID[0], VALID[1]
    text = f"Results for {a} filed under {b[:3]} {b[3:6]} {b[6:]} in error."
    assert redact(text) == "Results for [NHS_NUMBER] filed under [NHS_NUMBER] in error."


def test_number_next_to_a_phone_number_or_a_time_is_still_found():
    number = VALID[2]
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    assert redact(f"0161 496 0000 {number}") == "[PHONE] [NHS_NUMBER]"
    assert redact(f"+44 7700 900123 {spaced}") == "[PHONE] [NHS_NUMBER]"
    assert redact(f"0800 123 456 {spaced}") == "[PHONE] [NHS_NUMBER]"
    assert redact(f"{spaced} 0161 496 0000") == "[NHS_NUMBER] [PHONE]"
    assert redact(f"seen at 0300 {spaced}") == "seen at 0300 [NHS_NUMBER]"
    assert redact(f"seen at 0900 {number}") == "seen at 0900 [NHS_NUMBER]"


# ----------------------------------------------------------------------------------------------
# Clinical text that must not change
# ----------------------------------------------------------------------------------------------

UNCHANGED = (
    "Paracetamol 1g QDS, last dose 500mg at 0300.",
    "Enoxaparin 40 mg SC at 1800; morphine 2.5-5mg PRN 2 hourly.",
    "Pt found on floor at 0245, obs at 0300 0400 0600 and 0800 stable.",
    "Obs 0800 1200 1600 2000 recorded.",
    "Bed 14 bay 3 ward 22; moved to bed 12 then bed 9.",
    "Ward 3 A, ward 3A, ward B2 and bay C1 2nd bed from the window.",
    "Beds 12 14 15 16 17 closed for cleaning.",
    "NEWS2 score 7, BP 120/80, HR 112, RR 24, SpO2 91% on 2L, temp 38.4.",
    "GCS 14/15, BM 3.2 mmol/L, INR 4.5, Hb 78 g/L, K+ 6.1.",
    "Lab accession number 2304567891 and order no 1234567890 not received.",
    "Specimen numbers 23-045-67891 and H23/0456789 were mislabelled.",
    "Incident on 14/03/2021 at 1430; reported 15.03.21; reviewed 2021-03-16 09:30.",
    "Admitted 3 March 2021, discharged 12-03-21 1430.",
    "Datix ref W12345 and STEIS 2021/12345 opened.",
    "Q4 2hr obs, B12 1mg IM, 5kg weight loss, T2DM on metformin.",
    "Fluids at 125 ml/hr, 1 in 2 assist, 2 x 500 mg tablets.",
    "Pt aged 84 born in Ireland, fell at 0100 on 01/02/2022.",
    "Call bell ext 1234 not answered; bleep 2345.",
    "The time was 07:30 and the dose 0.5 mg, NEWS 0 at 0700.",
    "email the team @ward22 about it",
)


@pytest.mark.parametrize("text", UNCHANGED)
def test_clinical_text_is_not_changed(text):
    assert redact(text) == text


# ----------------------------------------------------------------------------------------------
# Dates of birth
# ----------------------------------------------------------------------------------------------

DOB_CASES = (
    ("DOB 12/03/1954", "DOB [DOB]"),
    ("DOB: 12/03/1954, fell at 0300", "DOB: [DOB], fell at 0300"),
    ("D.O.B. 12.03.54", "D.O.B. [DOB]"),
    ("d.o.b 1/3/1954", "d.o.b [DOB]"),
    ("dob12/03/1954", "dob[DOB]"),
    ("Date of birth: 3 March 1950", "Date of birth: [DOB]"),
    ("date of birth 03-Mar-1950", "date of birth [DOB]"),
    ("born on 3rd of March 1950", "born on [DOB]"),
    ("born 3 Sept 1950", "born [DOB]"),
    ("born March 3, 1950", "born [DOB]"),
    ("DOB 1954-03-12", "DOB [DOB]"),
    ("birth date 12 03 1954", "birth date [DOB]"),
    (
        "Date of birth was recorded as 12/03/1954 (not 12/03/1945) on the wristband",
        "Date of birth was recorded as [DOB] (not [DOB]) on the wristband",
    ),
    (
        "DOB incorrectly documented as 01/02/1960 instead of 02/01/1960.",
        "DOB incorrectly documented as [DOB] instead of [DOB].",
    ),
    (
        "Fall on 14/03/2021. Pt DOB 12/03/1954, admitted 10/03/2021.",
        "Fall on 14/03/2021. Pt DOB [DOB], admitted 10/03/2021.",
    ),
)


@pytest.mark.parametrize(("text", "expected"), DOB_CASES)
def test_dates_of_birth(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Incident date 12/03/2021, reported 13.03.21.",
        "Seen on 3 March 2021 and again on March 5, 2021.",
        "Follow-up booked for 2021-04-01.",
        "Born in 1950, lives alone.",
        "Stillborn delivery on 12/03/2021 reported to the coroner.",
    ],
)
def test_other_dates_are_kept(text):
    assert redact(text) == text


# ----------------------------------------------------------------------------------------------
# Postcodes
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "postcode",
    [
        "SW1A 1AA",
        "M1 1AE",
        "B33 8TH",
        "CR2 6XH",
        "DN55 1PT",
        "EC1A 1BB",
        "W1A 0AX",
        "sw1a 1aa",
        "m1 1ae",
        "b33 8th",
        "Cr2 6Xh",
        "SW1A1AA",
        "DN551PT",
        "GIR 0AA",
    ],
)
def test_postcodes(postcode):
    assert redact(f"Lives at 12 High St, {postcode}.") == "Lives at 12 High St, [POSTCODE]."
    assert redact(postcode) == "[POSTCODE]"


@pytest.mark.parametrize(
    "text",
    ["ward 3 A", "bay C1 2nd bed", "Ward 10 B", "Room G1", "level 2 3rd floor", "C5 6th day"],
)
def test_not_postcodes(text):
    assert redact(text) == text


# ----------------------------------------------------------------------------------------------
# Phone numbers
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "+44 7700 900123",
        "+447700900123",
        "0161 496 0000",
        "0161-496-0000",
        "(020) 7946 0000",
        "020 7946 0000",
        "01632 960123",
        "+44 (0)20 7946 0000",
        "0044 161 496 0000",
        "0300 123 4567",
        "0800 123 456",
    ],
)
def test_phone_numbers(phone):
    assert redact(f"NOK contacted on {phone} at 1430.") == "NOK contacted on [PHONE] at 1430."


def test_extension_is_left_alone():
    assert redact("Rang 0161 496 0000 ext 1234.") == "Rang [PHONE] ext 1234."


@pytest.mark.parametrize(
    "text",
    [
        "at 0300",
        "0300 hrs",
        "500mg",
        "ward 22",
        "bed 0",
        "bleep 4321",
        "0213456789",
        "order 0234567891",
    ],
)
def test_not_phone_numbers(text):
    assert redact(text) == text


# ----------------------------------------------------------------------------------------------
# E-mail addresses
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    ["jane.doe@nhs.net", "j.smith99@example.co.uk", "ward_22+bedmanager@trust.nhs.uk", "A@B.CO"],
)
def test_email_addresses(email):
    assert redact(f"Sent to {email}.") == "Sent to [EMAIL]."


def test_at_sign_without_an_address_is_kept():
    assert redact("meet @ 1400 @ward") == "meet @ 1400 @ward"


# ----------------------------------------------------------------------------------------------
# Whole reports, placeholders, types
# ----------------------------------------------------------------------------------------------


def test_a_whole_report():
    text = (
        "Pt J Smith (NHS 943 476 5919, DOB 12/03/1954) of 4 Mill Lane, M1 1AE, was sent home "
        "on 14/03/2021 without TTOs. Daughter (NOK) rang 07700 900123 and emailed "
        "k.smith@example.com. GP surgery on 0161 496 0000 ext 221 not informed. Lab no "
        "2304567891 pending, NEWS2 score 3."
    )
    expected = (
        "Pt J Smith (NHS [NHS_NUMBER], DOB [DOB]) of 4 Mill Lane, [POSTCODE], was sent home "
        "on 14/03/2021 without TTOs. Daughter (NOK) rang [PHONE] and emailed "
        "[EMAIL]. GP surgery on [PHONE] ext 221 not informed. Lab no "
        "2304567891 pending, NEWS2 score 3."
    )
    assert redact(text) == expected


def test_placeholders():
    assert PLACEHOLDERS == ("[NHS_NUMBER]", "[DOB]", "[POSTCODE]", "[PHONE]", "[EMAIL]", "[NAME]")
    for placeholder in PLACEHOLDERS:
        assert not any(ch.isdigit() or ch == "@" for ch in placeholder)
        assert redact(placeholder) == placeholder
        assert (
            redact(f"DOB {placeholder} NHS {placeholder}") == f"DOB {placeholder} NHS {placeholder}"
        )


def test_whitespace_and_line_breaks_are_kept():
    text = "line one\r\n  NHS 9434765919\tand\n\nM1 1AE  "
    assert redact(text) == "line one\r\n  NHS [NHS_NUMBER]\tand\n\n[POSTCODE]  "


def test_redact_of_a_non_string_is_a_type_error():
    with pytest.raises(TypeError, match="Got NoneType instead"):
        redact(None)


def test_module_imports_only_the_standard_library_re():
    tree = ast.parse(Path(redact_module.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported == {"__future__", "re"}


# ----------------------------------------------------------------------------------------------
# Properties
# ----------------------------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Characters that make up identifiers, so that random text often comes close to one.
_NEAR_MISS_ALPHABET = st.sampled_from(
    list("0123456789") * 4 + list(" -.()/+@:\n\u2013") + list("ABDEHMNSTWXaemnost")
)
_PIECES = st.one_of(
    st.sampled_from(VALID + INVALID),
    st.sampled_from(VALID).map(lambda n: f"{n[:3]} {n[3:6]} {n[6:]}"),
    st.sampled_from(VALID).map(lambda n: f"{n[:3]}-{n[3:6]}-{n[6:]}"),
    st.sampled_from(
        [
            "DOB ",
            "D.O.B. ",
            "born on ",
            "date of birth: ",
            "12/03/1954",
            "3 March 1950",
            "1954-03-12",
            " not ",
            "SW1A 1AA",
            "b33 8th",
            "M1",
            " 1AE",
            "07700 900123",
            "+44 ",
            "(0)",
            "(020) 7946 0000",
            "0161 496 0000",
            "ext 1234",
            "jane@nhs.net",
            "@",
            ".",
            "[NHS_NUMBER]",
            "[PHONE]",
            "[DOB]",
            " ",
            "\n",
            "bed 3 ",
            "0",
            "00",
        ]
    ),
    st.text(_NEAR_MISS_ALPHABET, max_size=12),
)
_NEAR_MISS_TEXT = st.lists(_PIECES, max_size=12).map("".join)


@PROPERTY_SETTINGS
@given(st.one_of(st.text(max_size=200), st.text(_NEAR_MISS_ALPHABET, max_size=80), _NEAR_MISS_TEXT))
def test_redaction_is_idempotent(text):
    once = redact(text)
    assert redact(once) == once


@PROPERTY_SETTINGS
@given(st.text(alphabet=st.characters(blacklist_characters="0123456789@"), max_size=300))
def test_text_without_digits_or_at_sign_is_unchanged(text):
    from safetylens._redact import _TITLE_NAME

    assume(not _TITLE_NAME.search(text))  # a name after a title is redacted (issue 11)
    assert redact(text) == text


@PROPERTY_SETTINGS
@given(
    number=st.sampled_from(VALID),
    layout=st.sampled_from(sorted(LAYOUTS)),
    before=st.text(st.sampled_from("abcdefg ,.;:()\n"), max_size=20),
    after=st.text(st.sampled_from("abcdefg ,.;:()\n"), max_size=20),
)
def test_valid_number_in_any_layout_and_surrounding_text_is_redacted(number, layout, before, after):
    # Keep the number separated from surrounding letters, as a person would write it.
    text = f"{before} {LAYOUTS[layout](number)} {after}"
    redacted = redact(text)
    assert "[NHS_NUMBER]" in redacted
    assert not any(ch.isdigit() for ch in redacted)


# ----------------------------------------------------------------------------------------------
# Issue 11: identifiers the first version missed
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NHS no 943.476.5919 seen", "NHS no [NHS_NUMBER] seen"),
        ("NHSno9434765919", "NHSno[NHS_NUMBER]"),
        ("nhs:9434765919", "nhs:[NHS_NUMBER]"),
        ("NHS 943 476\n5919 on the form", "NHS [NHS_NUMBER] on the form"),
        ("NHS 943\u2014476\u20145919", "NHS [NHS_NUMBER]"),
        ("DOB 12031954", "DOB [DOB]"),
        ("born 3rd Mar '50 in Leeds", "born [DOB] in Leeds"),
        ("lives at SW1A  1AA", "lives at [POSTCODE]"),
        ("emailed jos\u00e9@nhs.net", "emailed [EMAIL]"),
        ("cc ren\u00e9e.o@nhs.net", "cc [EMAIL]"),
        ("seen by Dr Priya Shah and Mrs O'Brien.", "seen by Dr [NAME] and Mrs [NAME]."),
        ("Mr. J. Smith said", "Mr. [NAME] said"),
        ("Ms SMITH and Miss McDonald-Smith", "Ms [NAME] and Miss [NAME]"),
        (
            "Prof Adeyemi, Nurse Kowalski and Sister Jones",
            "Prof [NAME], Nurse [NAME] and Sister [NAME]",
        ),
    ],
)
def test_identifiers_missed_before(text, expected):
    assert redact(text) == expected
    assert redact(expected) == expected


@pytest.mark.parametrize(
    "text",
    [
        "LAB9434765919 not received",
        "Sister in charge informed; Nurse Practitioner reviewed",
        "the nurse said the dr was busy",
        "as the Nurse I spoke to said",
        "Priya called the ward",  # a free-standing name is not caught (documented)
    ],
)
def test_not_names_or_numbers(text):
    assert redact(text) == text
