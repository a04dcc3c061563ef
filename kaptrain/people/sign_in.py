"""Signing in and out: check the password, start a login session, end it.

A login is a server-side row in ``login_sessions`` whose random token the
browser holds; :func:`kaptrain.people.accounts.load_session_user` reads it on
every request. Services own the commit. Failures a person can fix raise
:class:`~kaptrain.people.accounts.AccountError`.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app, session
from flask_login import login_user, logout_user
from sqlalchemy import delete

from kaptrain.extensions import db
from kaptrain.models import LoginSession, User, email_key, utcnow
from kaptrain.people import audit, security_events, sessions
from kaptrain.people.accounts import AccountError, find_user
from kaptrain.people.passwords import hash_password, needs_rehash, verify_password
from kaptrain.platform.mail import send_template
from kaptrain.platform.urls import absolute_url

SESSION_HOURS = 12
REMEMBER_DAYS = 7

# Compared against when the email is unknown, so a miss costs as long as a hit.
_DUMMY_HASH: dict[str, str] = {}

WRONG_CREDENTIALS = (
    "The email address or password is not right. Check both and try again."
)
DEACTIVATED = "This account is deactivated. Ask an administrator if you need it again."


def check_login(email: str, password: str) -> User:
    """The active user with these credentials; AccountError otherwise.

    Both outcomes are audited (never the password). A wrong password and an unknown
    address get the same message and take the same time, so the form does not
    reveal who has an account. Only someone who knows the password learns that an
    account is deactivated.
    """
    user = find_user(email)
    if user is None:
        method = current_app.config["PASSWORD_METHOD"]
        if method not in _DUMMY_HASH:
            _DUMMY_HASH[method] = hash_password(secrets.token_hex(16))
        verify_password(_DUMMY_HASH[method], password)
        audit.record(
            "login_failed", subject_label=email_key(email)[:254], detail="unknown"
        )
        db.session.commit()
        raise AccountError("password", WRONG_CREDENTIALS)
    if not verify_password(user.password_hash, password):
        audit.record("login_failed", subject=user, detail="password")
        db.session.commit()
        raise AccountError("password", WRONG_CREDENTIALS)
    if not user.active:
        audit.record("login_failed", subject=user, detail="inactive")
        db.session.commit()
        raise AccountError("email", DEACTIVATED)
    if needs_rehash(user.password_hash):
        # The caller's start_session commits this with the login.
        user.password_hash = hash_password(password)
    return user


NEW_SIGN_IN_SUBJECT = "New sign-in to your kaptrain account"


def _new_sign_in_mail(user: User, now: dt.datetime) -> None:
    details = sessions.session_details()
    send_template(
        user.email,
        NEW_SIGN_IN_SUBJECT,
        "new_sign_in",
        name=user.name,
        when=now.strftime("%Y-%m-%d %H:%M"),
        device=sessions.describe_device(str(details["user_agent"])),
        ip=details["ip"] or "unknown",
        sessions_url=absolute_url("account.sessions_list"),
    )


def start_session(
    user: User,
    remember: bool = False,
    *,
    new_device: bool = False,
    second_factor_owed: bool = False,
) -> None:
    """Sign ``user`` in with a fresh server-side session (no fixation).

    ``new_device``: this browser never signed in to the account before, which is
    recorded as a security event and mailed to the account's owner. It is told
    at the password step, before any second factor: a stranger who has the
    password but not the code is exactly what the owner should hear about.

    With ``second_factor_owed`` the session stays pending until the code is
    entered (see kaptrain.people.mfa); otherwise the password was the whole sign-in and
    counts as a fresh confirmation for re-authentication.
    """
    now = utcnow()
    lifetime = (
        dt.timedelta(days=REMEMBER_DAYS)
        if remember
        else dt.timedelta(hours=SESSION_HOURS)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(
            token=token,
            user_id=user.id,
            expires_at=now + lifetime,
            last_seen_at=now,
            remember=remember,
            reauth_at=None if second_factor_owed else now,
            **sessions.session_details(),
        )
    )
    # Expired rows of this user are tidied here rather than by a scheduler.
    db.session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.expires_at < now
        )
    )
    user.last_seen_at = now
    user.session_token = token
    audit.record("login", actor=user, subject=user)
    if new_device:
        security_events.record_new_device(user)
        _new_sign_in_mail(user, now)
    db.session.commit()
    session.clear()
    login_user(user, remember=remember, duration=lifetime)


def end_session(user: User) -> None:
    """Sign out: delete this browser's session row so its cookie stops working."""
    if user.session_token:
        db.session.execute(
            delete(LoginSession).where(LoginSession.token == user.session_token)
        )
    audit.record("logout", actor=user, subject=user)
    db.session.commit()
    logout_user()
    session.clear()
