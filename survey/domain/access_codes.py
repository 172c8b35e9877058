"""Access codes printed on cards and read out on the phone: one alphabet, one generator.

Council voters' codes, invitation codes and "finish later" codes are all made here. A
leaf: imports nothing of ``survey``. The alphabet leaves out the letters and digits that
are mistaken for one another when read aloud or typed on a phone (0/O, 1/I/L).
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
TYPED_MAX = 16  # longer input is no code: cut before any look-up


def new_code(length: int = LENGTH) -> str:
    """A fresh random code of ``length`` letters of ``ALPHABET``."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalise_code(text: str) -> str:
    """What a person typed, made comparable: in capitals, without spaces, dashes or any
    other sign, cut to ``TYPED_MAX`` characters."""
    return "".join(c for c in str(text).upper() if c.isalnum())[:TYPED_MAX]


def display_code(code: str) -> str:
    """``ABCD-EFGH``: easier to read out and to copy."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def is_well_formed(code: str, length: int = LENGTH) -> bool:
    """Whether a normalised code could have been made by ``new_code``."""
    return len(code) == length and all(c in ALPHABET for c in code)
