"""Staff accounts: creation and password checks (argon2)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.transactions import in_transaction

from survey.domain.db import connection
from survey.domain.queries import api_tokens as token_rows
from survey.domain.queries import login_failures, staff_sessions
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
    password_hash = await anyio.to_thread.run_sync(hash_password, password)
    return await User.create(email=email, password_hash=password_hash, role=role)


async def set_password(email: str, password: str) -> User:
    user = await User.get_or_none(email=email.strip().lower())
    if user is None:
        raise SurveyError("error.email_unknown")
    if len(password) < MIN_PASSWORD:
        raise SurveyError("error.password_short", min=MIN_PASSWORD)
    user.password_hash = await anyio.to_thread.run_sync(hash_password, password)
    user.session_version += 1
    await user.save()
    return user


# Brute force: past these failures within the window, logins are refused for a while.
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_CLIENT = 20
FAILURE_WINDOW_MINUTES = 15
# Wrong council-member codes per client address, the same window; a code has 31^8 values.
MAX_CODE_FAILURES_PER_CLIENT = 10


async def _reserve_attempt(kind: str, email: str, client: str, limits: tuple[int, int]) -> int:
    """Count an attempt as a failure before it is checked; its row's id, to take it back.

    The check of earlier failures and this count are one step: a transaction holding an
    advisory lock on the e-mail, then on the client address (always in that order, so two
    attempts never wait for each other in a cycle). Concurrent attempts queue there for a
    few milliseconds each, and no more than the limit ever reach the password check, however
    many arrive at once. Raises ``Forbidden("error.login_throttled")`` over a limit.
    """
    by_email_max, by_client_max = limits
    async with connection() as conn, conn.transaction():
        if email:
            await login_failures.lock_email(conn, email)
        await login_failures.lock_client(conn, client)
        recent = await login_failures.recent(conn, kind, email, client, FAILURE_WINDOW_MINUTES)
        if recent.by_email >= by_email_max or recent.by_client >= by_client_max:
            raise Forbidden("error.login_throttled", minutes=FAILURE_WINDOW_MINUTES)
        return await login_failures.insert(conn, kind, email, client)


async def _settle_attempt(attempt: int, *, succeeded: bool) -> None:
    if succeeded:  # not a failure after all
        await login_failures.delete(attempt)
        return
    # Keep the table small: older failures no longer count.
    await login_failures.delete_older_than(FAILURE_WINDOW_MINUTES * 4)


async def authenticate(email: str, password: str, client: str = "") -> User | None:
    """The user whose e-mail and password match, else None.

    Raises ``Forbidden("error.login_throttled")`` after too many recent failures for this
    e-mail or this client, whatever the password (the password is then not even checked).
    """
    email = email.strip().lower()[:254]
    attempt = await _reserve_attempt(
        "staff", email, client[:64], (MAX_FAILURES_PER_EMAIL, MAX_FAILURES_PER_CLIENT)
    )
    user = None
    try:
        user = await _check(email, password)
    finally:
        await _settle_attempt(attempt, succeeded=user is not None)
    return user


async def reserve_code_attempt(client: str) -> int:
    """Count a council member's code login from ``client`` before it is checked (the lockout
    lives in the database, not in the member's cookie); settle it with ``settle_code_attempt``.

    Raises ``Forbidden("error.login_throttled")`` when this address is locked out.
    """
    limits = (MAX_CODE_FAILURES_PER_CLIENT, MAX_CODE_FAILURES_PER_CLIENT)
    return await _reserve_attempt("member", "", client[:64], limits)


async def settle_code_attempt(attempt: int, *, succeeded: bool) -> None:
    await _settle_attempt(attempt, succeeded=succeeded)


def _verify(stored: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


async def _check(email: str, password: str) -> User | None:
    user = await User.get_or_none(email=email)
    # argon2 takes tens of milliseconds of CPU on purpose: in a thread, so that residents'
    # pages are served meanwhile.
    matches = await anyio.to_thread.run_sync(
        _verify, user.password_hash if user else _DUMMY_HASH, password
    )
    if user is None or not matches:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await anyio.to_thread.run_sync(hash_password, password)
        await user.save(update_fields=["password_hash"])
    return user


# A staff session lasts as long as its cookie.
SESSION_HOURS = 8


def _session_hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode("utf-8")).digest()


async def start_session(user: User) -> str:
    """A new staff session for ``user``: its random id, to keep in the signed cookie.

    The session is valid while its row says so, so that logging out ends it on the server
    (a copied or replayed cookie is refused afterwards); the database keeps a hash only.
    """
    session_id = secrets.token_urlsafe(32)
    async with connection() as conn:
        await staff_sessions.insert(conn, _session_hash(session_id), user.id)
        await staff_sessions.delete_started_before(conn, SESSION_HOURS * 3)
    return session_id


async def session_user(user_id: int, session_id: str, version: int | None) -> User | None:
    """The user of a staff session still open on the server, else None."""
    if not await staff_sessions.is_open(_session_hash(session_id), user_id, SESSION_HOURS):
        return None
    user = await User.get_or_none(id=user_id)
    if user is None or user.session_version != version:
        return None
    return user


async def end_session(session_id: str) -> None:
    """Log one staff session out, on the server."""
    await staff_sessions.end(_session_hash(session_id))


async def logout_everywhere(user: User) -> None:
    """Invalidate every session of ``user`` (each carries the version it was issued with)
    and revoke their API tokens: one button cuts every way into the account."""
    user.session_version += 1
    await user.save(update_fields=["session_version"])
    async with connection() as conn:
        await staff_sessions.end_for_user(conn, user.id)
        await token_rows.revoke_for_user(conn, user.id)


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
    closed: set[int] = {uid for (uid,) in await Deactivation.all().values_list("user_id")}
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
            admin_rows = await User.filter(role=Role.ADMIN).select_for_update().values_list("id")
            admins: set[int] = {uid for (uid,) in admin_rows}
            closed_rows = await Deactivation.filter(user_id__in=list(admins)).values_list("user_id")
            closed: set[int] = {uid for (uid,) in closed_rows}
            if admins - closed == {user.id}:
                raise SurveyError("error.last_admin")
        await Deactivation.create(user=user, by=actor[:254])
        user.password_hash = hash_password(secrets.token_urlsafe(32))
        user.session_version += 1
        await user.save(update_fields=["password_hash", "session_version"])
        await TeamEvent.create(actor=actor[:254], action="deactivate", target=user.email)
    return user
