"""Passing two-step sign-in in tests the honest way: a real enrolled secret and
a real code from it, posted to the real form.

The server refuses a code from a time step at or before the last one it
accepted (replay), and accepts the previous, current and next 30-second step.
:class:`Codes` hands out each step once per secret, oldest first, and waits for
the clock when all three are used, so a test that signs one person in many
times keeps working (a few sign-ins per 30 seconds cost nothing).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import pyotp

STEP_SECONDS = 30


class Codes:
    """Valid, never-reused TOTP codes per secret (thread-safe)."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def next(self, secret: str, account: str = "") -> str:
        """A code for ``secret`` that ``account`` has not used (the server
        keeps the last step per account; demo staff share one secret)."""
        totp = pyotp.TOTP(secret)
        key = (secret, account)
        while True:
            with self._lock:
                moment = dt.datetime.now(dt.UTC)
                now = totp.timecode(moment)
                # The previous step stays valid only until the current one
                # ends: use it only with a few seconds to spare.
                left = STEP_SECONDS - moment.timestamp() % STEP_SECONDS
                oldest = now - 1 if left > 5 else now
                step = max(oldest, self._last.get(key, oldest - 1) + 1)
                if step <= now + 1:
                    self._last[key] = step
                    return totp.generate_otp(step)
            time.sleep(1)

    def mark_used(self, secret: str, step: int, account: str = "") -> None:
        key = (secret, account)
        with self._lock:
            self._last[key] = max(step, self._last.get(key, step))


#: One per test process: secrets are unique per test user (and per live server).
CODES = Codes()


def current_step(secret: str) -> int:
    return pyotp.TOTP(secret).timecode(dt.datetime.now(dt.UTC))


def enrol(user_id: int, secret: str | None = None) -> str:
    """Give ``user_id`` a confirmed authenticator (call inside an app context,
    the caller commits). Returns the secret."""
    from kaptrain.extensions import db
    from kaptrain.models import TotpCredential

    secret = secret or pyotp.random_base32()
    db.session.add(TotpCredential(user_id=user_id, secret=secret))
    return secret


def needs_code(response: Any) -> bool:
    """Did sign-in stop at the code page?"""
    location = response.headers.get("Location", "")
    return response.status_code == 302 and urlsplit(location).path == "/login/mfa"


def pass_code(client: Any, secret: str, location: str) -> Any:
    """Post a fresh code to the code page the sign-in redirected to."""
    parts = urlsplit(location)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    response = client.post(path, data={"code": CODES.next(secret)})
    assert response.status_code == 302, "the code was refused"
    return response


def known_device(client: Any, email: str) -> None:
    """Give ``client`` the cookie of a browser that signed in to ``email`` before,
    so signing in makes no "new sign-in" mail or event (tests of those sign in
    without it)."""
    from kaptrain.web.auth.devices import device_cookie

    with client.application.app_context():
        name, value = device_cookie(email.strip().lower())
    client.set_cookie(name, value, path="/login")


def sign_in(client: Any, user: Any, password: str, **form: Any) -> Any:
    """Sign ``user`` in with ``client`` through both steps (Flask test client),
    from a browser that signed in to the account before."""
    known_device(client, user.email)
    response = client.post(
        "/login", data={"email": user.email, "password": password, **form}
    )
    secret = getattr(user, "totp_secret", None)
    if secret and needs_code(response):
        return pass_code(client, secret, response.headers["Location"])
    return response


def age_reauth(app: Any, user_id: int, minutes: int = 30) -> None:
    """Make every session of ``user_id`` confirm its identity ``minutes`` ago,
    so a sensitive change asks for a new confirmation."""
    from sqlalchemy import update

    from kaptrain.extensions import db
    from kaptrain.models import LoginSession, utcnow

    with app.app_context():
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.user_id == user_id)
            .values(reauth_at=utcnow() - dt.timedelta(minutes=minutes))
        )
        db.session.commit()
