"""One-time password-reset links, sent only by e-mail to the account holder.

Asked for on the sign-in page ("Forgot your password?"), started by an
administrator (who never sees the link or the new password), or sent with a new
account so its holder chooses a password. Only a hash of each token is stored;
the newest link of an account is the only one that works. Services own the
commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app
from sqlalchemy import select, update

from kaptrain.extensions import db
from kaptrain.models import PasswordResetLink, User, email_key, utcnow
from kaptrain.people import audit
from kaptrain.people.accounts import (
    AccountError,
    end_other_sessions,
    find_user,
    mail_password_changed,
    set_password,
)
from kaptrain.platform.mail import send_template
from kaptrain.platform.urls import absolute_url


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_reset_link(issuer: User | None, user: User) -> str:
    """Create a one-time reset token for ``user`` (caller commits); returns the
    raw token, which only ever goes into the e-mail to ``user``.

    Older unused links of the account stop working: only the newest one counts.
    """
    now = utcnow()
    db.session.execute(
        update(PasswordResetLink)
        .where(
            PasswordResetLink.user_id == user.id, PasswordResetLink.used_at.is_(None)
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    hours = current_app.config["RESET_LINK_HOURS"]
    db.session.add(
        PasswordResetLink(
            token_hash=_token_hash(token),
            user_id=user.id,
            # Asked for on the sign-in page: the holder issued it themselves.
            issued_by_id=issuer.id if issuer else user.id,
            expires_at=now + dt.timedelta(hours=hours),
        )
    )
    return token


def _mail_reset_link(user: User, token: str, template: str, **context: object) -> None:
    send_template(
        user.email,
        "Choose your kaptrain password"
        if template == "account_created"
        else "Reset your kaptrain password",
        template,
        name=user.name,
        hours=current_app.config["RESET_LINK_HOURS"],
        reset_url=absolute_url("auth.reset_password", token=token),
        **context,
    )


def send_reset_email(admin: User, user: User) -> None:
    """An administrator starts a reset: the link goes only to the account holder
    by e-mail (the admin never sees it or the new password). Audited."""
    token = issue_reset_link(admin, user)
    audit.record("password_reset_issued", actor=admin, subject=user)
    _mail_reset_link(user, token, "password_reset", by_admin=True)
    db.session.commit()


def send_setup_email(admin: User, user: User) -> None:
    """E-mail a new account's holder a link to choose their password."""
    token = issue_reset_link(admin, user)
    audit.record("password_reset_issued", actor=admin, subject=user, detail="setup")
    _mail_reset_link(
        user, token, "account_created", email=user.email, roles=sorted(user.roles)
    )
    db.session.commit()


def request_password_reset(email: str) -> None:
    """For "Forgot your password?": e-mail a one-time link if an active account uses
    the address. The caller answers the same whatever happened here."""
    user = find_user(email)
    if user is None or not user.active:
        audit.record(
            "password_reset_requested",
            subject=user,
            subject_label=email_key(email)[:254],
            detail="unknown" if user is None else "inactive",
        )
        db.session.commit()
        return
    token = issue_reset_link(None, user)
    audit.record("password_reset_requested", actor=None, subject=user)
    _mail_reset_link(user, token, "password_reset", by_admin=False)
    db.session.commit()


def find_reset_link(token: str) -> PasswordResetLink | None:
    """The unused, unexpired link for ``token``, or None."""
    if not token or len(token) > 100:
        return None
    link = db.session.execute(
        select(PasswordResetLink).where(
            PasswordResetLink.token_hash == _token_hash(token)
        )
    ).scalar_one_or_none()
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    return link


def use_reset_link(token: str, new_password: str) -> User:
    """Set a new password through a reset link, once; ends all the user's sessions."""
    link = find_reset_link(token)
    if link is None:
        raise AccountError(
            "password",
            "This reset link has expired or was already used. Ask for a new one "
            'with "Forgot your password?" on the sign-in page.',
        )
    user = link.user
    set_password(user, new_password)
    # Mark used with a conditional UPDATE so two racing submissions use it once.
    claimed = db.session.execute(
        update(PasswordResetLink)
        .where(PasswordResetLink.id == link.id, PasswordResetLink.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise AccountError("password", "This reset link was already used.")
    user.session_token = None
    end_other_sessions(user)
    audit.record("password_reset_used", actor=user, subject=user)
    mail_password_changed(user, " with a reset link")
    db.session.commit()
    return user
