"""Multi-factor authentication: who needs it, the sign-in gate, checking a code,
enrolling, turning it off and an administrator's reset. The codes themselves
(TOTP, recovery codes) are :mod:`kaptrain.people.one_time_codes`.

Who needs a second factor: every supervisor, author and admin, and any trainee
who chose to enrol. After the password such a person holds a *pending* login
session (``login_sessions.mfa_at`` is NULL): :func:`gate` lets it reach only the
code page (enrolled) or the enrolment page (staff not yet enrolled) and sign
out, so every other route, staff routes included, refuses it. Passing the code
sets ``mfa_at`` on that session row.

Sensitive admin actions also ask to confirm it is still the same person
(kaptrain.people.reauth): the password, and a code when enrolled, within
``REAUTH_MINUTES``.

Services own the commit. Failures a person can fix raise ``AccountError``.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    abort,
    redirect,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from kaptrain.extensions import db
from kaptrain.models import (
    ADMIN,
    AUTHOR,
    SUPERVISOR,
    LoginSession,
    Passkey,
    RecoveryCode,
    TotpCredential,
    User,
    utcnow,
)
from kaptrain.people import audit, one_time_codes
from kaptrain.people.accounts import AccountError

STAFF_ROLES = (SUPERVISOR, AUTHOR, ADMIN)
# What a session that has not passed its second factor may still reach.
OPEN_ENDPOINTS = frozenset({"static", "main.healthz", "main.support", "auth.logout"})
VERIFY_ENDPOINTS = frozenset(
    {"auth.mfa_verify", "auth.passkey_login_options", "auth.passkey_login"}
)
SETUP_ENDPOINTS = frozenset({"account.mfa_setup"})

WRONG_CODE = (
    "That code is not right. Enter the 6-digit code your authenticator app shows "
    "now, or one of your recovery codes."
)
REPLAYED_CODE = (
    "That code was already used. Wait until your app shows a new code, then enter "
    "the new one."
)


# ------------------------------------------------------------------ who needs it


def is_staff(user: Any) -> bool:
    return bool(user.has_role(*STAFF_ROLES))


def is_enrolled(user_id: int) -> bool:
    return db.session.get(TotpCredential, user_id) is not None


def needs_second_factor(user: Any) -> bool:
    """Staff always; anyone else once they have enrolled."""
    enrolled = getattr(user, "mfa_enrolled", None)
    if enrolled is None:
        enrolled = is_enrolled(user.id)
    return bool(enrolled) or is_staff(user)


def is_pending(user: Any) -> bool:
    """Signed in with the password, but the second factor is still owed."""
    if not user.is_authenticated:
        return False
    return getattr(user, "mfa_at", None) is None and needs_second_factor(user)


def gate() -> Any:
    """``before_request``: a pending session reaches only the code or enrolment
    page and sign-out; everything else sends it there (JSON callers get 401)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated or not is_pending(current_user):
        return None
    enrolled = bool(getattr(current_user, "mfa_enrolled", False))
    allowed = VERIFY_ENDPOINTS if enrolled else SETUP_ENDPOINTS
    if endpoint in allowed:
        return None
    from kaptrain.people.access import wants_json

    if wants_json() or request.method != "GET":
        abort(401)
    target = "auth.mfa_verify" if enrolled else "account.mfa_setup"
    next_url = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for(target, next=next_url))


def init_mfa(app: Flask) -> None:
    app.before_request(gate)
    app.jinja_env.globals["mfa_pending"] = lambda: is_pending(current_user)


# --------------------------------------------------------------------- checking


def check_code(user: User, code: str) -> str:
    """Check a TOTP or recovery code for ``user``; returns the method used.

    A wrong or replayed code is recorded as ``mfa_failed`` (committed, so the
    record stays) and raises AccountError for the ``code`` field.
    """
    credential = db.session.get(TotpCredential, user.id)
    if credential is None:
        raise AccountError("code", "Two-step sign-in is not set up for this account.")
    step = one_time_codes.matching_step(credential.secret, code)
    if step is not None:
        if one_time_codes.claim_step(user.id, step):
            return "totp"
        record_failure(user, "replay")
        raise AccountError("code", REPLAYED_CODE)
    if one_time_codes.use_recovery_code(user.id, code):
        return "recovery"
    record_failure(user, "wrong code")
    raise AccountError("code", WRONG_CODE)


def record_failure(user: User, detail: str) -> None:
    db.session.rollback()
    audit.record("mfa_failed", actor=user, subject=user, detail=detail)
    db.session.commit()


