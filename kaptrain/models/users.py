"""People, roles, cohorts, login sessions and one-time reset links."""

from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kaptrain.extensions import db
from kaptrain.models.base import UTCDateTime, utcnow

TRAINEE = "trainee"
SUPERVISOR = "supervisor"
AUTHOR = "author"
ADMIN = "admin"
ROLES = (TRAINEE, SUPERVISOR, AUTHOR, ADMIN)

EMAIL_MAX = 254
NAME_MAX = 120
USER_AGENT_MAX = 300

cohort_supervisors = Table(
    "cohort_supervisors",
    db.metadata,
    Column("cohort_id", ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_cohort_supervisors_user_id", "user_id"),
)


class SignedIn(UserMixin):
    """What every signed-in person answers, whether a ``User`` row or the request's
    ``SessionUser`` snapshot (``people/accounts.py``): their roles, whether the
    account is active, and the session token Flask-Login stores. Subclasses
    provide ``roles`` (a frozenset), ``active`` and ``session_token``."""

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str | None:
        return self.session_token


class User(SignedIn, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased; the unique index makes "A@x.org" and "a@x.org" one account.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Raised by one in the same transaction as every change to this user's
    #: learner records (``learning/progress_cache.records_changed``). It comes with the
    #: session user on every request, so a worker can keep the user's computed
    #: progress and know, at no extra query, when it is out of date.
    records_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    memberships: Mapped[list[CohortMember]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    supervised_cohorts: Mapped[list[Cohort]] = relationship(
        secondary=cohort_supervisors, back_populates="supervisors"
    )

    # Set by the user loader to the login session this request belongs to; it is
    # what Flask-Login stores, so deleting the session row ends that login.
    session_token = None  # plain attribute, not a column

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(row.role for row in self.role_rows)

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class Cohort(db.Model):
    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    invite_code: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    supervisors: Mapped[list[User]] = relationship(
        secondary=cohort_supervisors, back_populates="supervised_cohorts"
    )
    members: Mapped[list[CohortMember]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Cohort {self.id}>"


class CohortMember(db.Model):
    __tablename__ = "cohort_members"
    __table_args__ = (Index("ix_cohort_members_user_id", "user_id"),)

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")


INVITATION_PENDING = "pending"
INVITATION_ACCEPTED = "accepted"
INVITATION_DECLINED = "declined"


class CohortInvitation(db.Model):
    """A supervisor's invitation of an e-mail address to a cohort.

    Keyed by address, not account, so the supervisor's view of an invitation is
    the same whether or not anyone has an account with that address. The trainee
    becomes a member only by accepting it (or by typing the cohort's invite code).
    One row per cohort and address: inviting again reopens it.
    """

    __tablename__ = "cohort_invitations"
    __table_args__ = (
        UniqueConstraint("cohort_id", "email"),
        Index("ix_cohort_invitations_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(10), default=INVITATION_PENDING)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    cohort: Mapped[Cohort] = relationship()
    invited_by: Mapped[User | None] = relationship()


class LoginSession(db.Model):
    """One row per signed-in browser: logout deletes it, so a copied cookie dies."""

    __tablename__ = "login_sessions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: Last request seen, refreshed at most once a minute (idle timeout).
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: "Keep me signed in": a trainee's remembered session has no idle timeout.
    remember: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: For the "your sessions" page: the browser's User-Agent and the address
    #: of its latest request (both as the browser sent them, cut to size).
    user_agent: Mapped[str] = mapped_column(
        String(USER_AGENT_MAX), default="", server_default=""
    )
    ip: Mapped[str] = mapped_column(String(64), default="", server_default="")
    #: When this browser passed the second factor (None: not yet, or not needed).
    mfa_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: When the person last confirmed their password (and code) in this browser,
    #: for actions that ask again (kaptrain.people.reauth.reauth_required).
    reauth_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class PasswordResetLink(db.Model):
    """A one-time, expiring link, sent by e-mail to the account holder (asked for
    on the sign-in page, or by an administrator who never sees it).

    Only a hash of the token is stored, so a database copy cannot be used to reset.
    """

    __tablename__ = "password_reset_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    issued_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AuditEvent(db.Model):
    """Who did what to whom. Never holds passwords or reflection text.

    ``actor_id`` and ``subject_id`` are plain integers, not foreign keys, so that an
    account deletion leaves the event in place; deletion replaces them with None
    and the labels with an anonymous placeholder.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_action", "action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(EMAIL_MAX), default="")
    #: The actor's most privileged role when it happened (admin, supervisor,
    #: author, trainee), so a person's own data can say who saw their records
    #: by role without naming them.
    actor_role: Mapped[str] = mapped_column(String(20), default="", server_default="")
    subject_id: Mapped[int | None] = mapped_column(Integer)
    subject_label: Mapped[str] = mapped_column(String(EMAIL_MAX), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")


def email_key(email: str) -> str:
    """The form an email address is stored and compared in."""
    return email.strip().lower()


__all__ = [
    "ADMIN",
    "AUTHOR",
    "ROLES",
    "SUPERVISOR",
    "TRAINEE",
    "AuditEvent",
    "Cohort",
    "CohortInvitation",
    "CohortMember",
    "INVITATION_ACCEPTED",
    "INVITATION_DECLINED",
    "INVITATION_PENDING",
    "LoginSession",
    "PasswordResetLink",
    "User",
    "UserRole",
    "email_key",
]
