"""A person's own data: export all of it, or delete the account and every row of it.

Export gathers every record that names the person (never the password hash, login
tokens or reset-token hashes) into one JSON-serialisable dict with ISO 8601 UTC
timestamps; :func:`export_zip` lays the same data out as one CSV file per table.

Deletion removes the ``users`` row and lets the foreign keys do the rest: every
learner table references ``users.id`` with ``ON DELETE CASCADE`` (PostgreSQL always,
SQLite because each connection turns ``foreign_keys`` on). Comments the person wrote
as a supervisor are kept, with ``author_id`` set to NULL by their foreign key: they
are feedback that belongs to the trainee's record. Audit events that named the
person are kept for accountability but anonymised under a random label.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import secrets
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from kaptrain.extensions import db
from kaptrain.models import (
    ADMIN,
    AuditEvent,
    Certificate,
    Cohort,
    CohortInvitation,
    CohortMember,
    EvaluationResponse,
    ItemProgress,
    JournalComment,
    JournalEntry,
    LoginSession,
    OutboxMessage,
    Passkey,
    PasswordResetLink,
    QuizAttempt,
    RecoveryCode,
    TotpCredential,
    User,
    UserRole,
    VignetteRun,
    cohort_supervisors,
    utcnow,
)
from kaptrain.people import audit
from kaptrain.people.passwords import verify_password

EXPORT_FORMAT = "kaptrain-personal-data"
EXPORT_VERSION = 1
CONFIRM_WORD = "DELETE"
# Characters that make a spreadsheet treat a cell as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class PrivacyError(ValueError):
    """A problem the person can fix; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# ----------------------------------------------------------------------- export


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # UTCDateTime never returns these; be safe anyway
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj: Any, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Every column of an ORM object, minus ``exclude``, as JSON-ready values."""
    skip = set(exclude)
    return {
        column.key: _value(getattr(obj, column.key))
        for column in obj.__table__.columns
        if column.key not in skip
    }


def _all(query: Any) -> list[Any]:
    return list(db.session.execute(query).scalars().all())


def export_user_data(user_id: int) -> dict[str, Any]:
    """Everything the platform holds about one person, as a JSON-ready dict."""
    user = db.session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user with id {user_id}")
    mine = {"user_id"}  # repeated in every row; the profile already says who
    memberships = db.session.execute(
        select(CohortMember, Cohort.name)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(CohortMember.user_id == user_id)
        .order_by(CohortMember.joined_at)
    ).all()
    supervised = db.session.execute(
        select(Cohort.id, Cohort.name)
        .join(cohort_supervisors, cohort_supervisors.c.cohort_id == Cohort.id)
        .where(cohort_supervisors.c.user_id == user_id)
        .order_by(Cohort.id)
    ).all()
    attempts = _all(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user_id)
        .order_by(QuizAttempt.started_at, QuizAttempt.id)
    )
    runs = _all(
        select(VignetteRun)
        .where(VignetteRun.user_id == user_id)
        .order_by(VignetteRun.started_at, VignetteRun.id)
    )
    entries = _all(
        select(JournalEntry)
        .where(JournalEntry.user_id == user_id)
        .order_by(JournalEntry.created_at, JournalEntry.id)
    )
    written = _all(
        select(JournalComment)
        .where(JournalComment.author_id == user_id)
        .order_by(JournalComment.created_at, JournalComment.id)
    )
    events = _all(
        select(AuditEvent)
        .where(_audit_about(user))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": _value(utcnow()),
        "profile": _row(user, exclude={"password_hash"}),
        "roles": sorted(user.roles),
        "cohort_memberships": [
            {
                "cohort_id": member.cohort_id,
                "cohort_name": name,
                "joined_at": _value(member.joined_at),
            }
            for member, name in memberships
        ],
        "supervised_cohorts": [
            {"cohort_id": cohort_id, "cohort_name": name}
            for cohort_id, name in supervised
        ],
        "item_progress": [
            _row(row, exclude=mine)
            for row in _all(
                select(ItemProgress)
                .where(ItemProgress.user_id == user_id)
                .order_by(ItemProgress.started_at, ItemProgress.id)
            )
        ],
        "quiz_attempts": [
            {
                **_row(attempt, exclude=mine),
                "responses": [
                    _row(r, exclude={"attempt_id"}) for r in attempt.responses
                ],
            }
            for attempt in attempts
        ],
        "vignette_runs": [
            {
                **_row(run, exclude=mine),
                "steps": [_row(s, exclude={"run_id"}) for s in run.steps],
            }
            for run in runs
        ],
        "journal_entries": [
            {
                **_row(entry, exclude=mine),
                "comments": [
                    {
                        # The commenter by name, as the journal page shows
                        # them, not by account id.
                        **_row(c, exclude={"entry_id", "author_id"}),
                        "author_name": c.author.name if c.author else None,
                    }
                    for c in entry.comments
                ],
            }
            for entry in entries
        ],
        "journal_comments_written": [_row(c) for c in written],
        "evaluations": [
            _row(row, exclude=mine)
            for row in _all(
                select(EvaluationResponse)
                .where(EvaluationResponse.user_id == user_id)
                .order_by(EvaluationResponse.submitted_at, EvaluationResponse.id)
            )
        ],
        "certificates": [
            _row(row, exclude=mine)
            for row in _all(
                select(Certificate)
                .where(Certificate.user_id == user_id)
                .order_by(Certificate.issued_at, Certificate.id)
            )
        ],
        "login_sessions": [
            _row(row, exclude={"token", "user_id"})
            for row in _all(
                select(LoginSession)
                .where(LoginSession.user_id == user_id)
                .order_by(LoginSession.created_at)
            )
        ],
        "password_reset_links": [
            {
                **_row(row, exclude={"token_hash", "user_id", "issued_by_id"}),
                # Who started it by role, never the administrator's id.
                "started_by": _started_by(row.issued_by_id, user_id),
            }
            for row in _all(
                select(PasswordResetLink)
                .where(PasswordResetLink.user_id == user_id)
                .order_by(PasswordResetLink.created_at, PasswordResetLink.id)
            )
        ],
        "two_step_sign_in": _second_factors(user_id),
        "cohort_invitations": [
            {
                "cohort_name": name,
                "status": invitation.status,
                "created_at": _value(invitation.created_at),
                "answered_at": _value(invitation.answered_at),
            }
            for invitation, name in db.session.execute(
                select(CohortInvitation, Cohort.name)
                .join(Cohort, Cohort.id == CohortInvitation.cohort_id)
                .where(CohortInvitation.email == user.email)
                .order_by(CohortInvitation.created_at, CohortInvitation.id)
            )
        ],
        "shared_reflections_seen": [
            {
                "at": _value(event.at),
                "role": event.actor_role or "staff",
                "where": event.detail,
            }
            for event in events
            if event.action == "shared_reflections_viewed"
            and event.subject_id == user.id
            and event.actor_id != user.id
        ],
        "audit_events": [_audit_row(event, user) for event in events],
    }


def _started_by(issuer_id: int | None, user_id: int) -> str:
    if issuer_id == user_id:
        return "you"
    return "administrator" if issuer_id is not None else "a deleted account"


def _audit_row(event: AuditEvent, user: User) -> dict[str, Any]:
    """An audit event as the person may see it: their own actions in full; what
    others did to them by the actor's role and the time, never the actor's id,
    e-mail address or IP address (those are the other person's data)."""
    if event.actor_id == user.id:
        return _row(event)
    return {
        "id": event.id,
        "at": _value(event.at),
        "action": event.action,
        "actor_role": event.actor_role or None,
        "detail": event.detail,
    }


def _second_factors(user_id: int) -> list[dict[str, Any]]:
    """Which second factors exist and when they were made and used: never the
    authenticator key, a code or its hash, or a passkey's key material."""
    rows: list[dict[str, Any]] = []
    totp = db.session.get(TotpCredential, user_id)
    if totp is not None:
        rows.append(
            {
                "method": "authenticator app",
                "name": "",
                "created_at": _value(totp.enabled_at),
                "used_at": None,
            }
        )
    for code in _all(
        select(RecoveryCode)
        .where(RecoveryCode.user_id == user_id)
        .order_by(RecoveryCode.id)
    ):
        rows.append(
            {
                "method": "recovery code",
                "name": "",
                "created_at": _value(code.created_at),
                "used_at": _value(code.used_at),
            }
        )
    for key in _all(
        select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id)
    ):
        rows.append(
            {
                "method": "passkey",
                "name": key.name,
                "created_at": _value(key.created_at),
                "used_at": _value(key.last_used_at),
            }
        )
    return rows


