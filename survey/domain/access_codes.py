"""Access codes printed on cards and read out on the phone: one alphabet, one generator.

A leaf: imports nothing of ``survey``. The alphabet leaves out the letters and digits that
are mistaken for one another when read aloud or typed on a phone (0/O, 1/I/L).
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
_SEPARATORS = re.compile(r"[\s-]")


def new_code(length: int = LENGTH) -> str:
    """A fresh random code of ``length`` letters of ``ALPHABET``."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalise_code(text: str) -> str:
    """A typed code without spaces or dashes, in capitals."""
    return _SEPARATORS.sub("", text).upper()


def is_well_formed(code: str, length: int = LENGTH) -> bool:
    """Whether a normalised code could have been made by ``new_code``."""
    return len(code) == length and all(c in ALPHABET for c in code)
