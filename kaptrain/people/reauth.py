"""Re-authentication: sensitive changes ask for the password, and a code when
the account has MFA, confirmed in this browser within ``REAUTH_MINUTES``.

Signing in counts as a confirmation (``login_sessions.reauth_at``), so the
question comes only when the last one is older than the window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user

from kaptrain.extensions import db
from kaptrain.models import User, utcnow
from kaptrain.people import audit, mfa
from kaptrain.people.accounts import AccountError
from kaptrain.people.passwords import verify_password

F = TypeVar("F", bound=Callable[..., Any])


def reauth_is_fresh(user: Any) -> bool:
    at = getattr(user, "reauth_at", None)
    if at is None:
        return False
    window = dt.timedelta(minutes=current_app.config["REAUTH_MINUTES"])
    return utcnow() - at <= window


def reauthenticate(user: User, password: str, code: str) -> None:
    """Confirm it is still the account holder: password, and a code if enrolled."""
    if not verify_password(user.password_hash, password):
        db.session.rollback()
        audit.record("reauth_failed", actor=user, subject=user, detail="password")
        db.session.commit()
        raise AccountError("password", "That is not your password. Try again.")
    if mfa.is_enrolled(user.id):
        if not code.strip():
            raise AccountError(
                "code", "Enter the 6-digit code from your authenticator app."
            )
        mfa.check_code(user, code)
    mfa.mark_session(user, mfa=mfa.is_enrolled(user.id))
    audit.record("reauth", actor=user, subject=user)
    db.session.commit()


def reauth_required(back: str) -> Callable[[F], F]:
    """Refuse a sensitive change (any method but GET) unless the person confirmed
    it is them within the last ``REAUTH_MINUTES``; send them to confirm, then
    back to ``back`` (an endpoint taking this view's URL arguments)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if request.method != "GET" and not reauth_is_fresh(current_user):
                flash(
                    "For this change, first confirm it is you. Then make the "
                    "change again.",
                    "info",
                )
                back_url = url_for(back, **(request.view_args or {}))
                return redirect(url_for("account.reauth", next=back_url))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
