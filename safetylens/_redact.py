"""Redact patient identifiers from incident-report free text.

:func:`redact` replaces NHS numbers, dates of birth, UK postcodes, UK phone numbers and e-mail
addresses with typed placeholders (see :data:`PLACEHOLDERS`). It uses the standard library
``re`` module only, so importing it is cheap; map it over a text column to redact a table.

What is and is not replaced
---------------------------
- **NHS numbers** (``[NHS_NUMBER]``): ten digits whose modulus-11 check digit is valid
  (:func:`nhs_number_is_valid`), written contiguously (``9434765919``), as 3-3-4 with spaces or
  hyphens (``943 476 5919``, ``943-476-5919``) or in another spacing a person types (``9434 765
  919``, ``943  476  5919``). Ten-digit numbers with an invalid check digit (order numbers, lab
  accession numbers) and digits that are part of a longer number are left alone.
- **Dates of birth** (``[DOB]``): a date introduced as a birth date ("DOB", "D.O.B.", "date of
  birth", "born on", "born") in ``dd/mm/yyyy``, ``dd.mm.yy``, ``d Month yyyy``, ``Month d, yyyy``
  or ISO ``yyyy-mm-dd`` form. The introducing words are kept; other dates (incident dates,
  admission dates) are not touched.
- **Postcodes** (``[POSTCODE]``): full UK postcodes in any letter case, with or without the
  space (``SW1A 1AA``, ``m1 1ae``, ``B338TH``). Ward and bed codes such as "ward 3 A" do not
  have the shape of a postcode.
- **Phone numbers** (``[PHONE]``): UK landlines and mobiles, national (``0161 496 0000``,
  ``(020) 7946 0000``, ``07700 900123``) or international (``+44 7700 900123``,
  ``+44 (0)20 7946 0000``). An extension ("ext 1234") stays. Times (``0300``), doses
  (``500mg``) and ward or bed numbers are too short to match.
- **E-mail addresses** (``[EMAIL]``), with letters of any script (``josé@nhs.net``).
- **Names after a title** (``[NAME]``): up to three capitalised words after Mr, Mrs, Ms, Miss,
  Mx, Dr, Prof, Nurse or Sister ("Dr Priya Shah", "Mrs O'Brien", "Sister J. Smith"); the title
  stays. Role words ("Sister in charge", "Nurse Practitioner") are not names. A name standing
  on its own ("Priya called the ward") is **not** caught.

Redaction is idempotent: ``redact(redact(text)) == redact(text)``. Placeholders contain no
digits, no ``@`` and no capital letter after the bracket, so nothing in them can match again.
"""

from __future__ import annotations

import re

__all__ = ["PLACEHOLDERS", "nhs_number_is_valid", "redact"]

NHS_NUMBER = "[NHS_NUMBER]"
DOB = "[DOB]"
POSTCODE = "[POSTCODE]"
PHONE = "[PHONE]"
EMAIL = "[EMAIL]"

PLACEHOLDERS: tuple[str, ...] = (NHS_NUMBER, DOB, POSTCODE, PHONE, EMAIL, "[NAME]")
"""The placeholder strings :func:`redact` writes, one per kind of identifier."""

# --------------------------------------------------------------------------------------------
# NHS numbers
# --------------------------------------------------------------------------------------------

_NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)

# Between the digit groups of a number people type spaces (one to three), a hyphen, a dash or
# an em dash, or a dot (with optional spaces around it), and a cell may wrap a number over a
# line break.
_GROUP_SEP = (
    r"(?:[ \t\u00a0]*[-.\u2010-\u2015\u2212][ \t\u00a0]*|[ \t\u00a0]{1,3}"
    r"|[ \t\u00a0]*\r?\n[ \t\u00a0]*)"
)

# A maximal run of digit groups: the unit inside which an NHS number is looked for. The run is
# not glued to letters or digits on either side, so "LAB9434765919" and "94347659190" are not
# NHS numbers. A leading "+" is captured so that international phone numbers can be skipped.
_DIGIT_RUN = re.compile(
    rf"(?<![0-9A-Za-z+])\+?[0-9]+(?:{_GROUP_SEP}[0-9]+)*(?![0-9A-Za-z])",
)
_DIGIT_GROUP = re.compile(r"[0-9]+")


