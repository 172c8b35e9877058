"""Staff accounts: creation and password checks (argon2)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from survey.enums import Role
from survey.errors import SurveyError
from survey.models import User

_hasher = PasswordHasher()
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10
# Verified against when the e-mail is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("parlons-not-a-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def create_user(email: str, password: str, role: Role = Role.STAFF) -> User:
    email = email.strip().lower()
    if not _EMAIL_RE.match(email):
        raise SurveyError("error.email_invalid")
    if len(password) < MIN_PASSWORD:
        raise SurveyError("error.password_short", min=MIN_PASSWORD)
    if await User.exists(email=email):
        raise SurveyError("error.email_taken")
    return await User.create(email=email, password_hash=hash_password(password), role=role)


async def set_password(email: str, password: str) -> User:
    user = await User.get_or_none(email=email.strip().lower())
    if user is None:
        raise SurveyError("error.email_unknown")
    if len(password) < MIN_PASSWORD:
        raise SurveyError("error.password_short", min=MIN_PASSWORD)
    user.password_hash = hash_password(password)
    user.session_version += 1
    await user.save()
    return user


async def authenticate(email: str, password: str) -> User | None:
    """The user whose e-mail and password match, else None."""
    user = await User.get_or_none(email=email.strip().lower())
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        await user.save(update_fields=["password_hash"])
    return user


async def logout_everywhere(user: User) -> None:
    """Invalidate every session of ``user`` (each carries the version it was issued with)."""
    user.session_version += 1
    await user.save(update_fields=["session_version"])
