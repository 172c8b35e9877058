"""Configuration: the only module that reads the environment."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _secret_key(env: dict[str, str], data_dir: Path) -> str:
    """Use PARLONS_SECRET_KEY, else a key kept in the data folder so sessions survive restarts."""
    key = env.get("PARLONS_SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ConfigError("PARLONS_SECRET_KEY must be at least 32 characters long")
        return key
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


# How the connection to the mail server is protected: nothing, STARTTLS after connecting, or
# TLS from the first byte (often port 465).
SMTP_TLS_MODES = ("none", "starttls", "tls")
_SMTP_PORTS = {"none": 25, "starttls": 587, "tls": 465}


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server that sends invitation e-mails."""

    host: str
    sender: str
    port: int = 587
    user: str = ""
    password: str = field(default="", repr=False)
    tls: str = "starttls"


def _smtp(env: dict[str, str]) -> SmtpSettings | None:
    """PARLONS_SMTP_*; ``None`` (no e-mail sent) when PARLONS_SMTP_HOST is not set."""
    host = (env.get("PARLONS_SMTP_HOST") or "").strip()
    if not host:
        return None
    sender = (env.get("PARLONS_SMTP_FROM") or "").strip()
    if "@" not in parseaddr(sender)[1]:
        raise ConfigError(
            "PARLONS_SMTP_FROM must be the sender address (as 'Mairie <mairie@example.org>')"
            " when PARLONS_SMTP_HOST is set"
        )
    tls = (env.get("PARLONS_SMTP_TLS") or "starttls").strip().lower()
    if tls not in SMTP_TLS_MODES:
        raise ConfigError(f"PARLONS_SMTP_TLS must be one of {', '.join(SMTP_TLS_MODES)}")
    user = env.get("PARLONS_SMTP_USER") or ""
    password = env.get("PARLONS_SMTP_PASSWORD") or ""
    if bool(user) != bool(password):
        raise ConfigError("PARLONS_SMTP_USER and PARLONS_SMTP_PASSWORD go together")
    port = _int(env, "PARLONS_SMTP_PORT", _SMTP_PORTS[tls])
    if not 0 < port < 65536:
        raise ConfigError(f"PARLONS_SMTP_PORT must be a port number, got {port}")
    return SmtpSettings(host=host, sender=sender, port=port, user=user, password=password, tls=tls)


DEFAULT_TIME_ZONE = "Europe/Paris"


def _time_zone(env: dict[str, str]) -> ZoneInfo:
    """PARLONS_TIME_ZONE, an IANA name such as ``Europe/Paris`` or ``America/Cayenne``."""
    name = (env.get("PARLONS_TIME_ZONE") or DEFAULT_TIME_ZONE).strip()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"PARLONS_TIME_ZONE must be a time zone name such as Europe/Paris, got {name!r}"
        ) from exc


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    data_dir: Path
    secret_key: str
    database_name: str = "parlons"
    base_url: str = ""
    secure_cookies: bool = False
    small_group_threshold: int = 5
    max_upload_bytes: int = 5 * 1024 * 1024
    submissions_per_minute: int = 600
    smtp: SmtpSettings | None = None
    # Background job kinds this process takes (None: every kind); lets heavy analyses run
    # on a dedicated worker.
    job_kinds: frozenset[str] | None = None
    # The one time zone every date is shown, typed, exported and counted in.
    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIME_ZONE))
    extra: dict[str, str] = field(default_factory=dict)


def load(env: dict[str, str] | None = None) -> Settings:
    """Read the settings from the environment (or the given mapping)."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("PARLONS_DATA_DIR") or ".parlons").expanduser().resolve()
    base_url = (env.get("PARLONS_BASE_URL") or "").rstrip("/")
    return Settings(
        database_url=env.get("DATABASE_URL") or None,
        data_dir=data_dir,
        secret_key=_secret_key(env, data_dir),
        database_name=env.get("PARLONS_DATABASE_NAME") or "parlons",
        base_url=base_url,
        secure_cookies=_secure_cookies(env, base_url),
        small_group_threshold=_int(env, "PARLONS_SMALL_GROUP", 5),
        max_upload_bytes=_int(env, "PARLONS_MAX_UPLOAD_BYTES", 5 * 1024 * 1024),
        submissions_per_minute=_int(env, "PARLONS_SUBMISSIONS_PER_MINUTE", 600),
        smtp=_smtp(env),
        job_kinds=_kinds(env.get("PARLONS_JOB_KINDS")),
        time_zone=_time_zone(env),
    )


def _secure_cookies(env: dict[str, str], base_url: str) -> bool:
    """PARLONS_SECURE_COOKIES when set; otherwise on whenever the public address is HTTPS,
    so that a site served over HTTPS never sends its session cookie in clear by mistake."""
    raw = (env.get("PARLONS_SECURE_COOKIES") or "").strip().lower()
    if not raw:
        return base_url.lower().startswith("https://")
    if raw in {"1", "true", "yes"}:
        return True
    if raw in {"0", "false", "no"}:
        return False
    raise ConfigError(f"PARLONS_SECURE_COOKIES must be 1 or 0, got {raw!r}")


def _kinds(text: str | None) -> frozenset[str] | None:
    kinds = frozenset(k.strip() for k in (text or "").split(",") if k.strip())
    return kinds or None
