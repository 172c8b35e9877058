"""What a contact answer may be: an e-mail address or a phone number, as forms accept them.

The volunteer pool of a draw tests the same two shapes in SQL (``queries.responses``).
"""

from __future__ import annotations

import re

_EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]{2,}$")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 .()-]{7,18}[0-9]$")


def is_email(text: str) -> bool:
    """Whether ``text`` (already stripped) has the shape of an e-mail address."""
    return _EMAIL_RE.match(text) is not None


def is_phone(text: str) -> bool:
    """Whether ``text`` (already stripped) has the shape of a phone number."""
    return _PHONE_RE.match(text) is not None
