"""Staff accounts: creation and password checks (argon2)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from survey.domain.db import connection
from survey.enums import Role
from survey.errors import Forbidden, SurveyError
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


# Brute force: past these failures within the window, logins are refused for a while.
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_CLIENT = 20
FAILURE_WINDOW_MINUTES = 15


async def _throttled(email: str, client: str) -> bool:
    async with connection() as conn:
        row = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE email = $1) AS by_email,"
            " count(*) FILTER (WHERE client = $2) AS by_client FROM login_failures"
            " WHERE at > now() - make_interval(mins => $3) AND (email = $1 OR client = $2)",
            email,
            client,
            FAILURE_WINDOW_MINUTES,
        )
    return bool(
        row["by_email"] >= MAX_FAILURES_PER_EMAIL or row["by_client"] >= MAX_FAILURES_PER_CLIENT
    )


async def _record_failure(email: str, client: str) -> None:
    async with connection() as conn:
        await conn.execute(
            "INSERT INTO login_failures (email, client) VALUES ($1, $2)", email[:254], client[:64]
        )
        # Keep the table small: older failures no longer count.
        await conn.execute(
            "DELETE FROM login_failures WHERE at < now() - make_interval(mins => $1)",
            FAILURE_WINDOW_MINUTES * 4,
        )


async def authenticate(email: str, password: str, client: str = "") -> User | None:
    """The user whose e-mail and password match, else None.

    Raises ``Forbidden("error.login_throttled")`` after too many recent failures for this
    e-mail or this client, whatever the password.
    """
    email = email.strip().lower()
    if await _throttled(email, client):
        raise Forbidden("error.login_throttled", minutes=FAILURE_WINDOW_MINUTES)
    user = await _check(email, password)
    if user is None:
        await _record_failure(email, client)
    return user


async def _check(email: str, password: str) -> User | None:
    user = await User.get_or_none(email=email)
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
    """Invalidate every session of ``user`` (each carries the version it was issued with)
    and revoke their API tokens: one button cuts every way into the account."""
    user.session_version += 1
    await user.save(update_fields=["session_version"])
    async with connection() as conn:
        await conn.execute(
            "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
            user.id,
        )
