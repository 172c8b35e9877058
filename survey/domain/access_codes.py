"""Codes printed on cards, read out on the phone and typed back: one alphabet, one generator.

Council voters' codes, invitation codes, "finish later" codes, response receipts and the
change codes of secret ballots are all made and normalised here. A leaf: imports nothing of
``survey``. The alphabet leaves out the letters and digits that are mistaken for one another
when read aloud or typed on a phone (0/O, 1/I/L).

Receipts and change codes were once drawn from these letters and L (32 letters, 10 and 16 of
them): they are still accepted when typed back, since normalising keeps every letter and a
receipt of the former length is still a receipt. Their new lengths give them at least the
randomness they had.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
TYPED_MAX = 16  # longer input is no code: cut before any look-up
# 11 letters: 54 random bits (receipts had 50); responses.receipt holds up to 16.
RECEIPT_LENGTH = 11
RECEIPT_LENGTHS = frozenset({10, RECEIPT_LENGTH})  # 10: receipts given before
# 17 letters: 84 random bits (change codes had 80).
CHANGE_CODE_LENGTH = 17
# A change code keys the hash stored with its ballot: what is typed is cut at 32 characters,
# as it always was, so that a code given before opens its ballot still.
CHANGE_CODE_TYPED_MAX = 32


def new_code(length: int = LENGTH) -> str:
    """A fresh random code of ``length`` letters of ``ALPHABET``, each letter uniform and
    independent (the base-31 digits of one uniform draw: one call to the random source)."""
    n = secrets.randbelow(len(ALPHABET) ** length)
    letters = []
    for _ in range(length):
        n, digit = divmod(n, len(ALPHABET))
        letters.append(ALPHABET[digit])
    return "".join(letters)


def new_receipt() -> str:
    """A response's receipt, the resident's key to see or erase their answers."""
    return new_code(RECEIPT_LENGTH)


def new_change_code() -> str:
    """The code that lets a voter change their secret ballot."""
    return new_code(CHANGE_CODE_LENGTH)


def normalise_code(text: str, *, limit: int = TYPED_MAX) -> str:
    """What a person typed, made comparable: in capitals, without spaces, dashes or any
    other sign, cut to ``limit`` characters."""
    return "".join(c for c in str(text).upper() if c.isalnum())[:limit]


def normalise_receipt(text: str) -> str | None:
    """A typed receipt made comparable, or None when it cannot be one."""
    code = normalise_code(text)
    return code if len(code) in RECEIPT_LENGTHS else None


def normalise_change_code(text: str) -> str:
    return normalise_code(text, limit=CHANGE_CODE_TYPED_MAX)


def display_code(code: str) -> str:
    """``ABCD-EFGH``: in groups of at most four letters, as even as possible (longer groups
    first), easier to read out and to copy."""
    if len(code) <= 4:
        return code
    groups = -(-len(code) // 4)
    size, longer = divmod(len(code), groups)
    parts, start = [], 0
    for i in range(groups):
        end = start + size + (i < longer)
        parts.append(code[start:end])
        start = end
    return "-".join(parts)


def is_well_formed(code: str, length: int = LENGTH) -> bool:
    """Whether a normalised code could have been made by ``new_code``."""
    return len(code) == length and all(c in ALPHABET for c in code)
