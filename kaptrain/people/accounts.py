"""Account services shared by sign-in, registration, admin, supervisors and the CLI.

Accounts (create, find, passwords, roles) and the signed-in account every request
sees (:class:`SessionUser`, :func:`current_account`). Checking a password and
starting or ending a login session is :mod:`kaptrain.people.sign_in`.

Services own the commit. Failures a person can fix raise :class:`AccountError`
naming the form field and a sentence saying what to do.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from flask import abort
from flask_login import current_user
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
from kaptrain.people import audit, sessions
from kaptrain.people.passwords import (
    hash_password,
    password_problem,
    verify_password,
)
from kaptrain.platform.mail import is_mail_address, send_template
from kaptrain.platform.urls import absolute_url

INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely


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
