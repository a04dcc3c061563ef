"""Known-device cookies: the real user's browser is not held by the per-account limit.

The per-account login limit slows an attacker who spreads guesses over many
addresses, but on its own it would also lock the real user out. A browser that
has signed in to an account before carries a signed cookie naming (a hash of)
that account; such a browser skips the per-account limit, though not the limits
per address. An attacker cannot make the cookie without the secret key, and
cannot get one without first signing in.
"""

from __future__ import annotations

import hashlib

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "kaptrain_device"
# Path=/login rules out the __Host- prefix; __Secure- still makes browsers
# accept the cookie only from HTTPS responses.
SECURE_COOKIE = "__Secure-kaptrain_device"
MAX_AGE = 60 * 60 * 24 * 90  # 90 days
_SALT = "kaptrain-known-device"


def _cookie_name() -> str:
    return SECURE_COOKIE if current_app.config.get("HTTPS") else COOKIE


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)  # type: ignore[arg-type]


def _account_digest(email: str) -> str:
    # The cookie is signed, not encrypted: keep the address itself out of it.
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def device_cookie(email: str) -> tuple[str, str]:
    """The known-device cookie's (name, value) for ``email`` (needs the app)."""
    return _cookie_name(), _serializer().dumps(_account_digest(email))


def remember_device(response: Response, email: str) -> None:
    """Mark this browser as one that signed in to ``email`` (stored lower-cased)."""
    response.set_cookie(
        _cookie_name(),
        _serializer().dumps(_account_digest(email)),
        max_age=MAX_AGE,
        path="/login",
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("HTTPS")),
    )


def is_known_device(email: str) -> bool:
    """Did this browser sign in to ``email`` before (within 90 days)?"""
    value = request.cookies.get(_cookie_name())
    if not value or not email or len(value) > 500:
        return False
    try:
        digest = _serializer().loads(value, max_age=MAX_AGE)
    except BadSignature:
        return False
    return digest == _account_digest(email)
