"""Readers for one ``KAPTRAIN_*`` value each, and the error a bad value raises.

:mod:`kaptrain.platform.config` puts these together into the configuration; the
readers here know one variable's shape (a whole number in a range, true/false, a
database URL, the site address...) and raise :class:`ConfigError` with a sentence
that names the variable and says what to write instead.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def env(name: str) -> str | None:
    value = os.environ.get(f"KAPTRAIN_{name}")
    if value is None or value.strip() == "":
        return None
    return value.strip()


def int_env(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            f"KAPTRAIN_{name} must be a whole number, got {raw!r}."
        ) from None
    if not minimum <= value <= maximum:
        raise ConfigError(
            f"KAPTRAIN_{name} must be between {minimum} and {maximum}, got {value}."
        )
    return value


def bool_env(name: str, default: bool) -> bool:
    raw = env(name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"KAPTRAIN_{name} must be true or false, got {raw!r}.")


def check_database_url(url: str, variable: str = "KAPTRAIN_DATABASE_URL") -> str:
    """Return ``url`` normalised for SQLAlchemy, or raise a ConfigError naming it."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"{variable} is not a database URL: {url!r}. Use for example "
            "sqlite:////path/to/kaptrain.db or "
            "postgresql+psycopg://user@127.0.0.1:5432/kaptrain."
        ) from None
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise ConfigError(
            f"{variable} names the {backend!r} database; kaptrain supports sqlite "
            "and postgresql."
        )
    if backend == "postgresql" and parsed.drivername in {"postgresql", "postgres"}:
        # The plain scheme would make SQLAlchemy look for psycopg2; we ship psycopg 3.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def base_url_value() -> str | None:
    raw = env("BASE_URL")
    if raw is None:
        return None
    parts = urlsplit(raw)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.path not in {"", "/"}
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ConfigError(
            "KAPTRAIN_BASE_URL must be the site's address with scheme and host only, "
            f"like https://training.example.org; got {raw!r}."
        )
    return f"{parts.scheme}://{parts.netloc}"


def trusted_hosts_value() -> list[str] | None:
    raw = env("TRUSTED_HOSTS")
    if raw is None:
        return None
    hosts = [host.strip().lower() for host in raw.split(",") if host.strip()]
    bad = [host for host in hosts if "/" in host or " " in host]
    if not hosts or bad:
        raise ConfigError(
            "KAPTRAIN_TRUSTED_HOSTS must be host names separated by commas, like "
            f"training.example.org,www.training.example.org; got {raw!r}."
        )
    return hosts


def secret_key_value(instance_path: Path, production: bool) -> str:
    configured = env("SECRET_KEY")
    if configured:
        if production and len(configured) < 32:
            raise ConfigError(
                "KAPTRAIN_SECRET_KEY is too short for production: use at least 32 "
                "random characters, e.g. from `python -c 'import secrets; "
                "print(secrets.token_hex(32))'`."
            )
        return configured
    if production:
        raise ConfigError(
            "KAPTRAIN_SECRET_KEY is not set. In production (KAPTRAIN_ENV=production) "
            "set it to a long random value, e.g. from `python -c 'import secrets; "
            "print(secrets.token_hex(32))'`."
        )
    # Development: generate once and keep it in instance/, so restarts keep sessions.
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def smtp_url_value() -> str | None:
    url = env("SMTP_URL")
    if url is None:
        return None
    from kaptrain.platform.mail import SMTPSettings

    try:
        SMTPSettings.from_url(url)
    except ValueError as error:
        raise ConfigError(
            f"KAPTRAIN_SMTP_URL is not usable ({error}). Use for example "
            "smtp://user:password@mail.example.org:587 (STARTTLS), "
            "smtps://user:password@mail.example.org:465 (TLS) or "
            "smtp://127.0.0.1:1025 (a local development server)."
        ) from None
    return url


def mail_from_value() -> str:
    from email.utils import parseaddr

    value = env("MAIL_FROM") or "kaptrain <no-reply@localhost>"
    address = parseaddr(value)[1]
    if "\n" in value or "\r" in value or address.count("@") != 1:
        raise ConfigError(
            f"KAPTRAIN_MAIL_FROM must be one address such as "
            f"'kaptrain <no-reply@example.org>', got {value!r}."
        )
    return value


def whole_numbers(rows: tuple[tuple[str, int, int, int], ...]) -> dict[str, int]:
    """Read ``(name, default, minimum, maximum)`` rows as ``KAPTRAIN_<name>``."""
    return {
        name: int_env(name, default, minimum, maximum)
        for name, default, minimum, maximum in rows
    }


def texts(rows: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Read ``(name, default)`` rows as ``KAPTRAIN_<name>``; empty means default."""
    return {name: env(name) or default for name, default in rows}