def nhs_number_is_valid(digits: str) -> bool:
    """Check an NHS number's modulus-11 check digit (NHS Digital algorithm).

    The first nine digits are multiplied by the weights 10, 9, ..., 2 and summed; the check
    digit is ``11 - (sum mod 11)``, where a result of 11 means 0 and a result of 10 means the
    number is invalid.

    Parameters
    ----------
    digits : str
        The number. Spaces and hyphens between digits are ignored, so ``"943 476 5919"`` and
        ``"943-476-5919"`` are checked like ``"9434765919"``.

    Returns
    -------
    bool
        True when the text is exactly ten ASCII digits with a valid check digit.

    Raises
    ------
    TypeError
        If `digits` is not a string (an integer would lose leading zeros).

    Examples
    --------
    >>> nhs_number_is_valid("943 476 5919")
    True
    >>> nhs_number_is_valid("9434765918")
    False
    >>> nhs_number_is_valid("123")
    False
    """
    if not isinstance(digits, str):
        raise TypeError(
            f"nhs_number_is_valid expects a string of ten digits. Got {type(digits).__name__} "
            "instead."
        )
    compact = re.sub(r"[\s\-.\u2010-\u2015\u2212]", "", digits)
    if len(compact) != 10 or not all("0" <= ch <= "9" for ch in compact):
        return False
    total = sum(int(ch) * weight for ch, weight in zip(compact[:9], _NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(compact[9])


def _nhs_spans_in_run(run: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets in `run` of the NHS numbers it contains.

    A run of exactly ten digits is one candidate, in any grouping with at most one group
    shorter than three digits (so "12-03-21 1430" is not a candidate but "94 3476 5919" is).
    In a longer run a candidate is a stretch of whole groups of three or more digits that adds
    up to ten ("bed 3 943 476 5919"). A phone number at the start of a run ("0161 496 0000
    943 476 5919") is stepped over, so no candidate takes digits from it; a run that starts
    with "+" but not with a UK phone number is a foreign number and has no candidate.
    """
    groups = [(m.start(), m.end()) for m in _DIGIT_GROUP.finditer(run)]
    sizes = [end - start for start, end in groups]
    total = sum(sizes)
    if total < 10:
        return []
    phone = _PHONE.match(run)
    phone_end = phone.end() if phone is not None and _is_phone(phone) else 0
    if run.startswith("+") and not phone_end:
        return []
    if total == 10 and not phone_end:
        short_groups = sum(1 for size in sizes if size < 3)
        digits = "".join(run[start:end] for start, end in groups)
        if short_groups <= 1 and nhs_number_is_valid(digits):
            return [(groups[0][0], groups[-1][1])]
        return []
    spans = []
    i = next((k for k, (start, _end) in enumerate(groups) if start >= phone_end), len(groups))
    while i < len(groups):
        found = False
        width = 0
        for j in range(i, len(groups)):
            if sizes[j] < 3:
                break
            width += sizes[j]
            if width > 10:
                break
            if width == 10:
                digits = "".join(run[s:e] for s, e in groups[i : j + 1])
                if nhs_number_is_valid(digits):
                    spans.append((groups[i][0], groups[j][1]))
                    i = j + 1
                    found = True
                break
        if not found:
            i += 1
    return spans


def _redact_nhs_numbers(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        run = match.group(0)
        spans = _nhs_spans_in_run(run)
        if not spans:
            return run
        pieces = []
        last = 0
        for start, end in spans:
            pieces.append(run[last:start])
            pieces.append(NHS_NUMBER)
            last = end
        pieces.append(run[last:])
        return "".join(pieces)

    return _GLUED_NHS.sub(_replace_glued, _DIGIT_RUN.sub(replace, text))


# "NHSno9434765919": ten digits glued to an NHS-number cue. Other letters glued to digits
# ("LAB9434765919") are an accession or order number, and are left alone.
_GLUED_NHS = re.compile(
    r"(?<![A-Za-z])(?P<cue>nhs[ _]?(?:no|num|number|#)?|no|num|number)[.:#]?"
    r"(?P<digits>[0-9]{10})(?![0-9])",
    re.IGNORECASE,
)


def _replace_glued(match: re.Match[str]) -> str:
    if nhs_number_is_valid(match.group("digits")):
        return match.group(0)[: match.start("digits") - match.start()] + NHS_NUMBER
    return match.group(0)


# --------------------------------------------------------------------------------------------
# Dates of birth
# --------------------------------------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:[0-9]{4}|['\u2019]?[0-9]{2})(?![0-9])"
_DATE = (
    r"(?:"
    r"[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}(?![0-9])"  # ISO 1954-03-12
    rf"|[0-9]{{1,2}}[-/.][0-9]{{1,2}}[-/.]{_YEAR}"  # 12/03/1954, 12.03.54, 12-3-1954
    rf"|[0-9]{{1,2}} [0-9]{{1,2}} {_YEAR}"  # 12 03 1954
    r"|[0-3][0-9][01][0-9](?:19|20)[0-9]{2}(?![0-9])"  # 12031954
    rf"|[0-9]{{1,2}}{_ORDINAL}(?:[ \t]+of)?[ \t\-/.]*{_MONTH}[ \t\-/.,]*{_YEAR}"  # 3rd Mar '50
    rf"|{_MONTH}[ \t]+[0-9]{{1,2}}{_ORDINAL},?[ \t]+[0-9]{{4}}(?![0-9])"  # March 3, 1950
    r")"
)
_DOB_CUE = (
    r"\b(?:d\.?[ ]?o\.?[ ]?b(?![a-z])\.?|date[ \t]+of[ \t]+birth|birth[ \t]*date(?![a-z])"
    r"|born(?![a-z]))"
)
# Words and punctuation allowed between the cue and the date: "DOB: 12/03/1954",
# "date of birth was recorded as 12.03.54", "born on the 3rd of March 1950".
_DOB_FILLER = (
    r"(?:[\s:;,=(\-\u2013]+|(?:is|was|of|on|the|recorded|documented|given|listed|stated"
    r"|written|entered|noted|shown|as|incorrectly|wrongly|correctly)\b){0,10}"
)
# A second date tied to the first: "DOB 12/03/1954 (not 12/03/1945)".
_DOB_LINK = (
    r"[\s(]*(?:or|not|instead[ \t]+of|rather[ \t]+than|vs\.?|versus|corrected[ \t]+to"
    r"|amended[ \t]+to|changed[ \t]+to)[\s:]*"
)
_DOB = re.compile(
    rf"(?P<lead>{_DOB_CUE}{_DOB_FILLER})(?P<date>{_DATE})(?P<more>(?:{_DOB_LINK}{_DATE})*)",
    re.IGNORECASE,
)
_DATE_ONLY = re.compile(_DATE, re.IGNORECASE)


def _redact_dobs(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        more = _DATE_ONLY.sub(DOB, match.group("more"))
        return f"{match.group('lead')}{DOB}{more}"

    return _DOB.sub(replace, text)


# --------------------------------------------------------------------------------------------
# Postcodes
# --------------------------------------------------------------------------------------------

# The Royal Mail formats (A9, A99, A9A, AA9, AA99, AA9A + 9AA) with the letters each position
# allows, which keeps clinical tokens such as "B12 1mg" or "Q4 2hr" out.
_OUTWARD = (
    r"(?:[A-PR-UWYZ][0-9][0-9]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]"
    r"|GIR(?=[ \t\u00a0]?0AA))"
)
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(
    rf"(?<![0-9A-Za-z])(?P<out>{_OUTWARD})[ \t\u00a0]{{0,2}}(?P<in>{_INWARD})(?![0-9A-Za-z])",
    re.IGNORECASE | re.ASCII,
)
_ORDINAL_SUFFIX = {"1": "st", "2": "nd", "3": "rd"}


def _is_ordinal(inward: str) -> bool:
    """True for a lower-case ordinal such as ``2nd`` or ``8th``."""
    return inward[1:] == _ORDINAL_SUFFIX.get(inward[0], "th")


def _redact_postcodes(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        outward, inward = match.group("out"), match.group("in")
        # "Bay C1 2nd bed": a lower-case ordinal after an upper-case code is not a postcode; an
        # all-lower-case "b33 8th" still is.
        if _is_ordinal(inward) and not outward.islower():
            return match.group(0)
        return POSTCODE

    return _POSTCODE.sub(replace, text)


# --------------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------------

_PHONE_SEP = r"[ \t\u00a0.\-]{0,2}"
_PHONE = re.compile(
    r"(?<![0-9A-Za-z+(])"
    r"(?P<prefix>(?:\+|00)44[ \t\u00a0]?(?:\(0\)[ \t\u00a0]?)?|\(0(?=[1-9])|0(?=[1235789]))"
    rf"(?P<body>[1-9](?:\)?{_PHONE_SEP}[0-9]){{8,9}})"
    r"(?![0-9A-Za-z])",
)


def _is_phone(match: re.Match[str]) -> bool:
    """Whether a match of ``_PHONE`` is a phone number rather than some other number."""
    prefix, body = match.group("prefix"), match.group("body")
    n_digits = sum(1 for ch in body if "0" <= ch <= "9")
    if n_digits == 9 and prefix == "0":
        # Ten digits in all: only 01xxx and 08xx numbers are this short, and only when typed
        # with spaces; a bare ten-digit number is more likely an order or accession number.
        return not body.isdigit() and body[0] in "18"
    return True


def _redact_phones(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        return PHONE if _is_phone(match) else match.group(0)

    return _PHONE.sub(replace, text)


# --------------------------------------------------------------------------------------------
# E-mail addresses
# --------------------------------------------------------------------------------------------

# Letters in any script in the local part and the domain ("josé@nhs.net", "renée.o@nhs.net").
_EMAIL = re.compile(
    r"(?<![\w.%+'\-])[\w.%+'\-]+@[\w\-]+(?:\.[\w\-]+)+",
)


def _redact_emails(text: str) -> str:
    return _EMAIL.sub(EMAIL, text)


# --------------------------------------------------------------------------------------------
# Names after a title
# --------------------------------------------------------------------------------------------

NAME = "[NAME]"
_TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Nurse|Sister)"
# Words that follow a title without being a name ("Sister in charge", "Nurse Practitioner").
_NOT_NAMES = frozenset(
    "in on at and or the a an to of for from with was is who had has said says called came "
    "practitioner associate specialist consultant registrar manager lead in-charge charge "
    "team ward unit station bank agency student i it we he she they this that then when but "
    "not also please re".split()
)
_NAME_WORD = (
    r"(?:[A-Z](?:(?:['\u2019][A-Z])?[a-z\u00e0-\u00ff]+(?:[A-Z][a-z\u00e0-\u00ff]+)?"
    r"(?:['\u2019\-][A-Za-z\u00c0-\u00ff]+)*|[A-Z]+|\.)?)"
)
_TITLE_NAME = re.compile(
    rf"(?<![A-Za-z])(?P<title>{_TITLES}\.?)(?P<gap>[ \t\u00a0]+)"
    rf"(?P<name>{_NAME_WORD}(?:[ \t\u00a0]+{_NAME_WORD}){{0,2}})(?![A-Za-z])"
)


def _redact_names(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        words = match.group("name").split()
        keep = 0
        while keep < len(words) and words[keep].lower().strip(".") not in _NOT_NAMES:
            keep += 1
        if keep == 0:
            return match.group(0)
        rest = match.group("name")
        # Only the leading name words are replaced; a following non-name word stays.
        cut = 0
        for word in words[:keep]:
            cut = rest.index(word, cut) + len(word)
        return f"{match.group('title')}{match.group('gap')}{NAME}{rest[cut:]}"

    return _TITLE_NAME.sub(replace, text)


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------

# E-mail first (addresses may hold digits), NHS numbers before phone numbers (a spaced NHS
# number looks like a phone number), dates of birth before anything that reads digits.
_PASSES = (
    _redact_emails,
    _redact_nhs_numbers,
    _redact_dobs,
    _redact_postcodes,
    _redact_phones,
    _redact_names,
)


def redact(text: str) -> str:
    """Replace NHS numbers, dates of birth, postcodes, phones, e-mails and titled names in `text`.

    Each identifier becomes its placeholder from :data:`PLACEHOLDERS`; everything else,
    including spacing and line breaks, is kept. The passes are repeated until nothing changes,
    which makes the function idempotent. Every replacement removes a digit or an ``@``, so this
    ends after a handful of passes; text with neither, and no title, is returned at once.

    Parameters
    ----------
    text : str
        Free text, for example one incident description.

    Returns
    -------
    str
        The text with identifiers replaced.

    Raises
    ------
    TypeError
        If `text` is not a string.

    Examples
    --------
    >>> redact("Pt NHS no 943 476 5919, DOB: 12/03/1954, lives at SW1A 1AA.")
    'Pt NHS no [NHS_NUMBER], DOB: [DOB], lives at [POSTCODE].'
    >>> redact("NOK called on 07700 900123 and emailed ward22@example.nhs.uk")
    'NOK called on [PHONE] and emailed [EMAIL]'
    >>> redact("Fall on 14/03/2021 at 0300, paracetamol 500mg, lab no 1234567890.")
    'Fall on 14/03/2021 at 0300, paracetamol 500mg, lab no 1234567890.'
    """
    if not isinstance(text, str):
        raise TypeError(f"redact expects a string. Got {type(text).__name__} instead.")
    if not any("0" <= ch <= "9" or ch == "@" for ch in text) and not _TITLE_NAME.search(text):
        return text
    while True:
        redacted = text
        for redaction_pass in _PASSES:
            redacted = redaction_pass(redacted)
        if redacted == text:
            return text
        text = redacted