def _audit_about(user: User) -> Any:
    """Audit events that name ``user`` by id or email address (labels or detail)."""
    return or_(
        AuditEvent.actor_id == user.id,
        AuditEvent.subject_id == user.id,
        AuditEvent.actor_label == user.email,
        AuditEvent.subject_label == user.email,
        AuditEvent.detail.contains(user.email, autoescape=True),
    )


def _flatten(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """One list of flat rows per table; nested children get their parent's id."""
    tables: dict[str, list[dict[str, Any]]] = {
        "profile": [{**data["profile"], "roles": " ".join(data["roles"])}]
    }
    children = {
        "quiz_attempts": ("responses", "quiz_responses", "attempt_id"),
        "vignette_runs": ("steps", "vignette_steps", "run_id"),
        "journal_entries": ("comments", "journal_comments_received", "entry_id"),
    }
    for key, value in data.items():
        if not isinstance(value, list) or key == "roles":
            continue
        rows = []
        nested = children.get(key)
        for item in value:
            row = dict(item)
            if nested:
                child_key, table, parent = nested
                for child in row.pop(child_key):
                    tables.setdefault(table, []).append({parent: row["id"], **child})
            rows.append(row)
        tables[key] = rows
        if nested:
            tables.setdefault(nested[1], [])
    return tables


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_zip(data: dict[str, Any]) -> bytes:
    """The export as a ZIP of CSV files, one per table, plus the full JSON."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in _flatten(data).items():
            text = io.StringIO()
            columns: list[str] = []
            for row in rows:
                columns.extend(k for k in row if k not in columns)
            writer = csv.DictWriter(text, fieldnames=columns or ["(none)"])
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _cell(v) for k, v in row.items()})
            archive.writestr(f"{name}.csv", text.getvalue())
        archive.writestr(
            "data.json", json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
        )
    return buffer.getvalue()


def record_download(user: User, fmt: str) -> None:
    """Note in the audit log that ``user`` downloaded their data (commits)."""
    audit.record("data_downloaded", actor=user, subject=user, detail=f"format={fmt}")
    db.session.commit()


# --------------------------------------------------------------------- deletion


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
