"""Account services shared by sign-in, registration, admin, supervisors and the CLI.

Services own the commit. Failures a person can fix raise :class:`AccountError`
naming the form field and a sentence saying what to do.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from flask import abort, current_app, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from kaptrain.extensions import db
from kaptrain.models import (
    ROLES,
    TRAINEE,
    Cohort,
    CohortMember,
    LoginSession,
    TotpCredential,
    User,
    UserRole,
    email_key,
    utcnow,
)
from kaptrain.models.users import SignedIn
from kaptrain.people import audit, security_events, sessions
from kaptrain.people.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from kaptrain.platform.mail import is_mail_address, send_template
from kaptrain.platform.urls import absolute_url

INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely
SESSION_HOURS = 12
REMEMBER_DAYS = 7

# Compared against when the email is unknown, so a miss costs as long as a hit.
_DUMMY_HASH: dict[str, str] = {}


class AccountError(ValueError):
    """A problem the person can fix; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def new_invite_code() -> str:
    groups = [
        "".join(secrets.choice(INVITE_ALPHABET) for _ in range(4)) for _ in range(3)
    ]
    return "-".join(groups)


def normalise_invite(code: str) -> str:
    return code.strip().upper().replace(" ", "")


def find_user(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == email_key(email))
    ).scalar_one_or_none()


def _validate_profile(email: str, name: str) -> tuple[str, str]:
    email = email_key(email)
    name = " ".join(name.split())
    if not name:
        raise AccountError("name", "Enter your name.")
    if (
        "@" not in email
        or email.startswith("@")
        or email.endswith("@")
        or not is_mail_address(email)
    ):
        raise AccountError("email", "Enter an email address, like name@example.org.")
    return email, name


def create_user(
    email: str,
    name: str,
    password: str,
    roles: Iterable[str] = (TRAINEE,),
    *,
    cohort: Cohort | None = None,
    actor: User | None = None,
    check_policy: bool = True,
) -> User:
    """Create an account (and its cohort membership) in one transaction."""
    email, name = _validate_profile(email, name)
    roles = sorted(set(roles))
    unknown = [role for role in roles if role not in ROLES]
    if unknown or not roles:
        raise AccountError(
            "role",
            f"Roles must be some of {', '.join(ROLES)}; got {', '.join(unknown)}.",
        )
    if check_policy:
        problem = password_problem(password, [email, name])
        if problem:
            raise AccountError("password", problem)
    if find_user(email) is not None:
        raise AccountError(
            "email",
            "An account with this email address already exists. Sign in instead.",
        )
    user = User(email=email, name=name, password_hash=hash_password(password))
    user.role_rows = [UserRole(role=role) for role in roles]
    db.session.add(user)
    if cohort is not None:
        db.session.add(CohortMember(cohort=cohort, user=user))
    try:
        db.session.flush()
        audit.record(
            "user_created", actor=actor, subject=user, detail="roles=" + ",".join(roles)
        )
        db.session.commit()
    except IntegrityError:
        # Two registrations with one address raced; the unique index chose one.
        db.session.rollback()
        raise AccountError(
            "email",
            "An account with this email address already exists. Sign in instead.",
        ) from None
    return user


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


@dataclass(frozen=True, eq=False)
class SessionUser(SignedIn):
    """The signed-in user as every request sees it: a snapshot of the account's
    row and roles, read with the session check in one plain query.

    Building an ORM ``User`` (with its roles joined) for every request cost more
    than the query itself; most pages need only who it is, the roles, and the
    records version. Code that changes the account, or passes it to a service,
    uses :func:`current_account` for the ORM object, loaded on first use.
    """

    id: int
    email: str
    name: str
    active: bool
    created_at: dt.datetime
    records_version: int
    roles: frozenset[str]
    session_token: str
    #: Second factor (kaptrain.people.mfa): enrolled at all, passed in this session
    #: (None: not yet), and when the person last confirmed it is them here.
    mfa_enrolled: bool = False
    mfa_at: dt.datetime | None = None
    reauth_at: dt.datetime | None = None


