"""Read settings from the environment, failing loudly on a value that cannot be meant.

No Django imports: settings.py calls these before Django is configured.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import urlparse


class EnvError(Exception):
    """A setting in the environment has a value Sispam cannot use."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if raw is None:
        return default
    low = raw.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise EnvError(f"{name}={raw!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise EnvError(f"{name}={raw!r} is not an integer.") from None
    if minimum is not None and value < minimum:
        raise EnvError(f"{name}={value} is below the minimum of {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_redis_url(name: str) -> str | None:
    raw = env_str(name)
    if raw is None:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in {"redis", "rediss"} or not parsed.hostname:
        raise EnvError(
            f"{name}={raw!r} is not a Redis URL: expected redis://host:port/db "
            "(or rediss:// for TLS)."
        )
    return raw


def env_database_url(name: str) -> str | None:
    raw = env_str(name)
    if raw is None:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in {"postgres", "postgresql", "sqlite"}:
        raise EnvError(
            f"{name}={raw!r}: only postgres://user@host:port/name (or sqlite:///path) is supported."
        )
    if parsed.scheme.startswith("postgres") and not parsed.path.strip("/"):
        raise EnvError(f"{name}={raw!r} names no database (postgres://user@host:port/NAME).")
    return raw


def secret_key_file(path) -> str:
    """The key kept in `path` (made with 64 random characters, mode 0600, the first time)."""
    path = Path(path)
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if len(key) < 50:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(key + "\n")
    return key