def mark_session(user: User, *, mfa: bool) -> None:
    now = utcnow()
    values: dict[str, Any] = {"reauth_at": now}
    if mfa:
        values["mfa_at"] = now
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.token == user.session_token)
        .values(**values)
    )


def pass_second_factor(user: User, code: str) -> str:
    """Sign-in step two: check the code and mark this session as passed."""
    method = check_code(user, code)
    mark_session(user, mfa=True)
    audit.record("mfa_passed", actor=user, subject=user, detail=method)
    if method == "recovery":
        left = one_time_codes.recovery_codes_left(user.id)
        notify(
            user,
            "A recovery code was used on your kaptrain account",
            "One of your kaptrain recovery codes was just used to sign in. "
            f"{left} unused codes remain.",
        )
    db.session.commit()
    return method


def enrol_totp(user: User, secret: str, code: str) -> list[str]:
    """Confirm a new authenticator with a code from it; returns the recovery codes.

    The session passes its second factor at the same time (the person has just
    shown both). A second submission of the same form finds MFA set up already.
    """
    step = one_time_codes.matching_step(secret, code)
    if step is None:
        record_failure(user, "enrolment code")
        raise AccountError(
            "code",
            "That code does not match. Check that your app shows the kaptrain "
            "entry you just added, then enter its current 6-digit code.",
        )
    db.session.add(TotpCredential(user_id=user.id, secret=secret, last_step=step))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise AccountError(
            "code", "Two-step sign-in is already set up for this account."
        ) from None
    codes = one_time_codes.replace_recovery_codes(user.id)
    mark_session(user, mfa=True)
    audit.record("mfa_enrolled", actor=user, subject=user, detail="totp")
    notify(
        user,
        "Two-step sign-in was turned on for your kaptrain account",
        "An authenticator app was set up for two-step sign-in on your kaptrain "
        "account, and ten recovery codes were made.",
    )
    db.session.commit()
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    codes = one_time_codes.replace_recovery_codes(user.id)
    audit.record("mfa_changed", actor=user, subject=user, detail="recovery codes")
    notify(
        user,
        "New recovery codes for your kaptrain account",
        "New recovery codes were made for your kaptrain account; the old ones no "
        "longer work.",
    )
    db.session.commit()
    return codes


def _remove_factors(user_id: int) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.session.execute(delete(Passkey).where(Passkey.user_id == user_id))
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user_id))


def disable_own(user: User) -> None:
    """A trainee turns two-step sign-in off (staff cannot: it is required)."""
    if is_staff(user):
        raise AccountError(
            "code",
            "Your role requires two-step sign-in, so it cannot be turned off. If "
            "you lost your device, ask an administrator to reset it.",
        )
    _remove_factors(user.id)
    audit.record("mfa_changed", actor=user, subject=user, detail="turned off")
    notify(
        user,
        "Two-step sign-in was turned off for your kaptrain account",
        "Two-step sign-in was turned off for your kaptrain account. Only your "
        "password is now needed to sign in.",
    )
    db.session.commit()


def admin_reset(actor: User, user: User) -> None:
    """Remove every second factor of ``user`` and sign them out everywhere.

    Staff are sent to enrolment at their next sign-in. Audited; the holder is told
    by e-mail, so a reset they did not ask for does not go unnoticed.
    """
    if actor.id == user.id:
        raise AccountError(
            "mfa",
            "You cannot reset your own two-step sign-in here; ask another "
            "administrator.",
        )
    if not is_enrolled(user.id):
        raise AccountError("mfa", "This account has no two-step sign-in to reset.")
    _remove_factors(user.id)
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    audit.record("mfa_reset", actor=actor, subject=user)
    notify(
        user,
        "Your kaptrain two-step sign-in was reset",
        "An administrator reset two-step sign-in on your kaptrain account and "
        "signed it out everywhere. "
        + (
            "At your next sign-in you will set up an authenticator app again."
            if is_staff(user)
            else "You can set it up again on your account page."
        )
        + " If you did not ask for this, tell an administrator at once.",
    )
    db.session.commit()


def notify(user: User, subject: str, body: str) -> None:
    """Tell the account holder that their second factor changed (caller commits)."""
    from kaptrain.platform.mail import send_mail

    send_mail(
        user.email,
        subject,
        f"Hello {user.name},\n\n{body}\n\nIf this was not you, change your password "
        "and tell an administrator.\n",
    )