_SESSION_USER = (
    select(
        User.id,
        User.email,
        User.name,
        User.active,
        User.created_at,
        User.records_version,
        UserRole.role,
        LoginSession.last_seen_at,
        LoginSession.remember,
        LoginSession.mfa_at,
        LoginSession.reauth_at,
        TotpCredential.user_id.label("totp_user_id"),
    )
    .join(LoginSession, LoginSession.user_id == User.id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .outerjoin(TotpCredential, TotpCredential.user_id == User.id)
    .where(
        LoginSession.token == bindparam("token"),
        LoginSession.expires_at > bindparam("now"),
    )
)


def load_session_user(token: str) -> SessionUser | None:
    """Flask-Login's user loader: the user whose live session has this token."""
    if not token or len(token) > 64:
        return None
    # One row per role, in one round trip; Core rows, not ORM objects.
    now = utcnow()
    rows = (
        db.session.connection()
        .execute(_SESSION_USER, {"token": token, "now": now})
        .all()
    )
    if not rows or not rows[0].active:
        return None
    first = rows[0]
    roles = frozenset(row.role for row in rows if row.role is not None)
    if sessions.is_idle(first.last_seen_at, now, roles, first.remember):
        sessions.signed_out_for_idleness(roles, first.remember)
        return None
    sessions.note_activity(token, first.last_seen_at, now)
    return SessionUser(
        id=first.id,
        email=first.email,
        name=first.name,
        active=first.active,
        created_at=first.created_at,
        records_version=first.records_version,
        roles=roles,
        session_token=token,
        mfa_enrolled=first.totp_user_id is not None,
        mfa_at=first.mfa_at,
        reauth_at=first.reauth_at,
    )


def current_account() -> User:
    """The signed-in user as an ORM ``User`` (for services and changes), loaded
    by primary key on first use in the request and carrying the session token."""
    user = current_user._get_current_object()
    if isinstance(user, User):
        return user
    # Roles in the same query (the relationship's default would add a second).
    account = db.session.get(User, user.id, options=[joinedload(User.role_rows)])
    if account is None:  # deleted since the session check, mid-request
        abort(401)
    account.session_token = user.session_token
    return account


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


def end_other_sessions(user: User) -> None:
    """Delete every session of ``user`` except the current one (caller commits)."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if user.session_token:
        query = query.where(LoginSession.token != user.session_token)
    db.session.execute(query)


def set_password(user: User, new_password: str) -> None:
    problem = password_problem(new_password, [user.email, user.name])
    if problem:
        raise AccountError("password", problem)
    user.password_hash = hash_password(new_password)


def mail_password_changed(user: User, how: str) -> None:
    send_template(
        user.email,
        "Your kaptrain password was changed",
        "password_changed",
        name=user.name,
        how=how,
        forgot_url=absolute_url("auth.forgot_password"),
    )


def change_password(user: User, current: str, new_password: str) -> None:
    """Change the password and end the user's other sessions."""
    if not verify_password(user.password_hash, current):
        raise AccountError("current", "That is not your current password.")
    set_password(user, new_password)
    end_other_sessions(user)
    audit.record("password_changed", actor=user, subject=user)
    mail_password_changed(user, "")
    db.session.commit()


def set_roles(actor: User, user: User, roles: Iterable[str]) -> None:
    """Replace ``user``'s roles; an admin cannot remove their own admin role."""
    new = set(roles)
    unknown = new.difference(ROLES)
    if unknown or not new:
        raise AccountError("roles", "Choose at least one of the listed roles.")
    if actor.id == user.id and "admin" in user.roles and "admin" not in new:
        raise AccountError(
            "roles", "You cannot remove your own admin role; ask another administrator."
        )
    old = user.roles
    if new == old:
        return
    user.role_rows = [row for row in user.role_rows if row.role in new]
    for role in sorted(new - old):
        user.role_rows.append(UserRole(role=role))
    audit.record(
        "role_changed",
        actor=actor,
        subject=user,
        detail=f"{','.join(sorted(old))} -> {','.join(sorted(new))}",
    )
    db.session.commit()
