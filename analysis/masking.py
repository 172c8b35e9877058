"""Contact details typed into free text, found and masked before any of it is shown.

Every page, quote, chart label and report that shows a resident's words goes through
:func:`mask_personal_data`. Text is first brought to one form (Unicode NFKC, format
characters such as zero-width spaces removed, digits of any script written 0-9), so that
full-width ``＠``, ``０６`` or a zero-width space between digits hide nothing. E-mail
addresses are found in their usual and spelt-out forms (``jean(at)example.org``,
``jean @ example.org``, ``jean arobase example point fr``); phone numbers are found by
``phonenumbers`` (Google's libphonenumber), France by default, plus the nine-digit
French numbers people write without their leading zero.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

EMAIL_MARK = "[e-mail]"
PHONE_MARK = "[téléphone]"
REGION = "FR"

# Fewer digits than this and no phone number can be in the text: the matcher is skipped.
_MIN_PHONE_DIGITS = 8
# The national significant number of a French phone number: nine digits, the first not 0.
_FRENCH_SIGNIFICANT = re.compile(r"[1-9]\d{8}")
# Slashes and underscores between digits read as spaces: phonenumbers takes "06/12/34/56/78"
# for a date, yet no date has the nine digits of a phone number.
_DIGIT_JOINER = re.compile(r"(?<=\d)[/_](?=\d)")
# A nine-digit amount ("150 000 000 €", "123456789 habitants") is not a phone number.
_UNIT_AFTER = re.compile(
    r"\s*(?:€|\$|£|%|‰|k€|m€|euros?\b|eur\b|dollars?\b|habitants?\b|personnes?\b"
    r"|km\b|m2\b|m²|ha\b|tonnes?\b)",
    re.IGNORECASE,
)

# Starts at the beginning of a word only, so a long word is tried once, not at every letter.
_LOCAL = r"(?<![\w.+-])[\w.+-]{0,64}[^\W_]"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
# "@" itself, with or without spaces around it, or spelt out between brackets: (at), [@].
_AT_SIGN = r"\s*(?:@|[(\[{<]\s*(?:at|arobase|@)\s*[)\]}>])\s*"
# Spelt out without brackets: "jean at example dot org", "jean arobase example point fr".
_AT_WORD = r"\s+(?:at|arobase)\s+"
_DOT = r"(?:\.|\s*[(\[{<]\s*(?:dot|point|\.)\s*[)\]}>]\s*|\s+(?:dot|point)\s+)"
# "at" is an everyday English word: spelt-out addresses must end in a common domain, so that
# "buses at night.Then" keeps its words.
_COMMON_TLDS = (
    "fr|com|org|net|eu|be|ch|ca|lu|mc|re|info|io|uk|de|es|it|pt|nl|biz|me|co|email|gouv|asso"
)
# The last dot may have spaces around it before a common domain: "jean @ mairie . fr".
_LAST = rf"(?:{_DOT}[^\W\d_]{{2,24}}|\s*\.\s*(?:{_COMMON_TLDS}))(?![\w-])"
_EMAIL = re.compile(
    rf"{_LOCAL}{_AT_SIGN}{_LABEL}(?:{_DOT}{_LABEL})*{_LAST}"
    rf"|{_LOCAL}{_AT_WORD}{_LABEL}(?:{_DOT}{_LABEL})*(?:{_DOT}|\s*\.\s*)(?:{_COMMON_TLDS})(?![\w-])",
    re.IGNORECASE,
)


# Every form of address above has one of these: a cheap test before the full pattern.
_AT_HINT = re.compile(r"@|\b(?:at|arobase)\b", re.IGNORECASE)


def normalise_text(text: str) -> str:
    """NFKC form, without format characters (zero-width spaces, bidi marks, soft hyphens),
    every decimal digit written 0-9."""
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKC", text)
    kept = []
    for char in folded:
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        if category == "Nd" and not char.isascii():
            kept.append(str(unicodedata.digit(char)))
        else:
            kept.append(char)
    return "".join(kept)


def mask_emails(text: str) -> str:
    """Replace e-mail addresses, plain or spelt out, with ``[e-mail]``."""
    if not _AT_HINT.search(text):
        return text
    return _EMAIL.sub(EMAIL_MARK, text)


def _is_phone(text: str, match: phonenumbers.PhoneNumberMatch) -> bool:
    raw = match.raw_string.lstrip("(")
    digits = re.sub(r"\D", "", raw)
    if raw.startswith(("+", "0")):
        # With a country code or a trunk zero it is meant as a phone number: masked when its
        # length fits, even in a range not (yet) assigned.
        return phonenumbers.is_possible_number(match.number)
    if _FRENCH_SIGNIFICANT.fullmatch(digits) and not _UNIT_AFTER.match(text, match.end):
        # "6 12 34 56 78" or "612345678": a French number without its leading zero.
        return phonenumbers.is_valid_number(match.number)
    return False


def mask_phones(text: str, region: str = REGION) -> str:
    """Replace phone numbers (``region`` when written without a country code) with
    ``[téléphone]``; years, prices, postcodes and dates stay."""
    if sum(c.isdigit() for c in text) < _MIN_PHONE_DIGITS:
        return text
    pieces = []
    end = 0
    probe = _DIGIT_JOINER.sub(" ", text)  # same length: its offsets are the text's
    matcher = phonenumbers.PhoneNumberMatcher(
        probe, region, leniency=phonenumbers.Leniency.POSSIBLE
    )
    for match in matcher:
        if _is_phone(probe, match):
            pieces.append(text[end : match.start])
            pieces.append(PHONE_MARK)
            end = match.end
    pieces.append(text[end:])
    return "".join(pieces)


def mask_personal_data(text: str) -> str:
    """``text`` normalised, with e-mail addresses and phone numbers masked."""
    return mask_phones(mask_emails(normalise_text(text)))
