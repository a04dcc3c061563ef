"""Configuration: defaults, then environment overrides with the ``KAPTRAIN_`` prefix.

Every setting a deployment may change is read here and nowhere else, so the README's
table of variables and this module stay one list. A malformed value raises
:class:`ConfigError` with a sentence that names the variable; ``create_app`` turns it
into a one-line exit instead of a traceback. How one variable is read and checked
lives in :mod:`kaptrain.platform.setting_values`; this module says which variables
make up each area (storage, address, cookies, security, provider, mail).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kaptrain.platform.files import private_dir
from kaptrain.platform.ratelimit_storage import storage_uri
from kaptrain.platform.setting_checks import (
    content_source_value,
    grievance_url_value,
    poll_seconds_value,
    share_value,
    signing_key_value,
    xapi_connection_values,
)
from kaptrain.platform.setting_values import (
    ConfigError,
    base_url_value,
    bool_env,
    check_database_url,
    env,
    mail_from_value,
    secret_key_value,
    smtp_url_value,
    texts,
    trusted_hosts_value,
    whole_numbers,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# scrypt with N=2^17, r=8, p=1 (OWASP ASVS V6.2): about 0.5 s and 128 MiB per hash.
DEFAULT_PASSWORD_METHOD = "scrypt:131072:8:1"  # noqa: S105 - a method name, not a secret


class Site:
    """What every reader of settings may need to know about this start-up."""

    def __init__(
        self, instance_path: Path, production: bool, overrides: dict[str, Any]
    ) -> None:
        self.instance_path = instance_path
        self.production = production
        self.overrides = overrides


def _environment_name() -> str:
    env_name = (env("ENV") or "development").lower()
    if env_name not in {"development", "production"}:
        raise ConfigError(
            f"KAPTRAIN_ENV must be 'development' or 'production', got {env_name!r}."
        )
    return env_name


def _storage_settings(site: Site) -> dict[str, Any]:
    """Database, content folder and the rate-limit counters."""
    database_url = (
        site.overrides.get("SQLALCHEMY_DATABASE_URI")
        or env("DATABASE_URL")
        or f"sqlite:///{site.instance_path / 'kaptrain.db'}"
    )
    redis_url = env("REDIS_URL")
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(
            f"KAPTRAIN_REDIS_URL must start with redis://, rediss:// or unix://, "
            f"got {redis_url!r}."
        )
    return {
        "SQLALCHEMY_DATABASE_URI": check_database_url(database_url),
        # No pre-ping: kaptrain.platform.database checks pooled PostgreSQL connections
        # without a round trip.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "MODULES_DIR": Path(env("MODULES_DIR") or PROJECT_ROOT / "modules"),
        "CONTENT_AUTO_RELOAD": bool_env("CONTENT_AUTO_RELOAD", not site.production),
        "REDIS_URL": redis_url,
        # Without Redis, one counter file per host, shared by its workers.
        "RATELIMIT_STORAGE_URI": redis_url
        or storage_uri(site.instance_path / "ratelimits.db"),
        "RATELIMIT_ENABLED": bool_env("RATELIMIT_ENABLED", True),
    }


def _address_settings(site: Site) -> dict[str, Any]:
    """Where the site lives: its base URL, the hosts it answers, its proxies."""
    base_url = base_url_value()
    trusted_hosts = trusted_hosts_value()
    if site.production and not (
        base_url
        or trusted_hosts
        or site.overrides.get("BASE_URL")
        or site.overrides.get("TRUSTED_HOSTS")
    ):
        raise ConfigError(
            "Set KAPTRAIN_BASE_URL (e.g. https://training.example.org) or "
            "KAPTRAIN_TRUSTED_HOSTS (e.g. training.example.org) in production, so "
            "that links in certificates and mail cannot name a host an attacker "
            "chose."
        )
    return {
        # Every absolute link starts with this when set (kaptrain.platform.urls).
        "BASE_URL": base_url,
        # Flask refuses (400) a request whose Host is not listed, when set.
        "TRUSTED_HOSTS": trusted_hosts,
        # How many reverse proxies in front set X-Forwarded-For/-Proto (0 = none).
        **whole_numbers((("TRUSTED_PROXIES", 0, 0, 5),)),
    }


def _cookie_settings(site: Site) -> dict[str, Any]:
    """HTTPS and the session and remember-me cookies that depend on it."""
    https = bool_env("HTTPS", site.production)
    return {
        "HTTPS": https,
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
    }


def _security_settings(site: Site) -> dict[str, Any]:
    """Secret key, password hashing, time limits on links and sessions, passkeys."""
    secret_key = site.overrides.get("SECRET_KEY") or secret_key_value(
        site.instance_path, site.production
    )
    return {
        "SECRET_KEY": secret_key,
        "PASSWORD_METHOD": env("PASSWORD_METHOD") or DEFAULT_PASSWORD_METHOD,
        "WTF_CSRF_TIME_LIMIT": None,
        **whole_numbers(
            (
                ("MAX_CONTENT_LENGTH", 1024 * 1024, 1024, 1 << 30),
                ("RESET_LINK_HOURS", 24, 1, 24 * 14),
                # A session unused for this long ends (staff: supervisor, author,
                # admin).
                ("IDLE_MINUTES_STAFF", 30, 1, 12 * 60),
                ("IDLE_MINUTES_TRAINEE", 120, 1, 12 * 60),
                # How long a confirmed password (and code) lets an admin make
                # sensitive changes (roles, MFA resets, reset links) before asking
                # again.
                ("REAUTH_MINUTES", 10, 1, 60),
            )
        ),
        # The WebAuthn relying-party id (the site's host name) and origin; by
        # default taken from the request, which suits a single host name.
        **texts((("WEBAUTHN_RP_ID", ""), ("WEBAUTHN_ORIGIN", ""))),
    }


def _provider_settings(site: Site) -> dict[str, Any]:
    """Who offers the training, as certificates and pages name it."""
    return texts(
        (
            ("PROVIDER_NAME", "kaptrain (demonstration provider)"),
            ("PROVIDER_APPROVAL", ""),
            ("SUPPORT_URL", ""),
        )
    )


def _mail_settings(site: Site) -> dict[str, Any]:
    """Outgoing mail (platform.mail): SMTP when set, else .eml files in MAIL_DIR."""
    return {
        "SMTP_URL": smtp_url_value(),
        "MAIL_FROM": mail_from_value(),
        "MAIL_DIR": site.instance_path / "mail",
        **whole_numbers(
            (
                ("MAIL_RETRY_SECONDS", 60, 1, 24 * 3600),
                ("MAIL_MAX_ATTEMPTS", 10, 1, 100),
            )
        ),
    }


def _content_settings(site: Site) -> dict[str, Any]:
    """Where the served content comes from (kaptrain.authoring): the published
    revisions in the database, written under PUBLISHED_DIR, or the folder."""
    return {
        "CONTENT_SOURCE": content_source_value(),
        "CONTENT_POLL_SECONDS": poll_seconds_value(),
        "PUBLISHED_DIR": site.instance_path / "published",
    }


def _studio_settings(site: Site) -> dict[str, Any]:
    """The authoring studio (kaptrain.authoring.uploads, reviews): upload limits,
    and whether a second author must approve before publishing (on in
    production, off in development unless set)."""
    return {
        **whole_numbers(
            (
                ("STUDIO_MAX_FILE_BYTES", 2 * 1024 * 1024, 1024, 1 << 30),
                ("STUDIO_MAX_FILES", 200, 1, 10000),
                ("STUDIO_MAX_TOTAL_BYTES", 20 * 1024 * 1024, 1024, 1 << 31),
            )
        ),
        "REVIEW_REQUIRED": bool_env("REVIEW_REQUIRED", site.production),
    }


def _credential_settings(site: Site) -> dict[str, Any]:
    """The credential signing key (kaptrain.learning.credentials.keys): from
    KAPTRAIN_SIGNING_KEY, else this file (0600), never in the database."""
    return {
        "SIGNING_KEY": signing_key_value(),
        "SIGNING_KEY_FILE": site.instance_path / "signing_key.pem",
    }


def _ce_settings(site: Site) -> dict[str, Any]:
    """The CE provider's statements (issue 16), shown on the module page before
    the trainee starts, and the time-on-task share: a lesson (or vignette step)
    cannot be completed sooner than this share of its estimated minutes after
    it was first opened; 0 turns it off."""
    return {
        **texts(
            (
                ("COMMERCIAL_SUPPORT", ""),
                ("COI_POLICY", ""),
                ("PROVIDER_CONTACT", ""),
            )
        ),
        "GRIEVANCE_URL": grievance_url_value(),
        "MIN_TIME_SHARE": share_value("MIN_TIME_SHARE", 0.25),
    }


def _xapi_settings(site: Site) -> dict[str, Any]:
    """The Learning Record Store (kaptrain.xapi); no endpoint, no xAPI."""
    return {
        **xapi_connection_values(),
        **whole_numbers(
            (
                ("XAPI_BATCH", 50, 1, 500),
                ("XAPI_RETRY_SECONDS", 10, 1, 3600),
                ("XAPI_TIMEOUT", 10, 1, 120),
            )
        ),
    }


# One reader per area. A new area of settings is a ``_<area>_settings(site)``
# function above and one line at the end of this tuple.
SETTING_READERS = (
    _storage_settings,
    _security_settings,
    _address_settings,
    _cookie_settings,
    _provider_settings,
    _mail_settings,
    _content_settings,
    _studio_settings,
    _credential_settings,
    _ce_settings,
    _xapi_settings,
)


def load_config(
    instance_path: Path, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Build the configuration from defaults, ``KAPTRAIN_*`` variables, overrides.

    ``overrides`` (the test configuration) win over the environment; a secret key
    given there means none is generated in ``instance/``.
    """
    overrides = overrides or {}
    env_name = _environment_name()
    # The instance folder holds the SQLite database, keys and backups by default.
    private_dir(instance_path)
    site = Site(instance_path, env_name == "production", overrides)
    config: dict[str, Any] = {"ENV_NAME": env_name}
    for read in SETTING_READERS:
        config.update(read(site))
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
