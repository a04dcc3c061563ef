"""Checked readers for the settings of the later features (content store,
studio, credentials, CE, xAPI): each reads one ``KAPTRAIN_*`` variable and
raises :class:`ConfigError` with a sentence naming it and saying what to set.

The general readers (``env``, ``int_env``, ``bool_env``, URLs, the secret key)
live in :mod:`kaptrain.platform.setting_values`; the areas that use these are
listed in :data:`kaptrain.platform.config.SETTING_READERS`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from kaptrain.platform.setting_values import ConfigError, env


def content_source_value() -> str:
    """``KAPTRAIN_CONTENT_SOURCE``: ``database`` (default) or ``folder``."""
    raw = (env("CONTENT_SOURCE") or "database").lower()
    if raw not in {"database", "folder"}:
        raise ConfigError(
            "KAPTRAIN_CONTENT_SOURCE must be 'database' (serve the published "
            "revisions; import files with `flask content import`) or 'folder' "
            f"(serve KAPTRAIN_MODULES_DIR directly), got {raw!r}."
        )
    return raw


def poll_seconds_value() -> float:
    """``KAPTRAIN_CONTENT_POLL_SECONDS``: 0.1 to 3600, default 2."""
    raw = env("CONTENT_POLL_SECONDS")
    if raw is None:
        return 2.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.1 <= value <= 3600:
        raise ConfigError(
            "KAPTRAIN_CONTENT_POLL_SECONDS must be a number of seconds between 0.1 "
            f"and 3600 (how often a worker checks for newly published content), "
            f"got {raw!r}."
        )
    return value


def signing_key_value() -> str | None:
    """``KAPTRAIN_SIGNING_KEY``: an Ed25519 private key as 64 hex characters."""
    raw = env("SIGNING_KEY")
    if raw is None:
        return None
    try:
        seed = bytes.fromhex(raw)
    except ValueError:
        seed = b""
    if len(seed) != 32:
        raise ConfigError(
            "KAPTRAIN_SIGNING_KEY must be an Ed25519 private key as 64 hexadecimal "
            "characters (for example from `flask --app kaptrain keys generate "
            "--print`); got a value of the wrong form."
        )
    return raw.lower()


def share_value(name: str, default: float) -> float:
    """A share from 0 to 1 (``KAPTRAIN_MIN_TIME_SHARE``); refuses nan and inf."""
    raw = env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:  # also refuses nan and inf
        raise ConfigError(
            f"KAPTRAIN_{name} must be a number from 0 to 1 (0.25 means a quarter), "
            f"got {raw!r}."
        )
    return value


def grievance_url_value() -> str:
    """``KAPTRAIN_GRIEVANCE_URL``: a full http(s) address, or empty."""
    raw = env("GRIEVANCE_URL")
    if raw is None:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname or " " in raw:
        raise ConfigError(
            "KAPTRAIN_GRIEVANCE_URL must be the full address of the grievance and "
            f"refund policy, like https://example.org/ce/grievances; got {raw!r}."
        )
    return raw


def xapi_connection_values() -> dict[str, str | None]:
    """``KAPTRAIN_XAPI_ENDPOINT``, ``_USERNAME``, ``_PASSWORD`` and ``_ACTOR``."""
    endpoint = env("XAPI_ENDPOINT")
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
    username, password = env("XAPI_USERNAME"), env("XAPI_PASSWORD")
    if (username is None) != (password is None):
        raise ConfigError(
            "Set both KAPTRAIN_XAPI_USERNAME and KAPTRAIN_XAPI_PASSWORD (the LRS's "
            "HTTP Basic credentials), or neither."
        )
    actor = (env("XAPI_ACTOR") or "account").lower()
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
    }
