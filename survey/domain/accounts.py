"""Staff accounts: creation and password checks (argon2)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.transactions import in_transaction

from survey.domain.db import connection
from survey.enums import Role
from survey.errors import Forbidden, SurveyError
from survey.models import User
from survey.models.team import Deactivation, TeamEvent

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


# The team: accounts managed by administrators, from the command line or the team page.
# Every change is recorded in ``team_audit`` with who made it.


@dataclass(frozen=True)
class StaffAccount:
    id: int
    email: str
    role: Role
    active: bool
    created_at: datetime


async def list_accounts() -> list[StaffAccount]:
    """Every staff account, by e-mail, with whether it is still active."""
    closed = set(await Deactivation.all().values_list("user_id", flat=True))
    return [
        StaffAccount(u.id, u.email, Role(u.role), u.id not in closed, u.created_at)
        for u in await User.all().order_by("email")
    ]


async def team_events(limit: int = 50) -> list[TeamEvent]:
    """The latest changes to the team, newest first."""
    return await TeamEvent.all().order_by("-at", "-id").limit(limit)


async def add_account(email: str, password: str, role: str, *, actor: str) -> User:
    """Create a staff or admin account and record who did it."""
    try:
        chosen = Role(role)
    except ValueError as exc:
        raise SurveyError("error.role_invalid") from exc
    async with in_transaction():
        user = await create_user(email, password, chosen)
        await TeamEvent.create(actor=actor[:254], action=f"create_{chosen}", target=user.email)
    return user


async def _open_account(email: str) -> User:
    """The account of ``email``, locked for this transaction; refused when deactivated."""
    user = await User.filter(email=email.strip().lower()).select_for_update().first()
    if user is None:
        raise SurveyError("error.email_unknown")
    if await Deactivation.exists(user_id=user.id):
        raise SurveyError("error.account_deactivated")
    return user


async def reset_password(email: str, password: str, *, actor: str) -> User:
    """Give an active account a new password; its sessions end."""
    async with in_transaction():
        await _open_account(email)
        user = await set_password(email, password)
        await TeamEvent.create(actor=actor[:254], action="reset_password", target=user.email)
    return user


async def deactivate_account(email: str, *, actor: str) -> User:
    """Close an account for good: its password is replaced by one nobody knows (so a login
    fails the same way, in the same time, as a wrong password) and its sessions end.

    Refused for the actor's own account and for the last active administrator.
    """
    async with in_transaction():
        user = await _open_account(email)
        if user.email == actor.strip().lower():
            raise SurveyError("error.deactivate_self")
        if user.role == Role.ADMIN:
            # Locking every admin row makes two concurrent deactivations wait for each other.
            admins = (
                await User.filter(role=Role.ADMIN).select_for_update().values_list("id", flat=True)
            )
            closed = await Deactivation.filter(user_id__in=admins).values_list("user_id", flat=True)
            if set(admins) - set(closed) == {user.id}:
                raise SurveyError("error.last_admin")
        await Deactivation.create(user=user, by=actor[:254])
        user.password_hash = hash_password(secrets.token_urlsafe(32))
        user.session_version += 1
        await user.save(update_fields=["password_hash", "session_version"])
        await TeamEvent.create(actor=actor[:254], action="deactivate", target=user.email)
    return user
