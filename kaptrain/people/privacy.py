"""Deleting a person's account and every row of it.

Deletion removes the ``users`` row and lets the foreign keys do the rest: every
learner table references ``users.id`` with ``ON DELETE CASCADE`` (PostgreSQL always,
SQLite because each connection turns ``foreign_keys`` on). Comments the person wrote
as a supervisor are kept, with ``author_id`` set to NULL by their foreign key: they
are feedback that belongs to the trainee's record. Audit events that named the
person are kept for accountability but anonymised under a random label.
Exporting a person's data is :mod:`kaptrain.people.data_export`.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, func, or_, select, update

from kaptrain.extensions import db
from kaptrain.models import (
    ADMIN,
    AuditEvent,
    CohortInvitation,
    OutboxMessage,
    User,
    UserRole,
)
from kaptrain.people import audit
from kaptrain.people.passwords import verify_password

CONFIRM_WORD = "DELETE"


class PrivacyError(ValueError):
    """A problem the person can fix; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_deletion(user: User, password: str, typed: str) -> None:
    """Raise :class:`PrivacyError` unless the person proved it is them and meant it."""
    if typed.strip() != CONFIRM_WORD:
        raise PrivacyError(
            "confirm", f"Type {CONFIRM_WORD} in capitals to confirm the deletion."
        )
    if not verify_password(user.password_hash, password):
        raise PrivacyError(
            "password", "That is not your current password. Nothing was deleted."
        )
    _refuse_last_admin(user)


def _refuse_last_admin(user: User) -> None:
    if ADMIN not in user.roles:
        return
    # Lock the admin role rows (PostgreSQL) so two admins deleting themselves at
    # once cannot both pass; SQLite's BEGIN IMMEDIATE already serialises writers.
    others = db.session.execute(
        select(UserRole.user_id)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role == ADMIN, UserRole.user_id != user.id, User.active)
        .with_for_update()
    ).all()
    if not others:
        raise PrivacyError(
            "confirm",
            "This is the only active administrator account, so it cannot be "
            "deleted. Make another account an administrator first.",
        )


def anonymous_label() -> str:
    return f"deleted user #{secrets.token_hex(4)}"


def delete_account(user: User) -> str:
    """Delete ``user`` and every row of theirs; anonymise audit events (commits).

    Returns the anonymous label their audit events now carry.
    """
    _refuse_last_admin(user)
    user_id, email = user.id, user.email
    label = anonymous_label()
    for id_column, label_column in (
        (AuditEvent.actor_id, AuditEvent.actor_label),
        (AuditEvent.subject_id, AuditEvent.subject_label),
    ):
        db.session.execute(
            update(AuditEvent)
            .where(or_(id_column == user_id, label_column == email))
            .values({id_column: None, label_column: label, AuditEvent.ip: ""})
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.detail.contains(email, autoescape=True))
        .values(detail=func.replace(AuditEvent.detail, email, label))
        .execution_options(synchronize_session=False)
    )
    # Rows keyed by the address rather than the account: invitations to it and
    # mail queued or sent to it.
    db.session.execute(
        delete(CohortInvitation)
        .where(CohortInvitation.email == email)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.recipient == email)
        .execution_options(synchronize_session=False)
    )
    db.session.expunge(user)
    # The database cascades to every learner table, roles, memberships, cohort
    # supervision, sessions and reset links, and nulls comment authorship.
    db.session.execute(
        delete(User)
        .where(User.id == user_id)
        .execution_options(synchronize_session=False)
    )
    event = audit.record("account_deleted", subject_label=label)
    event.ip = ""
    db.session.commit()
    db.session.expunge_all()
    return label
