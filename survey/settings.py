"""Configuration: the only module that reads the environment."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


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
    smtp_host: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def load(env: dict[str, str] | None = None) -> Settings:
    """Read the settings from the environment (or the given mapping)."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("PARLONS_DATA_DIR") or ".parlons").expanduser().resolve()
    return Settings(
        database_url=env.get("DATABASE_URL") or None,
        data_dir=data_dir,
        secret_key=_secret_key(env, data_dir),
        database_name=env.get("PARLONS_DATABASE_NAME") or "parlons",
        base_url=(env.get("PARLONS_BASE_URL") or "").rstrip("/"),
        secure_cookies=env.get("PARLONS_SECURE_COOKIES", "0") in {"1", "true", "yes"},
        small_group_threshold=_int(env, "PARLONS_SMALL_GROUP", 5),
        max_upload_bytes=_int(env, "PARLONS_MAX_UPLOAD_BYTES", 5 * 1024 * 1024),
        submissions_per_minute=_int(env, "PARLONS_SUBMISSIONS_PER_MINUTE", 600),
        smtp_host=env.get("PARLONS_SMTP_HOST") or None,
    )
