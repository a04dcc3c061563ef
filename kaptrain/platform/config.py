"""Configuration: defaults, then environment overrides with the ``KAPTRAIN_`` prefix.

Every setting a deployment may change is read here and nowhere else, so the README's
table of variables and this module stay one list. A malformed value raises
:class:`ConfigError` with a sentence that names the variable; ``create_app`` turns it
into a one-line exit instead of a traceback.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from kaptrain.platform.files import private_dir
from kaptrain.platform.ratelimit_storage import storage_uri

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# scrypt with N=2^17, r=8, p=1 (OWASP ASVS V6.2): about 0.5 s and 128 MiB per hash.
DEFAULT_PASSWORD_METHOD = "scrypt:131072:8:1"  # noqa: S105 - a method name, not a secret


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def _env(name: str) -> str | None:
    value = os.environ.get(f"KAPTRAIN_{name}")
    if value is None or value.strip() == "":
        return None
    return value.strip()


def _int_env(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = _env(name)
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


def _bool_env(name: str, default: bool) -> bool:
    raw = _env(name)
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


def _base_url() -> str | None:
    raw = _env("BASE_URL")
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


def _trusted_hosts() -> list[str] | None:
    raw = _env("TRUSTED_HOSTS")
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


def _secret_key(instance_path: Path, production: bool) -> str:
    configured = _env("SECRET_KEY")
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


def _smtp_url() -> str | None:
    url = _env("SMTP_URL")
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


def _mail_from() -> str:
    from email.utils import parseaddr

    value = _env("MAIL_FROM") or "kaptrain <no-reply@localhost>"
    address = parseaddr(value)[1]
    if "\n" in value or "\r" in value or address.count("@") != 1:
        raise ConfigError(
            f"KAPTRAIN_MAIL_FROM must be one address such as "
            f"'kaptrain <no-reply@example.org>', got {value!r}."
        )
    return value


def _xapi_settings() -> dict[str, Any]:
    """The Learning Record Store settings (kaptrain.xapi); no endpoint, no xAPI."""
    endpoint = _env("XAPI_ENDPOINT")
    if endpoint is not None:
        parts = urlsplit(endpoint)
        if (
            parts.scheme not in {"http", "https"}
            or not parts.hostname
            or (parts.query or parts.fragment or parts.username)
        ):
            raise ConfigError(
                "KAPTRAIN_XAPI_ENDPOINT must be the LRS's xAPI address, like "
                f"https://lrs.example.org/xAPI/ (no user or query); got {endpoint!r}."
            )
        endpoint = endpoint.rstrip("/") + "/"
    username, password = _env("XAPI_USERNAME"), _env("XAPI_PASSWORD")
    if (username is None) != (password is None):
        raise ConfigError(
            "Set both KAPTRAIN_XAPI_USERNAME and KAPTRAIN_XAPI_PASSWORD (the LRS's "
            "HTTP Basic credentials), or neither."
        )
    actor = (_env("XAPI_ACTOR") or "account").lower()
    if actor not in {"account", "mbox"}:
        raise ConfigError(
            "KAPTRAIN_XAPI_ACTOR must be 'account' (an opaque id, the default) or "
            f"'mbox' (the e-mail address); got {actor!r}."
        )
    return {
        "XAPI_ENDPOINT": endpoint,
        "XAPI_USERNAME": username,
        "XAPI_PASSWORD": password,
        "XAPI_ACTOR": actor,
        "XAPI_BATCH": _int_env("XAPI_BATCH", 50, 1, 500),
        "XAPI_RETRY_SECONDS": _int_env("XAPI_RETRY_SECONDS", 10, 1, 3600),
        "XAPI_TIMEOUT": _int_env("XAPI_TIMEOUT", 10, 1, 120),
    }


def load_config(
    instance_path: Path, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Build the configuration from defaults, ``KAPTRAIN_*`` variables, overrides.

    ``overrides`` (the test configuration) win over the environment; a secret key
    given there means none is generated in ``instance/``.
    """
    overrides = overrides or {}
    env_name = (_env("ENV") or "development").lower()
    if env_name not in {"development", "production"}:
        raise ConfigError(
            f"KAPTRAIN_ENV must be 'development' or 'production', got {env_name!r}."
        )
    production = env_name == "production"
    # The instance folder holds the SQLite database, keys and backups by default.
    private_dir(instance_path)

    database_url = (
        overrides.get("SQLALCHEMY_DATABASE_URI")
        or _env("DATABASE_URL")
        or f"sqlite:///{instance_path / 'kaptrain.db'}"
    )
    modules_dir = Path(_env("MODULES_DIR") or PROJECT_ROOT / "modules")
    redis_url = _env("REDIS_URL")
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(
            f"KAPTRAIN_REDIS_URL must start with redis://, rediss:// or unix://, "
            f"got {redis_url!r}."
        )
    https = _bool_env("HTTPS", production)
    base_url = _base_url()
    trusted_hosts = _trusted_hosts()
    smtp_url = _smtp_url()
    mail_from = _mail_from()

    secret_key = overrides.get("SECRET_KEY") or _secret_key(instance_path, production)
    if production and not (
        base_url
        or trusted_hosts
        or overrides.get("BASE_URL")
        or overrides.get("TRUSTED_HOSTS")
    ):
        raise ConfigError(
            "Set KAPTRAIN_BASE_URL (e.g. https://training.example.org) or "
            "KAPTRAIN_TRUSTED_HOSTS (e.g. training.example.org) in production, so "
            "that links in certificates and mail cannot name a host an attacker "
            "chose."
        )
    config: dict[str, Any] = {
        "ENV_NAME": env_name,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": check_database_url(database_url),
        # No pre-ping: kaptrain.platform.database checks pooled PostgreSQL connections
        # without a round trip.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "MODULES_DIR": modules_dir,
        "CONTENT_AUTO_RELOAD": _bool_env("CONTENT_AUTO_RELOAD", not production),
        "REDIS_URL": redis_url,
        # Without Redis, one counter file per host, shared by its workers.
        "RATELIMIT_STORAGE_URI": redis_url
        or storage_uri(instance_path / "ratelimits.db"),
        "RATELIMIT_ENABLED": _bool_env("RATELIMIT_ENABLED", True),
        "PROVIDER_NAME": _env("PROVIDER_NAME") or "kaptrain (demonstration provider)",
        "PROVIDER_APPROVAL": _env("PROVIDER_APPROVAL") or "",
        "PASSWORD_METHOD": _env("PASSWORD_METHOD") or DEFAULT_PASSWORD_METHOD,
        "HTTPS": https,
        # How many reverse proxies in front set X-Forwarded-For/-Proto (0 = none).
        "TRUSTED_PROXIES": _int_env("TRUSTED_PROXIES", 0, 0, 5),
        # Over HTTPS, the __Host- prefix makes browsers refuse the cookie unless
        # it is Secure, for this exact host (no Domain) and Path=/, so a sibling
        # subdomain or a plain-HTTP page cannot set or overwrite it.
        "SESSION_COOKIE_NAME": "__Host-session" if https else "session",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "REMEMBER_COOKIE_NAME": "__Host-remember_token" if https else "remember_token",
        "REMEMBER_COOKIE_PATH": "/",
        "REMEMBER_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 7,
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
        "MAX_CONTENT_LENGTH": _int_env(
            "MAX_CONTENT_LENGTH", 1024 * 1024, 1024, 1 << 30
        ),
        "WTF_CSRF_TIME_LIMIT": None,
        "RESET_LINK_HOURS": _int_env("RESET_LINK_HOURS", 24, 1, 24 * 14),
        # A session unused for this long ends (staff: supervisor, author, admin).
        "IDLE_MINUTES_STAFF": _int_env("IDLE_MINUTES_STAFF", 30, 1, 12 * 60),
        "IDLE_MINUTES_TRAINEE": _int_env("IDLE_MINUTES_TRAINEE", 120, 1, 12 * 60),
        # How long a confirmed password (and code) lets an admin make sensitive
        # changes (roles, MFA resets, reset links) before asking again.
        "REAUTH_MINUTES": _int_env("REAUTH_MINUTES", 10, 1, 60),
        # The WebAuthn relying-party id (the site's host name) and origin; by
        # default taken from the request, which suits a single host name.
        "WEBAUTHN_RP_ID": _env("WEBAUTHN_RP_ID") or "",
        "WEBAUTHN_ORIGIN": _env("WEBAUTHN_ORIGIN") or "",
        "SUPPORT_URL": _env("SUPPORT_URL") or "",
        # Every absolute link starts with this when set (kaptrain.platform.urls).
        "BASE_URL": base_url,
        # Flask refuses (400) a request whose Host is not listed, when set.
        "TRUSTED_HOSTS": trusted_hosts,
        # Outgoing mail (platform.mail): SMTP when set, else .eml files in MAIL_DIR.
        "SMTP_URL": smtp_url,
        "MAIL_FROM": mail_from,
        "MAIL_DIR": instance_path / "mail",
        "MAIL_RETRY_SECONDS": _int_env("MAIL_RETRY_SECONDS", 60, 1, 24 * 3600),
        "MAIL_MAX_ATTEMPTS": _int_env("MAIL_MAX_ATTEMPTS", 10, 1, 100),
        **_xapi_settings(),
    }
    config.update(overrides)
    if config.get("XAPI_ENDPOINT") and not config.get("BASE_URL"):
        raise ConfigError(
            "KAPTRAIN_XAPI_ENDPOINT needs KAPTRAIN_BASE_URL (e.g. "
            "https://training.example.org): xAPI activity ids are built from it "
            "and must stay the same whatever host a request named."
        )
    config["SQLALCHEMY_DATABASE_URI"] = check_database_url(
        config["SQLALCHEMY_DATABASE_URI"]
    )
    return config
